package sim

import (
	"bytes"
	"strings"
	"testing"
)

const fabrikam = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"

// TestCrossTenantConformance follows the request and response examples of
// the crossTenantAccessPolicy pages (default get/update/resetToSystemDefault,
// partners list/post/get/update/delete, identitySynchronization
// put/get/update/delete) and the Entra cross-tenant synchronization guide.
func TestCrossTenantConformance(t *testing.T) {
	var log bytes.Buffer
	ts, _ := fixture(t, 0, Options{WriteLog: &log})
	partners := "/v1.0/policies/crossTenantAccessPolicy/partners"
	run(t, ts, []exchange{
		{name: "default is the service default", method: "GET", path: "/v1.0/policies/crossTenantAccessPolicy/default", status: 200,
			contains: []string{`"isServiceDefault":true`, `"b2bDirectConnectOutbound":{"applications":{"accessType":"blocked"`,
				`"b2bCollaborationInbound":{"applications":{"accessType":"allowed"`}},
		{name: "patch default", method: "PATCH", path: "/v1.0/policies/crossTenantAccessPolicy/default",
			body: `{"inboundTrust":{"isMfaAccepted":true,"isCompliantDeviceAccepted":false,"isHybridAzureADJoinedDeviceAccepted":false}}`, status: 204},
		{name: "default keeps the change", method: "GET", path: "/v1.0/policies/crossTenantAccessPolicy/default", status: 200,
			contains: []string{`"isServiceDefault":false`, `"isMfaAccepted":true`}},
		{name: "default cannot inherit", method: "PATCH", path: "/v1.0/policies/crossTenantAccessPolicy/default",
			body: `{"inboundTrust":null}`, status: 400},
		{name: "reset default", method: "POST", path: "/v1.0/policies/crossTenantAccessPolicy/default/resetToSystemDefault", status: 204},
		{name: "default reset", method: "GET", path: "/v1.0/policies/crossTenantAccessPolicy/default", status: 200,
			contains: []string{`"isServiceDefault":true`, `"isMfaAccepted":false`}},
		{name: "no partners", method: "GET", path: partners, status: 200, contains: []string{`"value":[]`}},
		{name: "create bare partner: inherited settings are null", method: "POST", path: partners, body: `{"tenantId":"` + fabrikam + `"}`, status: 201,
			contains: []string{`"tenantId":"` + fabrikam + `"`, `"inboundTrust":null`, `"b2bDirectConnectOutbound":null`, `"isServiceProvider":null`,
				`"automaticUserConsentSettings":{"inboundAllowed":null,"outboundAllowed":null}`,
				`$metadata#policies/crossTenantAccessPolicy/partners/$entity`}},
		{name: "a second partner for the tenant", method: "POST", path: partners, body: `{"tenantId":"` + fabrikam + `"}`, status: 409,
			contains: []string{`Request_MultipleObjectsWithSameKeyValue`, `Another object with the same value for property tenantId already exists.`}},
		{name: "unknown property", method: "PATCH", path: partners + "/" + fabrikam, body: `{"inboundTrusts":{}}`, status: 400,
			contains: []string{`Property 'inboundTrusts' does not exist`}},
		{name: "patch partner", method: "PATCH", path: partners + "/" + fabrikam,
			body: `{"automaticUserConsentSettings":{"outboundAllowed":true}}`, status: 204},
		{name: "patch replaces the complex value", method: "GET", path: partners + "/" + fabrikam, status: 200,
			contains: []string{`"automaticUserConsentSettings":{"outboundAllowed":true}`}},
		{name: "identity sync absent", method: "GET", path: partners + "/" + fabrikam + "/identitySynchronization", status: 404},
		{name: "put identity sync", method: "PUT", path: partners + "/" + fabrikam + "/identitySynchronization",
			body: `{"displayName":"Fabrikam","userSyncInbound":{"isSyncAllowed":true}}`, status: 204},
		{name: "put again is a conflict", method: "PUT", path: partners + "/" + fabrikam + "/identitySynchronization",
			body: `{"displayName":"Fabrikam","userSyncInbound":{"isSyncAllowed":true}}`, status: 409,
			contains: []string{`Request_MultipleObjectsWithSameKeyValue`}},
		{name: "patch identity sync", method: "PATCH", path: partners + "/" + fabrikam + "/identitySynchronization",
			body: `{"userSyncInbound":{"isSyncAllowed":false}}`, status: 204},
		{name: "get identity sync", method: "GET", path: partners + "/" + fabrikam + "/identitySynchronization", status: 200,
			contains: []string{`"tenantId":"` + fabrikam + `"`, `"displayName":"Fabrikam"`, `"isSyncAllowed":false`}},
		{name: "delete partner with a sync policy", method: "DELETE", path: partners + "/" + fabrikam, status: 400},
		{name: "delete identity sync", method: "DELETE", path: partners + "/" + fabrikam + "/identitySynchronization", status: 204},
		{name: "delete partner", method: "DELETE", path: partners + "/" + fabrikam, status: 204},
		{name: "partner gone", method: "GET", path: partners + "/" + fabrikam, status: 404, contains: []string{`Request_ResourceNotFound`}},
		{name: "own tenant", method: "POST", path: partners, body: `{"tenantId":"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"}`, status: 400},
	})
	if !strings.Contains(log.String(), `PATCH /v1.0/policies/crossTenantAccessPolicy/partners/`+fabrikam+` {"automaticUserConsentSettings":{"outboundAllowed":true}}`) {
		t.Errorf("write log lacks the partner PATCH:\n%s", log.String())
	}
	if strings.Contains(log.String(), "GET ") || strings.Contains(log.String(), "inboundTrusts") {
		t.Errorf("write log holds reads or refused writes:\n%s", log.String())
	}
}

// TestOrganizationExtensions: open extensions on the organization, as on
// groups, with Graph's 2 KB limit.
func TestOrganizationExtensions(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	org := "/v1.0/organization/8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10/extensions"
	run(t, ts, []exchange{
		{name: "create", method: "POST", path: org, body: `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"dev.entrasync.objects.x","objects":["a"]}`, status: 201,
			contains: []string{`"extensionName":"dev.entrasync.objects.x"`}},
		{name: "expand", method: "GET", path: "/v1.0/organization?$expand=extensions", status: 200,
			contains: []string{`"extensions":[{`, `"objects":["a"]`}},
		{name: "too large", method: "PATCH", path: org + "/dev.entrasync.objects.x", body: `{"extensionName":"dev.entrasync.objects.x","objects":["` + strings.Repeat("x", 2100) + `"]}`, status: 413},
		{name: "patch", method: "PATCH", path: org + "/dev.entrasync.objects.x", body: `{"extensionName":"dev.entrasync.objects.x","objects":["b"]}`, status: 204},
		{name: "get", method: "GET", path: org + "/dev.entrasync.objects.x", status: 200, contains: []string{`"objects":["b"]`}},
		{name: "another organization", method: "GET", path: "/v1.0/organization/" + fabrikam + "/extensions", status: 404},
		// Get organization (organization-get): by id, with $select.
		{name: "by id", method: "GET", path: "/v1.0/organization/8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10?$select=id,verifiedDomains", status: 200,
			contains: []string{`"id":"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"`, `"verifiedDomains":[`}, absent: []string{`"displayName"`}},
		{name: "another organization by id", method: "GET", path: "/v1.0/organization/" + fabrikam, status: 404},
	})
}

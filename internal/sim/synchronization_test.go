package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSynchronizationConformance walks the Entra guide "Configure
// cross-tenant synchronization using Microsoft Graph" on the source
// tenant: instantiate, validate credentials, create the job, save secrets,
// assign a group, read and replace the schema, provision on demand, start,
// watch a cycle complete, pause.
func TestSynchronizationConformance(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	ts, _ := fixture(t, 0, Options{Now: func() time.Time { return now }})
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		var out map[string]any
		_ = json.Unmarshal(data, &out)
		return resp.StatusCode, out
	}
	status, created := post("/v1.0/applicationTemplates/"+CrossTenantSyncTemplate+"/instantiate", `{"displayName":"Fabrikam sync"}`)
	if status != 201 {
		t.Fatalf("instantiate = %d %v", status, created)
	}
	sp := created["servicePrincipal"].(map[string]any)
	spID := sp["id"].(string)
	role := sp["appRoles"].([]any)[0].(map[string]any)["id"].(string)
	if sp["appRoleAssignmentRequired"] != true || created["application"].(map[string]any)["applicationTemplateId"] != CrossTenantSyncTemplate {
		t.Fatalf("instantiate body: %v", created)
	}
	base := "/v1.0/servicePrincipals/" + spID + "/synchronization"
	status, job := post(base+"/jobs", `{"templateId":"Azure2Azure"}`)
	if status != 201 {
		t.Fatalf("create job = %d %v", status, job)
	}
	jobID := job["id"].(string)
	jp := base + "/jobs/" + jobID
	run(t, ts, []exchange{
		{name: "filter by appId", method: "GET", path: "/v1.0/servicePrincipals?$filter=appId%20eq%20'" + sp["appId"].(string) + "'", status: 200,
			contains: []string{`"id":"` + spID + `"`, `"displayName":"Fabrikam sync"`}},
		{name: "tags", method: "PATCH", path: "/v1.0/servicePrincipals/" + spID, body: `{"tags":["WindowsAzureActiveDirectoryIntegratedApp","entrasync:default"]}`, status: 204},
		{name: "tags kept", method: "GET", path: "/v1.0/servicePrincipals/" + spID, status: 200, contains: []string{`"entrasync:default"`}},
		// A template carries its schema, as the List and Get examples show;
		// the schema is also read on its own (synchronization-synchronizationschema-get).
		{name: "templates", method: "GET", path: base + "/templates", status: 200,
			contains: []string{`"id":"Azure2Azure"`, `"factoryTag":"Azure2Azure"`, `"synchronizationRules"`}},
		{name: "template schema", method: "GET", path: base + "/templates/Azure2Azure/schema", status: 200,
			contains: []string{`"synchronizationRules"`, `"targetDirectoryName":"Azure Active Directory (target tenant)"`}},
		{name: "no such template", method: "GET", path: base + "/templates/SCIM/schema", status: 404},
		{name: "a new job is disabled", method: "GET", path: jp, status: 200,
			contains: []string{`"schedule":{"expiration":null,"interval":"PT40M","state":"Disabled"}`, `"templateId":"Azure2Azure"`}},
		{name: "validate credentials", method: "POST", path: base + "/jobs/validateCredentials",
			body: `{"useSavedCredentials":false,"templateId":"Azure2Azure","credentials":[{"key":"CompanyId","value":"` + fabrikam + `"},{"key":"AuthenticationType","value":"SyncPolicy"}]}`, status: 204},
		{name: "start without secrets", method: "POST", path: jp + "/start", status: 400},
		{name: "unknown secret", method: "PUT", path: base + "/secrets", body: `{"value":[{"key":"Tenant","value":"x"}]}`, status: 400},
		{name: "secrets", method: "PUT", path: base + "/secrets",
			body: `{"value":[{"key":"AuthenticationType","value":"SyncPolicy"},{"key":"CompanyId","value":"` + fabrikam + `"},{"key":"SyncAll","value":"false"}]}`, status: 204},
		{name: "assign a group", method: "POST", path: "/v1.0/servicePrincipals/" + spID + "/appRoleAssignedTo",
			body: `{"principalId":"` + finance + `","resourceId":"` + spID + `","appRoleId":"` + role + `"}`, status: 201,
			contains: []string{`"principalType":"Group"`, `"resourceDisplayName":"Fabrikam sync"`}},
		{name: "assign it twice", method: "POST", path: "/v1.0/servicePrincipals/" + spID + "/appRoleAssignedTo",
			body: `{"principalId":"` + finance + `","resourceId":"` + spID + `","appRoleId":"` + role + `"}`, status: 409},
		{name: "schema", method: "GET", path: jp + "/schema", status: 200,
			contains: []string{`"name":"USER_INBOUND_USER"`, `"targetAttributeName":"mobilePhone"`, `"id":"` + jobID + `"`}},
		{name: "schema without rules", method: "PUT", path: jp + "/schema", body: `{"directories":[]}`, status: 400},
		{name: "provision on demand", method: "POST", path: jp + "/provisionOnDemand",
			body: `{"parameters":[{"ruleId":"USER_INBOUND_USER","subjects":[{"objectId":"` + alice + `","objectTypeName":"User"}]}]}`, status: 200,
			contains: []string{`"key":"Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo"`, `EntryExportAdd`}},
		{name: "provision someone out of scope", method: "POST", path: jp + "/provisionOnDemand",
			body: `{"parameters":[{"ruleId":"USER_INBOUND_USER","subjects":[{"objectId":"` + carol + `","objectTypeName":"User"}]}]}`, status: 200,
			contains: []string{`not assigned`}, absent: []string{`EntryExportAdd`}},
		{name: "start", method: "POST", path: jp + "/start", status: 204},
		{name: "not run yet", method: "GET", path: jp, status: 200, contains: []string{`"state":"Active"`, `"code":"NotRun"`}},
	})
	now = now.Add(2 * time.Minute)
	run(t, ts, []exchange{
		{name: "a cycle ran", method: "GET", path: jp, status: 200,
			contains: []string{`"code":"Active"`, `"countExported":1`, `"state":"Succeeded"`}},
		{name: "pause", method: "POST", path: jp + "/pause", status: 204},
		{name: "paused", method: "GET", path: jp, status: 200, contains: []string{`"state":"Paused"`, `"code":"Paused"`}},
		{name: "delete", method: "DELETE", path: jp, status: 204},
		{name: "gone", method: "GET", path: jp, status: 404},
		{name: "filter by template", method: "GET", path: "/v1.0/servicePrincipals?$filter=applicationTemplateId%20eq%20'" + CrossTenantSyncTemplate + "'", status: 200,
			contains: []string{`"id":"` + spID + `"`}},
		{name: "delete the service principal", method: "DELETE", path: "/v1.0/servicePrincipals/" + spID, status: 204},
		{name: "its assignments and jobs with it", method: "GET", path: "/v1.0/servicePrincipals/" + spID + "/appRoleAssignedTo", status: 404},
		{name: "another template", method: "POST", path: "/v1.0/applicationTemplates/0b0c0d0e-0000-4000-8000-000000000001/instantiate", body: `{"displayName":"x"}`, status: 404},
	})
}

// TestServicePrincipalLag: a new configuration app's service principal
// is not readable until it replicates (the guide waits for it).
func TestServicePrincipalLag(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	ts, s := fixture(t, 0, Options{Now: func() time.Time { return now }, ReplicationLag: 10 * time.Second})
	resp, err := http.Post(ts.URL+"/v1.0/applicationTemplates/"+CrossTenantSyncTemplate+"/instantiate", "application/json", strings.NewReader(`{"displayName":"X"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var id string
	for _, sp := range s.Snapshot().ServicePrincipals {
		if sp.DisplayName == "X" {
			id = sp.ID
		}
	}
	run(t, ts, []exchange{{name: "lagging", method: "GET", path: "/v1.0/servicePrincipals/" + id, status: 404}})
	now = now.Add(11 * time.Second)
	run(t, ts, []exchange{{name: "replicated", method: "GET", path: "/v1.0/servicePrincipals/" + id, status: 200}})
}

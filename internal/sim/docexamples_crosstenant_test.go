package sim

// The cross-tenant access policy pages: the default configuration, partner
// configurations and their identity-sync policies. Partners carry the
// pages' own tenant ids.
const (
	partnerA = "9c5d131d-b1c3-4fc4-9e3f-c6557947d551" // has a sync policy
	partnerB = "90e29127-71ad-49c7-9ce8-db3f41ea06f1"
	ctap     = "/v1.0/policies/crossTenantAccessPolicy"
)

// withPartners sets up the partners the pages read: A allows B2B direct
// connect inbound for all users to Office 365 and syncs users, B has no
// settings of its own.
func withPartners(st *State) {
	st.CrossTenant = &CrossTenant{Partners: []*Partner{
		{Settings: map[string]any{"tenantId": partnerA, "b2bDirectConnectInbound": map[string]any{
			"usersAndGroups": map[string]any{"accessType": "allowed", "targets": []any{map[string]any{"target": "AllUsers", "targetType": "user"}}},
			"applications":   map[string]any{"accessType": "allowed", "targets": []any{map[string]any{"target": "Office365", "targetType": "application"}}},
		}}, IdentitySynchronization: map[string]any{"tenantId": partnerA, "displayName": "Fabrikam", "userSyncInbound": map[string]any{"isSyncAllowed": true}}},
		{Settings: map[string]any{"tenantId": partnerB}},
	}}
}

var crossTenantPages = []docPage{
	{
		page:     "crosstenantaccesspolicyconfigurationdefault-get.md",
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: ctap + "/default", status: 200,
				contains: []string{`"isServiceDefault":true`, `"isMfaAccepted":false`, `"b2bDirectConnectInbound":{"applications":{"accessType":"blocked"`,
					`"b2bCollaborationOutbound":{"applications":{"accessType":"allowed","targets":[{"target":"AllApplications","targetType":"application"}]},"usersAndGroups":{"accessType":"allowed","targets":[{"target":"AllUsers","targetType":"user"}]}}`}}},
		},
	},
	{
		page: "crosstenantaccesspolicyconfigurationdefault-update.md",
		examples: []string{
			"Example 1: Block outbound B2B collaboration for a group of users",
			"Example 2: Update default invitation redemption configuration",
			"Example 3: Disallow Microsoft accounts as an option for redeeming B2B invitations",
		},
		cases: map[string][]exchange{
			"Example 1: Block outbound B2B collaboration for a group of users": {
				{method: "PATCH", path: ctap + "/default", status: 204,
					body: `{"b2bCollaborationOutbound":{"usersAndGroups":{"accessType":"blocked","targets":[{"target":"0be493dc-cb56-4a53-936f-9cf64410b8b0","targetType":"group"}]},"applications":{"accessType":"blocked","targets":[{"target":"AllApplications","targetType":"application"}]}}}`},
				{method: "GET", path: ctap + "/default", status: 200,
					contains: []string{`"isServiceDefault":false`, `"target":"0be493dc-cb56-4a53-936f-9cf64410b8b0"`}},
			},
			"Example 2: Update default invitation redemption configuration": {
				{method: "PATCH", path: ctap + "/default", status: 204,
					body: `{"invitationRedemptionIdentityProviderConfiguration":{"primaryIdentityProviderPrecedenceOrder":["externalFederation","azureActiveDirectory","socialIdentityProviders"],"fallbackIdentityProvider":"defaultConfiguredIdp"}}`},
				{method: "GET", path: ctap + "/default", status: 200, contains: []string{`"fallbackIdentityProvider":"defaultConfiguredIdp"`}},
			},
			"Example 3: Disallow Microsoft accounts as an option for redeeming B2B invitations": {
				{method: "PATCH", path: ctap + "/default", status: 204,
					body: `{"invitationRedemptionIdentityProviderConfiguration":{"primaryIdentityProviderPrecedenceOrder":["externalFederation","azureActiveDirectory","socialIdentityProviders"],"fallbackIdentityProvider":"emailOneTimePasscode"}}`},
				{method: "GET", path: ctap + "/default", status: 200, contains: []string{`"fallbackIdentityProvider":"emailOneTimePasscode"`}},
			},
		},
	},
	{
		// The page tells to check isSystemDefault afterwards; the
		// property is isServiceDefault (the resource page).
		page:     "crosstenantaccesspolicyconfigurationdefault-resettosystemdefault.md",
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "PATCH", path: ctap + "/default", status: 204, body: `{"inboundTrust":{"isMfaAccepted":true,"isCompliantDeviceAccepted":false,"isHybridAzureADJoinedDeviceAccepted":false}}`},
				{method: "POST", path: ctap + "/default/resetToSystemDefault", status: 204},
				{method: "GET", path: ctap + "/default", status: 200, contains: []string{`"isServiceDefault":true`, `"isMfaAccepted":false`}},
			},
		},
	},
	{
		page:  "crosstenantaccesspolicy-list-partners.md",
		setup: withPartners,
		examples: []string{
			"Example 1: List all partner configurations within a cross-tenant access policy",
			"Example 2: List the user synchronization policy for all partner configurations",
		},
		cases: map[string][]exchange{
			// Unset settings are null, consent settings null inside.
			"Example 1: List all partner configurations within a cross-tenant access policy": {{method: "GET", path: ctap + "/partners", status: 200,
				contains: []string{`"tenantId":"` + partnerA + `"`, `"inboundTrust":null`, `"automaticUserConsentSettings":{"inboundAllowed":null,"outboundAllowed":null}`,
					`"b2bCollaborationInbound":null`, `"target":"Office365"`, `"tenantId":"` + partnerB + `"`}}},
			// B has no policy: null.
			"Example 2: List the user synchronization policy for all partner configurations": {{method: "GET", path: ctap + "/partners?$select=tenantId&$expand=identitySynchronization", status: 200,
				contains: []string{`{"identitySynchronization":{"displayName":"Fabrikam","tenantId":"` + partnerA + `","userSyncInbound":{"isSyncAllowed":true}},"tenantId":"` + partnerA + `"}`,
					`{"identitySynchronization":null,"tenantId":"` + partnerB + `"}`},
				absent: []string{"inboundTrust", `"id"`}}},
		},
	},
	{
		page:     "crosstenantaccesspolicy-post-partners.md",
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: ctap + "/partners", status: 201,
					body: `{"tenantId":"3d0f5dec-5d3d-455c-8016-e2af1ae4d31a","b2bDirectConnectOutbound":{"usersAndGroups":{"accessType":"blocked","targets":[{"target":"6f546279-4da5-4b53-a095-09ea0cef9971","targetType":"group"}]}},"b2bDirectConnectInbound":{"applications":{"accessType":"allowed","targets":[{"target":"Office365","targetType":"application"}]}}}`,
					contains: []string{`"tenantId":"3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"`, `"inboundTrust":null`, `"b2bCollaborationInbound":null`,
						`"b2bDirectConnectOutbound":{"usersAndGroups":{"accessType":"blocked"`, `"target":"Office365"`}},
				{method: "POST", path: ctap + "/partners", status: 409, body: `{"tenantId":"3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"}`},
			},
		},
	},
	{
		page:     "crosstenantaccesspolicyconfigurationpartner-get.md",
		setup:    withPartners,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: ctap + "/partners/" + partnerA, status: 200,
				contains: []string{`$metadata#policies/crossTenantAccessPolicy/partners/$entity"`, `"tenantId":"` + partnerA + `"`,
					`"b2bDirectConnectOutbound":null`, `"automaticUserConsentSettings":{"inboundAllowed":null,"outboundAllowed":null}`, `"target":"Office365"`}}},
		},
	},
	{
		page:  "crosstenantaccesspolicyconfigurationpartner-update.md",
		setup: withPartners,
		examples: []string{
			"Example 1: Configure inbound trust settings",
			"Example 2: Configure automaticUserConsent settings",
		},
		cases: map[string][]exchange{
			"Example 1: Configure inbound trust settings": {
				{method: "PATCH", path: ctap + "/partners/" + partnerB, status: 204,
					body: `{"inboundTrust":{"isMfaAccepted":true,"isCompliantDeviceAccepted":true,"isHybridAzureADJoinedDeviceAccepted":true}}`},
				{method: "GET", path: ctap + "/partners/" + partnerB, status: 200,
					contains: []string{`"inboundTrust":{"isCompliantDeviceAccepted":true,"isHybridAzureADJoinedDeviceAccepted":true,"isMfaAccepted":true}`}},
			},
			"Example 2: Configure automaticUserConsent settings": {
				{method: "PATCH", path: ctap + "/partners/" + partnerB, status: 204, body: `{"automaticUserConsentSettings":{"inboundAllowed":true,"outboundAllowed":true}}`},
				{method: "GET", path: ctap + "/partners/" + partnerB, status: 200,
					contains: []string{`"automaticUserConsentSettings":{"inboundAllowed":true,"outboundAllowed":true}`}},
			},
		},
	},
	{
		// A partner with a sync policy is deleted after its policy (the
		// page's introduction).
		page:     "crosstenantaccesspolicyconfigurationpartner-delete.md",
		setup:    withPartners,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "DELETE", path: ctap + "/partners/" + partnerA, status: 400},
				{method: "DELETE", path: ctap + "/partners/" + partnerA + "/identitySynchronization", status: 204},
				{method: "DELETE", path: ctap + "/partners/" + partnerA, status: 204},
				{method: "GET", path: ctap + "/partners/" + partnerA, status: 404},
			},
		},
	},
	{
		page:     "crosstenantaccesspolicyconfigurationpartner-put-identitysynchronization.md",
		setup:    withPartners,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "PUT", path: ctap + "/partners/" + partnerB + "/identitySynchronization", status: 204,
					body: `{"displayName":"Fabrikam","userSyncInbound":{"isSyncAllowed":true}}`},
				{method: "GET", path: ctap + "/partners/" + partnerB + "/identitySynchronization", status: 200,
					contains: []string{`"tenantId":"` + partnerB + `"`, `"displayName":"Fabrikam"`}},
			},
		},
	},
	{
		// The page supports $select.
		page:     "crosstenantidentitysyncpolicypartner-get.md",
		setup:    withPartners,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: ctap + "/partners/" + partnerA + "/identitySynchronization", status: 200,
					contains: []string{`"tenantId":"` + partnerA + `"`, `"displayName":"Fabrikam"`, `"userSyncInbound":{"isSyncAllowed":true}`}},
				{method: "GET", path: ctap + "/partners/" + partnerA + "/identitySynchronization?$select=displayName", status: 200,
					contains: []string{`"displayName":"Fabrikam"`}, absent: []string{"userSyncInbound", `"id"`}},
				{method: "GET", path: ctap + "/partners/" + partnerB + "/identitySynchronization", status: 404},
			},
		},
	},
	{
		page:     "crosstenantidentitysyncpolicypartner-update.md",
		setup:    withPartners,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "PATCH", path: ctap + "/partners/" + partnerA + "/identitySynchronization", status: 204, body: `{"userSyncInbound":{"isSyncAllowed":false}}`},
				{method: "GET", path: ctap + "/partners/" + partnerA + "/identitySynchronization", status: 200,
					contains: []string{`"displayName":"Fabrikam"`, `"userSyncInbound":{"isSyncAllowed":false}`}},
			},
		},
	},
	{
		page:     "crosstenantidentitysyncpolicypartner-delete.md",
		setup:    withPartners,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "DELETE", path: ctap + "/partners/" + partnerA + "/identitySynchronization", status: 204},
				{method: "GET", path: ctap + "/partners/" + partnerA + "/identitySynchronization", status: 404},
				{method: "GET", path: ctap + "/partners/" + partnerA, status: 200},
			},
		},
	},
}

package sim

// The service principal and organization pages. Two service principals:
// the robot (no app roles) and an application made from a template,
// whose msiam_access role Alice holds.
const (
	spApp      = "5e000000-0000-4000-8000-0000000000c1"
	spAppID    = "5e000000-0000-4000-8000-0000000000c2"
	spRole     = "5e000000-0000-4000-8000-0000000000c3"
	assignment = "5e000000-0000-4000-8000-0000000000c4"
	robotAppID = "5e000000-0000-4000-8000-0000000000ab"
)

func withServicePrincipals(st *State) {
	st.ServicePrincipals = append(st.ServicePrincipals,
		&ServicePrincipal{ID: robot, AppID: robotAppID, DisplayName: "Deploy robot"},
		&ServicePrincipal{ID: spApp, AppID: spAppID, DisplayName: "Fabrikam App", AppRoleID: spRole, TemplateID: "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7",
			Assignments: []AppRoleAssignment{{ID: assignment, PrincipalID: alice, PrincipalType: "User", AppRoleID: spRole, CreatedDateTime: "2021-02-02T04:22:45Z"}},
			Properties: map[string]any{"customSecurityAttributes": map[string]any{"Engineering": map[string]any{
				"@odata.type": "#microsoft.graph.customSecurityAttributeValue", "Project@odata.type": "#Collection(String)", "Project": []any{"Baker", "Cascade"}}}}})
}

var servicePrincipalPages = []docPage{
	{
		// The default property set, as the page's response shows it.
		page:     "serviceprincipal-list.md",
		setup:    withServicePrincipals,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: "/v1.0/servicePrincipals", status: 200,
				contains: []string{`$metadata#servicePrincipals"`, robot, spApp, `"accountEnabled":true`, `"appDisplayName":"Deploy robot"`,
					`"servicePrincipalNames":["` + robotAppID + `"]`, `"keyCredentials":[]`, `"passwordCredentials":[]`, `"replyUrls":[]`,
					`"info":{"logoUrl":null,"marketingUrl":null,"privacyStatementUrl":null,"supportUrl":null,"termsOfServiceUrl":null}`},
				absent: []string{"customSecurityAttributes", "Baker"}}},
		},
	},
	{
		page:  "serviceprincipal-get.md",
		setup: withServicePrincipals,
		examples: []string{
			"Example 1: Retrieve a service principal by its ID",
			"Example 2: Retrieve the specific properties of a service principal",
			"Example 3: Get the custom security attribute assignments of the specified service principal",
		},
		cases: map[string][]exchange{
			// By id, and by appId, the alternate key the page documents.
			"Example 1: Retrieve a service principal by its ID": {
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot, status: 200,
					contains: []string{`$metadata#servicePrincipals/$entity"`, `"appId":"` + robotAppID + `"`, `"appRoleAssignmentRequired":false`, `"tags":[]`}},
				{method: "GET", path: "/v1.0/servicePrincipals(appId='" + robotAppID + "')", status: 200, contains: []string{`"id":"` + robot + `"`}},
				{method: "GET", path: "/v1.0/servicePrincipals(appId='" + robotAppID + "')/", status: 200, contains: []string{`"id":"` + robot + `"`}},
				{method: "GET", path: "/v1.0/servicePrincipals(appId='" + spAppID + "')/appRoleAssignedTo", status: 200, contains: []string{assignment}},
				{method: "GET", path: "/v1.0/servicePrincipals(appId='5e000000-0000-4000-8000-0000000000ff')", status: 404},
			},
			"Example 2: Retrieve the specific properties of a service principal": {{method: "GET",
				path: "/v1.0/servicePrincipals/" + spApp + "?$select=id,appId,displayName,appRoles,oauth2PermissionScopes,resourceSpecificApplicationPermissions", status: 200,
				contains: []string{`$metadata#servicePrincipals(id,appId,displayName,appRoles,oauth2PermissionScopes,resourceSpecificApplicationPermissions)/$entity"`,
					`"value":"msiam_access"`, `"oauth2PermissionScopes":[]`, `"resourceSpecificApplicationPermissions":[]`},
				absent: []string{`"tags"`}}},
			// None assigned is null.
			"Example 3: Get the custom security attribute assignments of the specified service principal": {
				{method: "GET", path: "/v1.0/servicePrincipals/" + spApp + "?$select=customSecurityAttributes", status: 200,
					contains: []string{`$metadata#servicePrincipals(customSecurityAttributes)/$entity"`, `"Project":["Baker","Cascade"]`}},
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot + "?$select=customSecurityAttributes", status: 200,
					contains: []string{`"customSecurityAttributes":null`}},
			},
		},
	},
	{
		page:  "serviceprincipal-update.md",
		setup: withServicePrincipals,
		examples: []string{
			"Example 1: Update properties of the specified service principal",
			"Example 2: Assign a custom security attribute with a string value to a service principal",
		},
		cases: map[string][]exchange{
			// Also by appId, and with the type annotation the SDKs add; a
			// read-only property is refused.
			"Example 1: Update properties of the specified service principal": {
				{method: "PATCH", path: "/v1.0/servicePrincipals/" + robot, body: `{"appRoleAssignmentRequired":true}`, status: 204},
				{method: "PATCH", path: "/v1.0/servicePrincipals/" + robot, body: `{"@odata.type":"#microsoft.graph.servicePrincipal","description":"typed, as the SDKs send it"}`, status: 204},
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot + "?$select=appRoleAssignmentRequired", status: 200, contains: []string{`"appRoleAssignmentRequired":true`}},
				{method: "PATCH", path: "/v1.0/servicePrincipals(appId='" + robotAppID + "')", body: `{"notes":"deploys"}`, status: 204},
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot, status: 200, contains: []string{`"notes":"deploys"`, `"appRoleAssignmentRequired":true`}},
				{method: "PATCH", path: "/v1.0/servicePrincipals/" + robot, body: `{"appId":"5e000000-0000-4000-8000-0000000000ff"}`, status: 400},
			},
			// Another attribute set is added beside Engineering's; a null
			// removes an attribute.
			"Example 2: Assign a custom security attribute with a string value to a service principal": {
				{method: "PATCH", path: "/v1.0/servicePrincipals/" + spApp, status: 204,
					body: `{"customSecurityAttributes":{"Engineering":{"@odata.type":"#Microsoft.DirectoryServices.CustomSecurityAttributeValue","ProjectDate":"2022-10-01"}}}`},
				{method: "GET", path: "/v1.0/servicePrincipals/" + spApp + "?$select=customSecurityAttributes", status: 200,
					contains: []string{`"ProjectDate":"2022-10-01"`, `"Project":["Baker","Cascade"]`}},
				{method: "PATCH", path: "/v1.0/servicePrincipals/" + spApp, status: 204,
					body: `{"customSecurityAttributes":{"Engineering":{"@odata.type":"#Microsoft.DirectoryServices.CustomSecurityAttributeValue","Project":null}}}`},
				{method: "GET", path: "/v1.0/servicePrincipals/" + spApp + "?$select=customSecurityAttributes", status: 200,
					contains: []string{`"ProjectDate":"2022-10-01"`}, absent: []string{"Baker"}},
			},
		},
	},
	{
		page:     "serviceprincipal-list-approleassignedto.md",
		setup:    withServicePrincipals,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: "/v1.0/servicePrincipals/" + spApp + "/appRoleAssignedTo", status: 200,
				contains: []string{`$metadata#servicePrincipals('` + spApp + `')/appRoleAssignedTo"`, `"id":"` + assignment + `"`, `"deletedDateTime":null`,
					`"createdDateTime":"2021-02-02T04:22:45Z"`, `"principalDisplayName":"Alice"`, `"principalType":"User"`,
					`"resourceDisplayName":"Fabrikam App"`, `"resourceId":"` + spApp + `"`}}},
		},
	},
	{
		// Users and groups take the application's role; a resource with
		// none takes the default role, and a client service principal
		// only that.
		page:     "serviceprincipal-post-approleassignedto.md",
		setup:    withServicePrincipals,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: "/v1.0/servicePrincipals/" + spApp + "/appRoleAssignedTo", status: 201,
					body:     `{"principalId":"` + finance + `","resourceId":"` + spApp + `","appRoleId":"` + spRole + `"}`,
					contains: []string{`$metadata#servicePrincipals('` + spApp + `')/appRoleAssignedTo/$entity"`, `"principalType":"Group"`, `"principalDisplayName":"Finance"`, `"createdDateTime":"`}},
				{method: "POST", path: "/v1.0/servicePrincipals/" + robot + "/appRoleAssignedTo", status: 201,
					body:     `{"principalId":"` + spApp + `","resourceId":"` + robot + `","appRoleId":"00000000-0000-0000-0000-000000000000"}`,
					contains: []string{`"principalType":"ServicePrincipal"`, `"principalDisplayName":"Fabrikam App"`}},
				{method: "POST", path: "/v1.0/servicePrincipals/" + spApp + "/appRoleAssignedTo", status: 400,
					body: `{"principalId":"` + robot + `","resourceId":"` + spApp + `","appRoleId":"` + spRole + `"}`},
			},
		},
	},
	{
		page:     "serviceprincipal-delete-approleassignedto.md",
		setup:    withServicePrincipals,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "DELETE", path: "/v1.0/servicePrincipals/" + spApp + "/appRoleAssignedTo/" + assignment, status: 204},
				{method: "GET", path: "/v1.0/servicePrincipals/" + spApp + "/appRoleAssignedTo", status: 200, absent: []string{assignment}},
				{method: "DELETE", path: "/v1.0/servicePrincipals/" + spApp + "/appRoleAssignedTo/" + assignment, status: 404},
			},
		},
	},
	{
		// The default property set; what the emulator does not know is
		// null or empty.
		page:     "organization-list.md",
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: "/v1.0/organization", status: 200,
				contains: []string{`$metadata#organization"`, `"tenantType":"AAD"`, `"businessPhones":[]`, `"city":null`,
					`"capabilities":"Email, OfficeCommunicationsOnline"`, `"isInitial":true`, `"technicalNotificationMails":[]`}}},
		},
	},
	{
		page:     "organization-get.md",
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: "/v1.0/organization/8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10", status: 200,
					contains: []string{`$metadata#organization/$entity"`, `"id":"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"`, `"verifiedDomains":[`, `"onPremisesSyncEnabled":null`}},
				{method: "GET", path: "/v1.0/organization/dcd219dd-bc68-4b9b-bf0b-4a33a796be35", status: 404},
			},
		},
	},
}

package sim

// The synchronization pages, replayed on a cross-tenant synchronization
// app: the pages' examples name other gallery apps (Box, Salesforce),
// whose templates and credentials the emulator does not have; where an
// example depends on them, the case shows the refusal and then the
// cross-tenant counterpart.
const (
	syncApp = "5e000000-0000-4000-8000-0000000000d1"
	syncJob = "Azure2Azure.0123456789abcdef0123456789abcdef.5e000000000040008000000000000d1"
	jobs    = "/v1.0/servicePrincipals/" + syncApp + "/synchronization/jobs"
)

// withSyncApp sets up a configuration app with saved cross-tenant
// credentials and one job, created and not started.
func withSyncApp(st *State) {
	st.ServicePrincipals = append(st.ServicePrincipals, &ServicePrincipal{ID: syncApp, AppID: "5e000000-0000-4000-8000-0000000000d2",
		DisplayName: "Fabrikam sync", TemplateID: CrossTenantSyncTemplate, AppRoleID: "5e000000-0000-4000-8000-0000000000d3",
		Synchronization: &Synchronization{
			Secrets: map[string]string{"CompanyId": partnerA, "AuthenticationType": "SyncPolicy"},
			Jobs:    []*SyncJob{{ID: syncJob, TemplateID: "Azure2Azure", Interval: "PT40M", State: "Disabled", Code: "Paused"}},
		}})
}

// withAssignedSyncApp is withSyncApp with the Finance group assigned, so
// Alice, its member, is in the job's scope and Bob is not.
func withAssignedSyncApp(st *State) {
	withSyncApp(st)
	sp := st.ServicePrincipals[len(st.ServicePrincipals)-1]
	sp.Assignments = []AppRoleAssignment{{ID: "5e000000-0000-4000-8000-0000000000d4", PrincipalID: finance, PrincipalType: "Group", AppRoleID: sp.AppRoleID}}
}

// withSyncAndOtherApps adds apps that do not provision to withSyncApp.
func withSyncAndOtherApps(st *State) {
	withSyncApp(st)
	withServicePrincipals(st)
}

// The pages' schema, made JSON: the Update page's body has trailing commas
// and a directory without objects.
const salesforceSchema = `{"directories":[{"name":"Azure Active Directory","objects":[{"name":"User","attributes":[{"name":"userPrincipalName","type":"string"}]}]},{"name":"Salesforce"}],` +
	`"synchronizationRules":[{"name":"USER_TO_USER","sourceDirectoryName":"Azure Active Directory","targetDirectoryName":"Salesforce",` +
	`"objectMappings":[{"sourceObjectName":"User","targetObjectName":"User","attributeMappings":[{"source":{},"targetAttributeName":"userName"}]}]}]}`

var synchronizationPages = []docPage{
	{
		// The page's template is the non-gallery one it names.
		page:     "applicationtemplate-instantiate.md",
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: "/v1.0/applicationTemplates/" + NonGalleryTemplate + "/instantiate", body: `{"displayName":"My custom name"}`, status: 201,
					contains: []string{`$metadata#microsoft.graph.applicationServicePrincipal"`, `"application":{`, `"servicePrincipal":{`,
						`"displayName":"My custom name"`, `"applicationTemplateId":"` + NonGalleryTemplate + `"`, `"signInAudience":"AzureADMyOrg"`, `"keyCredentials":[]`}},
				{method: "POST", path: "/v1.0/applicationTemplates/0b0c0d0e-0000-4000-8000-000000000001/instantiate", body: `{"displayName":"x"}`, status: 404},
			},
		},
	},
	{
		page:     "synchronization-synchronization-post-jobs.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			// BoxOutDelta is not among this app's templates.
			"Request": {
				{method: "POST", path: jobs, body: `{"templateId":"BoxOutDelta"}`, status: 400},
				{method: "POST", path: jobs, body: `{"templateId":"Azure2Azure"}`, status: 201,
					contains: []string{`"templateId":"Azure2Azure"`, `"schedule":{"expiration":null,"interval":"PT40M","state":"Disabled"}`,
						`"countSuccessiveCompleteFailures":0`, `"escrowsPruned":false`, `"lastExecution":null`, `"lastSuccessfulExecutionWithExports":null`,
						`"steadyStateFirstAchievedTime":"0001-01-01T00:00:00Z"`, `"synchronizedEntryCountByType":[]`}},
			},
		},
	},
	{
		// The page ends the path with a slash.
		page:     "synchronization-synchronizationjob-get.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: jobs + "/" + syncJob + "/", status: 200,
				contains: []string{`"id":"` + syncJob + `"`, `"code":"Paused"`, `"progress":[]`, `"steadyStateLastAchievedTime":"0001-01-01T00:00:00Z"`,
					`"synchronizationJobSettings":[`}}},
		},
	},
	{
		page:     "synchronization-synchronizationjob-start.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: jobs + "/" + syncJob + "/start", status: 204},
				{method: "GET", path: jobs + "/" + syncJob, status: 200, contains: []string{`"state":"Active"`, `"code":"NotRun"`}},
			},
		},
	},
	{
		page:     "synchronization-synchronizationjob-restart.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: jobs + "/" + syncJob + "/restart", body: `{"criteria":{"resetScope":"Watermark, Escrows, QuarantineState"}}`, status: 204},
				{method: "GET", path: jobs + "/" + syncJob, status: 200, contains: []string{`"lastExecution":null`}},
			},
		},
	},
	{
		// The page's body leaves its keys unquoted, which is not JSON;
		// quoted, its user name and password are not how a cross-tenant
		// app authenticates, and its own credentials are valid.
		page:     "synchronization-synchronizationjob-validatecredentials.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: jobs + "/" + syncJob + "/validateCredentials", status: 400,
					body: `{ credentials: [ { key: "UserName", value: "user@domain.com" }, { key: "Password", value: "password-value" } ] }`},
				{method: "POST", path: jobs + "/" + syncJob + "/validateCredentials", status: 400,
					body:     `{"credentials":[{"key":"UserName","value":"user@domain.com"},{"key":"Password","value":"password-value"}]}`,
					contains: []string{`"code":"CredentialValidationUnavailable"`}},
				{method: "POST", path: jobs + "/" + syncJob + "/validateCredentials", status: 204,
					body: `{"credentials":[{"key":"CompanyId","value":"` + partnerA + `"},{"key":"AuthenticationType","value":"SyncPolicy"}]}`},
				{method: "POST", path: jobs + "/" + syncJob + "/validateCredentials", status: 204, body: `{"useSavedCredentials":true}`},
			},
		},
	},
	{
		page:     "synchronization-serviceprincipal-put-synchronization.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "PUT", path: "/v1.0/servicePrincipals/" + syncApp + "/synchronization/secrets", status: 204,
					body: `{"value":[{"key":"BaseAddress","value":"user@domain.com"},{"key":"SecretToken","value":"password-value"},{"key":"SyncNotificationSettings","value":"{\"Enabled\":false,\"DeleteThresholdEnabled\":false}"},{"key":"SyncAll","value":"false"}]}`},
				{method: "PUT", path: "/v1.0/servicePrincipals/" + syncApp + "/synchronization/secrets", status: 400,
					body: `{"value":[{"key":"NoSuchSecret","value":"x"}]}`},
			},
		},
	}, {
		// A paused job starts again from where it was.
		page:     "synchronization-synchronizationjob-pause.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "POST", path: jobs + "/" + syncJob + "/start", status: 204},
				{method: "POST", path: jobs + "/" + syncJob + "/pause", status: 204},
				{method: "GET", path: jobs + "/" + syncJob, status: 200, contains: []string{`"state":"Paused"`, `"code":"Paused"`}},
			},
		},
	},
	{
		// The page ends the path with a slash.
		page:     "synchronization-synchronizationjob-delete.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "DELETE", path: jobs + "/" + syncJob + "/", status: 204},
				{method: "GET", path: jobs + "/" + syncJob, status: 404},
				{method: "GET", path: jobs, status: 200, absent: []string{syncJob}},
			},
		},
	},
	{
		// The page ends the path with a slash and shows a gallery app's job.
		page:     "synchronization-synchronization-list-jobs.md",
		setup:    withSyncAndOtherApps,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: jobs + "/", status: 200,
					contains: []string{`"id":"` + syncJob + `"`, `"templateId":"Azure2Azure"`, `"code":"Paused"`, `"lastSuccessfulExecution":null`,
						`"lastSuccessfulExecutionWithExports":null`, `"quarantine":null`, `"steadyStateFirstAchievedTime":"0001-01-01T00:00:00Z"`}},
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot + "/synchronization/jobs", status: 200, contains: []string{`"value":[]`}},
			},
		},
	},
	{
		// The page lists a Slack app's template; this app's is Azure2Azure,
		// carrying its schema as the example does. An app that does not
		// provision has none.
		page:     "synchronization-synchronization-list-templates.md",
		setup:    withSyncAndOtherApps,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: "/v1.0/servicePrincipals/" + syncApp + "/synchronization/templates", status: 200,
					contains: []string{`"id":"Azure2Azure"`, `"factoryTag":"Azure2Azure"`, `"applicationId":"5e000000-0000-4000-8000-0000000000d2"`,
						`"schema":{"directories":[`, `"synchronizationRules":[`}},
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot + "/synchronization/templates", status: 200, contains: []string{`"value":[]`}},
			},
		},
	},
	{
		page:     "synchronization-synchronizationtemplate-get.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: "/v1.0/servicePrincipals/" + syncApp + "/synchronization/templates/Slack", status: 404},
				{method: "GET", path: "/v1.0/servicePrincipals/" + syncApp + "/synchronization/templates/Azure2Azure", status: 200,
					contains: []string{`/synchronization/templates/$entity"`, `"id":"Azure2Azure"`, `"schema":{"directories":[`}},
			},
		},
	},
	{
		// The page's schema is a Salesforce job's; this job's directories
		// are the two tenants, its rule flows users between them, and the
		// template's schema reads the same.
		page:     "synchronization-synchronizationschema-get.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: jobs + "/" + syncJob + "/schema", status: 200,
					contains: []string{`"name":"Azure Active Directory"`, `"name":"User"`, `"name":"userPrincipalName"`,
						`"sourceDirectoryName":"Azure Active Directory"`, `"targetDirectoryName":"Azure Active Directory (target tenant)"`,
						`"sourceObjectName":"User"`, `"targetObjectName":"User"`, `"targetAttributeName":"displayName"`}},
				{method: "GET", path: "/v1.0/servicePrincipals/" + syncApp + "/synchronization/templates/Azure2Azure/schema", status: 200,
					contains: []string{`"sourceDirectoryName":"Azure Active Directory"`}},
			},
		},
	},
	{
		// The page's body has trailing commas, which is not JSON; made
		// JSON, it replaces the schema whole. A rule naming a directory the
		// schema leaves out is refused.
		page:     "synchronization-synchronizationschema-update.md",
		setup:    withSyncApp,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "PUT", path: jobs + "/" + syncJob + "/schema", status: 400,
					body: `{"directories":[{"name":"Salesforce",}],"synchronizationRules":[{"name":"USER_TO_USER",},]}`},
				{method: "PUT", path: jobs + "/" + syncJob + "/schema", body: salesforceSchema, status: 204},
				{method: "GET", path: jobs + "/" + syncJob + "/schema", status: 200,
					contains: []string{`"targetDirectoryName":"Salesforce"`, `"targetAttributeName":"userName"`}, absent: []string{"target tenant"}},
				{method: "PUT", path: jobs + "/" + syncJob + "/schema", status: 400, contains: []string{`targetDirectoryName 'Salesforce'`},
					body: `{"directories":[{"name":"Azure Active Directory"}],"synchronizationRules":[{"name":"USER_TO_USER","sourceDirectoryName":"Azure Active Directory","targetDirectoryName":"Salesforce"}]}`},
			},
		},
	},
	{
		// The pages' jobs and rules are other apps'; on this job, its own
		// rule provisions Alice (in scope through Finance) and skips Bob.
		// The answer takes the cross-tenant guide's shape (see
		// provisionOnDemand). An Active Directory name is no user here, and
		// Azure2Azure provisions no groups.
		page:  "synchronization-synchronizationjob-provisionondemand.md",
		setup: withAssignedSyncApp,
		examples: []string{
			"Example 1: Provision users from Microsoft Entra ID to third-party applications",
			"Example 2: Sync on-demand from Active Directory to Microsoft Entra ID (Microsoft Entra Cloud Sync)",
			"Example 3: Provision a group and two of its members on demand",
		},
		cases: map[string][]exchange{
			"Example 1: Provision users from Microsoft Entra ID to third-party applications": {
				{method: "POST", path: jobs + "/" + syncJob + "/provisionOnDemand", status: 400, contains: []string{`no synchronization rule 'ea807875-5618-4f0a-9125-0b46a05298ca'`},
					body: `{"parameters":[{"subjects":[{"objectId":"` + alice + `","objectTypeName":"User"}],"ruleId":"ea807875-5618-4f0a-9125-0b46a05298ca"}]}`},
				{method: "POST", path: jobs + "/" + syncJob + "/provisionOnDemand", status: 200,
					body:     `{"parameters":[{"subjects":[{"objectId":"` + alice + `","objectTypeName":"User"}],"ruleId":"USER_INBOUND_USER"}]}`,
					contains: []string{`$metadata#microsoft.graph.stringKeyStringValuePair"`, `EntryImport`, `EntryExportAdd`}},
				{method: "POST", path: jobs + "/" + syncJob + "/provisionOnDemand", status: 200,
					body:     `{"parameters":[{"subjects":[{"objectId":"` + bob + `","objectTypeName":"User"}],"ruleId":"USER_INBOUND_USER"}]}`,
					contains: []string{`not assigned`}, absent: []string{`EntryExportAdd`}},
			},
			"Example 2: Sync on-demand from Active Directory to Microsoft Entra ID (Microsoft Entra Cloud Sync)": {
				{method: "POST", path: jobs + "/" + syncJob + "/provisionOnDemand", status: 404,
					body: `{"parameters":[{"ruleId":"USER_INBOUND_USER","subjects":[{"objectId":"CN=AdeleV,CN=Users,DC=corp,DC=chicago,DC=com","objectTypeName":"user"}]}]}`},
			},
			"Example 3: Provision a group and two of its members on demand": {
				{method: "POST", path: jobs + "/" + syncJob + "/provisionOnDemand", status: 400, contains: []string{`does not provision objects of type 'Group'`},
					body: `{"parameters":[{"ruleId":"USER_INBOUND_USER","subjects":[{"objectId":"` + finance + `","objectTypeName":"Group","links":{"members":[{"objectId":"` + alice + `","objectTypeName":"User"}]}}]}]}`},
			},
		},
	},
}

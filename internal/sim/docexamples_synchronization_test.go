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
}

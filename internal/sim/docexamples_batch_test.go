package sim

// batchPages are the JSON batching guide.
var batchPages = []docPage{
	{
		page: "concepts/json-batching.md",
		examples: []string{
			"Example JSON batch request",
			"Sequencing requests with the dependsOn property",
		},
		cases: map[string][]exchange{
			// The guide's five requests, on this tenant: /me needs a
			// signed-in user; the group exists and this caller may
			// delete it; the beta-only action is 405 under v1.0; the
			// last url has no leading slash and unencoded spaces.
			"Example JSON batch request": {{method: "POST", path: "/v1.0/$batch", status: 200,
				body: `{"requests":[{"id":"1","method":"GET","url":"/me/memberOf"},{"id":"2","method":"GET","url":"/me/planner/tasks"},` +
					`{"id":"3","method":"DELETE","url":"/groups/` + finance + `"},` +
					`{"id":"4","url":"/users/` + alice + `/getPasswordSingleSignOnCredentials","method":"POST","body":{},"headers":{"Content-Type":"application/json"}},` +
					`{"id":"5","url":"users?$select=id,displayName,userPrincipalName&$filter=city eq null&$count=true","method":"GET","headers":{"ConsistencyLevel":"eventual"}}]}`,
				contains: []string{`{"id":"1","status":400`, `{"id":"2","status":400`, `{"id":"3","status":204`,
					`{"id":"4","status":405`, "Specified HTTP method is not allowed for the request target.",
					`{"id":"5","status":200`, `"x-ms-resource-unit":"`, `$metadata#users(id,displayName,userPrincipalName)"`, `"@odata.count":3`}}},
			// 1, then 2, then 4, then 3; when 2 fails, 4 and 3 fail
			// with 424.
			"Sequencing requests with the dependsOn property": {{method: "POST", path: "/v1.0/$batch", status: 200,
				body: `{"requests":[{"id":"1","method":"GET","url":"/users/` + alice + `?$select=id"},` +
					`{"id":"2","dependsOn":["1"],"method":"GET","url":"/groups/` + deviceA + `"},` +
					`{"id":"4","dependsOn":["2"],"method":"GET","url":"/groups/` + sales + `"},` +
					`{"id":"3","dependsOn":["4"],"method":"GET","url":"/groups/` + m365 + `"}]}`,
				contains: []string{`{"id":"1","status":200`, `{"id":"2","status":404`, `{"id":"4","status":424`, `{"id":"3","status":424`}}},
		},
	},
}

package sim

// extensionPages are the open extension pages. Their examples use
// Outlook resources; the emulator keeps open extensions on groups and the
// organization, so an example that adds one to an existing resource is
// replayed on a group.
var extensionPages = []docPage{
	{
		page:     "opentypeextension-post-opentypeextension.md",
		examples: []string{"Request 1", "Request 2", "Request 3", "Request 4", "Request 5"},
		notServed: map[string]string{
			"Request 1": "creates a message together with its extension",
			"Request 4": "replies to a group post",
			"Request 5": "creates a group conversation",
		},
		cases: map[string][]exchange{
			// A directory object's open extension is named by its
			// extensionName, unlike an Outlook item's, whose id is
			// prefixed by the type.
			"Request 2": {
				{method: "POST", path: "/v1.0/groups/" + finance + "/extensions", status: 201,
					body: `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"Com.Contoso.Referral","companyName":"Wingtip Toys","dealValue":500050,"expirationDate":"2015-12-03T10:00:00.000Z"}`,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups('` + finance + `')/extensions/$entity"`,
						`"@odata.type":"#microsoft.graph.openTypeExtension"`, `"extensionName":"Com.Contoso.Referral"`, `"id":"Com.Contoso.Referral"`,
						`"dealValue":500050`, `"companyName":"Wingtip Toys"`}},
				{method: "POST", path: "/v1.0/groups/" + finance + "/extensions", status: 409,
					body: `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"Com.Contoso.Referral"}`},
			},
			"Request 3": {{method: "POST", path: "/v1.0/groups/" + sales + "/extensions", status: 201,
				body:     `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"Com.Contoso.Deal","companyName":"Alpine Skis","dealValue":1010100,"expirationDate":"2015-07-03T13:04:00.000Z","topPicks":["Employees only","Add family"]}`,
				contains: []string{`"id":"Com.Contoso.Deal"`, `"topPicks":["Employees only","Add family"]`}}},
		},
	}, {
		// The examples read Outlook items; each that has a directory
		// analogue is replayed on a group, which the page's syntax
		// section lists. For a directory object an extension's id is its
		// name, so the Outlook-qualified form has no counterpart.
		page:     "opentypeextension-get.md",
		setup:    withExtensions,
		examples: []string{"Request 1", "Request 2", "Request 3", "Request 4", "Request 5"},
		notServed: map[string]string{
			"Request 4": "reads a group post's extension",
			"Request 5": "filters messages by extension; the page's table offers that for Outlook items only, not for directory objects",
		},
		cases: map[string][]exchange{
			"Request 1": {{method: "GET", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Referral", status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups('` + finance + `')/extensions/$entity"`,
					`"@odata.type":"#microsoft.graph.openTypeExtension"`, `"id":"Com.Contoso.Referral"`, `"companyName":"Wingtip Toys"`, `"dealValue":500050`}}},
			// The page ends the path with a slash.
			"Request 2": {{method: "GET", path: "/v1.0/groups/" + sales + "/extensions/Com.Contoso.Deal/", status: 200,
				contains: []string{`"extensionName":"Com.Contoso.Deal"`, `"companyName":"Alpine Skis"`}}},
			// A directory object must also $select its id (the page's
			// syntax section); the filter keeps one of Finance's two.
			"Request 3": {{method: "GET", path: "/v1.0/groups/" + finance + "?$expand=extensions($filter=id%20eq%20'Com.Contoso.Referral')&$select=id,displayName", status: 200,
				contains: []string{`"extensions":[{`, `"id":"Com.Contoso.Referral"`, `"displayName":"Finance"`}, absent: []string{"Com.Contoso.Estimate"}}},
		},
	},
	{
		// An update replaces the extension's data: what the body leaves
		// out is deleted (the page's request body section).
		page:     "opentypeextension-update.md",
		setup:    withExtensions,
		examples: []string{"Request 1", "Request 2"},
		cases: map[string][]exchange{
			"Request 1": {
				{method: "PATCH", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Referral", status: 204,
					body: `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"Com.Contoso.Referral","companyName":"Wingtip Toys (USA)","dealValue":"500100","expirationDate":"2015-12-03T10:00:00.000Z","updated":"2015-10-29T11:00:00.000Z"}`},
				{method: "GET", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Referral", status: 200,
					contains: []string{`"companyName":"Wingtip Toys (USA)"`, `"updated":"2015-10-29T11:00:00.000Z"`}},
			},
			// Replayed on a group's extension rather than a post's; every
			// property is sent again, so only expirationDate changes.
			"Request 2": {
				{method: "PATCH", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Estimate", status: 204,
					body: `{"@odata.type":"Microsoft.OutlookServices.OpenTypeExtension","extensionName":"Com.Contoso.Estimate","companyName":"Contoso","expirationDate":"2016-07-30T11:00:00.000Z","DealValue":1010100,"topPicks":["Employees only","Add spouse or guest","Add family"]}`},
				{method: "GET", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Estimate", status: 200,
					contains: []string{`"expirationDate":"2016-07-30T11:00:00.000Z"`, `"DealValue":1010100`, `"topPicks":["Employees only","Add spouse or guest","Add family"]`}},
			},
		},
	},
	{
		page:     "opentypeextension-delete.md",
		setup:    withExtensions,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "DELETE", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Referral", status: 204},
				{method: "GET", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Referral", status: 404},
				{method: "GET", path: "/v1.0/groups/" + finance + "/extensions/Com.Contoso.Estimate", status: 200},
			},
		},
	},
}

// withExtensions gives Finance and Sales the extensions the pages read,
// with the pages' data.
func withExtensions(st *State) {
	st.Groups[0].Extensions = map[string]map[string]any{
		"Com.Contoso.Referral": {"companyName": "Wingtip Toys", "dealValue": 500050, "expirationDate": "2015-12-03T10:00:00Z"},
		"Com.Contoso.Estimate": {"companyName": "Contoso", "expirationDate": "2015-07-03T13:04:00Z", "DealValue": 1010100,
			"topPicks": []any{"Employees only", "Add spouse or guest", "Add family"}},
	}
	st.Groups[1].Extensions = map[string]map[string]any{
		"Com.Contoso.Deal": {"companyName": "Alpine Skis", "dealValue": 1010100, "expirationDate": "2015-07-03T13:04:00Z"},
	}
}

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
	},
}

package sim

// directoryObjectPages are the pages of directory objects addressed by id
// alone, whatever their type.
var directoryObjectPages = []docPage{
	{
		// The page's example is Alice's id; the answer is a user with the
		// user's default properties.
		page:     "directoryobject-get.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "GET", path: "/v1.0/directoryObjects/" + alice, status: 200,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity"`,
						`"@odata.type":"#microsoft.graph.user"`, `"id":"` + alice + `"`, `"businessPhones":[]`, `"userPrincipalName":"alice@contoso.com"`},
					absent: []string{`"accountEnabled"`}},
				{method: "GET", path: "/v1.0/directoryObjects/" + finance + "?$select=displayName", status: 200,
					contains: []string{`$metadata#directoryObjects(displayName)/$entity"`, `"@odata.type":"#microsoft.graph.group"`, `"displayName":"Finance"`}},
				{method: "GET", path: "/v1.0/directoryObjects/" + deviceA, status: 200, contains: []string{`"@odata.type":"#microsoft.graph.device"`}},
				{method: "GET", path: "/v1.0/directoryObjects/00000000-0000-4000-8000-0000000000ff", status: 404, contains: []string{"Request_ResourceNotFound"}},
			},
		},
	},
	{
		// The page's ids are not GUIDs; Alice and Bob stand in for them.
		// Finance is left out by types, and an unknown id is left out.
		page:     "directoryobject-getbyids.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "POST", path: "/v1.0/directoryObjects/getByIds",
					body:   `{"ids":["` + alice + `","` + bob + `","` + finance + `","00000000-0000-4000-8000-0000000000ff"],"types":["user"]}`,
					status: 200,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects"`,
						`"@odata.type":"#microsoft.graph.user"`, `"accountEnabled":true`, `"displayName":"Alice"`, `"displayName":"Bob"`},
					absent: []string{finance, "0000000000ff"}},
				{method: "POST", path: "/v1.0/directoryObjects/getByIds", body: `{"ids":["` + finance + `"],"types":["Group"]}`, status: 200,
					contains: []string{`"@odata.type":"#microsoft.graph.group"`, `"displayName":"Finance"`}},
				{method: "POST", path: "/v1.0/directoryObjects/getByIds", body: `{"ids":[]}`, status: 400},
			},
		},
	},
}

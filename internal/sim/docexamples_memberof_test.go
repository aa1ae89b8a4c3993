package sim

// memberOfPages are the pages of what users and groups are members of.
var memberOfPages = []docPage{
	{
		// Alice is in Finance and Leadership; Finance holds an app role.
		page: "user-list-memberof.md",
		setup: func(st *State) {
			st.ServicePrincipals = append(st.ServicePrincipals, &ServicePrincipal{ID: robot, AppID: "5e000000-0000-4000-8000-0000000000ab", DisplayName: "Payroll",
				Assignments: []AppRoleAssignment{{ID: "a1", PrincipalID: finance, PrincipalType: "Group", AppRoleID: "00000000-0000-0000-0000-000000000000"}}})
		},
		examples: []string{
			"Example 1: Get groups, directory roles, and administrative units that the user is a direct member of",
			"Example 2: Get only a count of all groups, directory roles, and administrative units that the user is a direct member of",
			"Example 3: Use OData cast to get only a count of group membership",
			"Example 4: Use $search and OData cast to get membership in groups with display names that contain the letters 'tier' including a count of returned objects",
			"Example 5: Use $filter and OData cast to get groups with a display name that starts with 'a' including a count of returned objects",
			"Example 6: Use $filter and OData cast to get groups with at least one app role assignment",
		},
		cases: map[string][]exchange{
			"Example 1: Get groups, directory roles, and administrative units that the user is a direct member of": {{method: "GET",
				path: "/v1.0/users/" + alice + "/memberOf", status: 200,
				contains: []string{`"@odata.type":"#microsoft.graph.group"`, `"displayName":"Finance"`, `"securityEnabled":true`, `"displayName":"Leadership"`},
				absent:   []string{sales}}},
			"Example 2: Get only a count of all groups, directory roles, and administrative units that the user is a direct member of": {{method: "GET",
				path: "/v1.0/users/" + alice + "/memberOf/$count", headers: eventual, status: 200, contains: []string{"2"}, header: map[string]string{"Content-Type": "text/plain"}}},
			"Example 3: Use OData cast to get only a count of group membership": {{method: "GET",
				path: "/v1.0/users/" + alice + "/memberOf/microsoft.graph.group/$count", headers: eventual, status: 200, contains: []string{"2"}}},
			"Example 4: Use $search and OData cast to get membership in groups with display names that contain the letters 'tier' including a count of returned objects": {{method: "GET",
				path: `/v1.0/users/` + alice + `/memberOf/microsoft.graph.group?$count=true&$orderby=displayName&$search="displayName:lead"&$select=displayName,id`, headers: eventual, status: 200,
				contains: []string{`$metadata#groups(displayName,id)"`, `"@odata.count":1`, m365}, absent: []string{finance}}},
			"Example 5: Use $filter and OData cast to get groups with a display name that starts with 'a' including a count of returned objects": {{method: "GET",
				path: "/v1.0/users/" + alice + "/memberOf/microsoft.graph.group?$count=true&$orderby=displayName&$filter=startswith(displayName,%20'f')", headers: eventual, status: 200,
				contains: []string{`$metadata#groups"`, `"@odata.count":1`, finance}, absent: []string{m365}}},
			// The page sends this cast and $filter without
			// ConsistencyLevel, though its own header table requires it
			// for both (and a reader found a cast without it ignored:
			// microsoft-graph-docs issue 17604). The emulator keeps to
			// the table.
			"Example 6: Use $filter and OData cast to get groups with at least one app role assignment": {
				{method: "GET", path: "/v1.0/users/" + alice + "/memberOf/microsoft.graph.group?$filter=appRoleAssignments/$count%20gt%200&$select=id,displayName", status: 400,
					contains: []string{"ConsistencyLevel"}},
				{method: "GET", path: "/v1.0/users/" + alice + "/memberOf/microsoft.graph.group?$filter=appRoleAssignments/$count%20gt%200&$select=id,displayName&$count=true",
					headers: eventual, status: 200, contains: []string{`$metadata#groups(id,displayName)"`, finance}, absent: []string{m365}},
			},
		},
	},
	{
		// Finance, which holds Alice, is nested in Sales.
		page:  "user-list-transitivememberof.md",
		setup: func(st *State) { st.Groups[1].Members = []string{finance} },
		examples: []string{
			"Example 1: Get groups, directory roles, and administrative units that the user is a member of",
			"Example 2: Get only a count of transitive membership in groups, directory roles, and administrative units",
			"Example 3: Use OData cast to get only a count of transitive membership in groups",
			"Example 4: Use $search and OData cast to get transitive membership in groups with display names that contain the letters 'tier' including a count of returned objects",
			"Example 5: Use $filter and OData cast to get transitive membership in groups with a display name that starts with 'a' including a count of returned objects",
		},
		cases: map[string][]exchange{
			"Example 1: Get groups, directory roles, and administrative units that the user is a member of": {{method: "GET",
				path: "/v1.0/users/" + alice + "/transitiveMemberOf", status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects"`, `"@odata.type":"#microsoft.graph.group"`, finance, m365, sales}}},
			"Example 2: Get only a count of transitive membership in groups, directory roles, and administrative units": {{method: "GET",
				path: "/v1.0/users/" + alice + "/transitiveMemberOf/$count", headers: eventual, status: 200, contains: []string{"3"}}},
			"Example 3: Use OData cast to get only a count of transitive membership in groups": {{method: "GET",
				path: "/v1.0/users/" + alice + "/transitiveMemberOf/microsoft.graph.group/$count", headers: eventual, status: 200, contains: []string{"3"}}},
			"Example 4: Use $search and OData cast to get transitive membership in groups with display names that contain the letters 'tier' including a count of returned objects": {{method: "GET",
				path: `/v1.0/users/` + alice + `/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$search="displayName:sales"&$select=displayName,id`, headers: eventual, status: 200,
				contains: []string{`$metadata#groups(displayName,id)"`, `"@odata.count":1`, sales}, absent: []string{finance}}},
			"Example 5: Use $filter and OData cast to get transitive membership in groups with a display name that starts with 'a' including a count of returned objects": {{method: "GET",
				path: "/v1.0/users/" + alice + "/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$filter=startswith(displayName,%20's')", headers: eventual, status: 200,
				contains: []string{`$metadata#groups"`, `"@odata.count":1`, sales}, absent: []string{finance, m365}}},
		},
	},
	{
		// Finance is nested in Sales and in Leadership; DeviceA is in
		// Sales too.
		page: "group-list-memberof.md",
		setup: func(st *State) {
			st.Groups[1].Members = []string{finance, deviceA}
			st.Groups[2].Members = append(st.Groups[2].Members, finance)
		},
		examples: []string{
			"Example 1: Get groups and administrative units that the group is a direct member of",
			"Example 2: Get only a count of all memberships",
			"Example 3: Use OData cast to get only a count of group membership",
			"Example 4: Use OData cast and $search to get membership with display names that contain the letters 'Video' including a count of returned objects",
			"Example 5: Use OData cast and $filter to get membership with a display name that starts with the letter 'A' including a count of returned objects",
		},
		cases: map[string][]exchange{
			"Example 1: Get groups and administrative units that the group is a direct member of": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/memberOf", status: 200,
				contains: []string{`"@odata.type":"#microsoft.graph.group"`, sales, m365, `"mailNickname":"sales"`}, absent: []string{`"id":"` + finance}}},
			"Example 2: Get only a count of all memberships": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/memberOf/$count", headers: eventual, status: 200, contains: []string{"2"}}},
			// The page counts a device's memberships here.
			"Example 3: Use OData cast to get only a count of group membership": {{method: "GET",
				path: "/v1.0/devices/" + deviceA + "/memberOf/microsoft.graph.group/$count", headers: eventual, status: 200, contains: []string{"1"}}},
			"Example 4: Use OData cast and $search to get membership with display names that contain the letters 'Video' including a count of returned objects": {{method: "GET",
				path: `/v1.0/groups/` + finance + `/memberOf/microsoft.graph.group?$count=true&$orderby=displayName&$search="displayName:lead"`, headers: eventual, status: 200,
				contains: []string{`$metadata#groups"`, `"@odata.count":1`, m365}, absent: []string{sales}}},
			"Example 5: Use OData cast and $filter to get membership with a display name that starts with the letter 'A' including a count of returned objects": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/memberOf/microsoft.graph.group?$count=true&$orderby=displayName&$filter=startswith(displayName,%20'S')", headers: eventual, status: 200,
				contains: []string{`$metadata#groups"`, `"@odata.count":1`, sales}, absent: []string{m365}}},
		},
	},
	{
		// Finance is in Sales, and Sales in Leadership.
		page: "group-list-transitivememberof.md",
		setup: func(st *State) {
			st.Groups[1].Members = []string{finance}
			st.Groups[2].Members = append(st.Groups[2].Members, sales)
		},
		examples: []string{
			"Example 1: Get groups and administrative units that the group is a transitive member of",
			"Example 2: Get only a count of all transitive membership",
			"Example 3: Use OData cast to get only a count of transitive membership in groups",
			"Example 4: Use OData cast and $search to get membership in groups with display names that contain the letters 'tier' including a count of returned objects",
			"Example 5: Use OData cast and $filter to get membership with a display name that starts with 'A' including a count of returned objects",
		},
		cases: map[string][]exchange{
			"Example 1: Get groups and administrative units that the group is a transitive member of": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/transitiveMemberOf", status: 200,
				contains: []string{`"@odata.type":"#microsoft.graph.group"`, sales, m365}, absent: []string{`"id":"` + finance}}},
			"Example 2: Get only a count of all transitive membership": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/transitiveMemberOf/$count", headers: eventual, status: 200, contains: []string{"2"}}},
			"Example 3: Use OData cast to get only a count of transitive membership in groups": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/transitiveMemberOf/microsoft.graph.group/$count", headers: eventual, status: 200, contains: []string{"2"}}},
			"Example 4: Use OData cast and $search to get membership in groups with display names that contain the letters 'tier' including a count of returned objects": {{method: "GET",
				path: `/v1.0/groups/` + finance + `/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$search="displayName:lead"&$select=displayName,id`, headers: eventual, status: 200,
				contains: []string{`$metadata#groups(displayName,id)"`, `"@odata.count":1`, m365}, absent: []string{sales}}},
			"Example 5: Use OData cast and $filter to get membership with a display name that starts with 'A' including a count of returned objects": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$filter=startswith(displayName,%20'l')", headers: eventual, status: 200,
				contains: []string{`$metadata#groups"`, `"@odata.count":1`, m365}, absent: []string{sales}}},
		},
	},
}

package sim

// groupPages are the documentation pages of the group collection and the
// group entity.
var groupPages = []docPage{
	{
		page: "group-list.md",
		examples: []string{
			"Example 1: Get a list of groups",
			"Example 2: Get a filtered list of groups including the count of returned objects",
			"Example 3: Get only a count of groups",
			"Example 4: Use $filter and $top to get one group with a display name that starts with 'a' including a count of returned objects",
			"Example 5: Use $search to get groups with display names that contain the letters 'Video' or a description that contains the letters 'prod' including a count of returned objects",
			"Example 6: List dynamic security groups",
			"Example 7: List any groups with any licenses and get the group's members",
		},
		cases: map[string][]exchange{
			// Every default property comes back, unset ones null or [].
			"Example 1: Get a list of groups": {{method: "GET", path: "/v1.0/groups", status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups"`, `"deletedDateTime":null`,
					`"classification":null`, `"isAssignableToRole":null`, `"membershipRule":null`, `"onPremisesSyncEnabled":null`,
					`"preferredLanguage":null`, `"resourceBehaviorOptions":[]`, `"resourceProvisioningOptions":[]`, `"theme":null`,
					`"onPremisesProvisioningErrors":[]`, `"groupTypes":["Unified"]`}}},
			// hasMembersWithLicenseErrors filters but is never returned.
			// Sent as the page (this version) does, with ConsistencyLevel,
			// Graph refuses it: a reader reported so on the page's
			// repository (microsoft-graph-docs-contrib pull request 9437),
			// and the page now sends neither header nor $count.
			"Example 2: Get a filtered list of groups including the count of returned objects": {
				{method: "GET", path: "/v1.0/groups?$count=true&$filter=hasMembersWithLicenseErrors+eq+true&$select=id,displayName", headers: eventual, status: 400,
					contains: []string{`"code":"Request_UnsupportedQuery"`, "hasMembersWithLicenseErrors"}},
				{method: "GET", path: "/v1.0/groups?$filter=hasMembersWithLicenseErrors+eq+true&$select=id,displayName", status: 200,
					contains: []string{`$metadata#groups(id,displayName)"`, m365}, absent: []string{finance, "hasMembersWithLicenseErrors"}},
				{method: "GET", path: "/v1.0/groups/" + m365 + "?$select=id,hasMembersWithLicenseErrors", status: 200, absent: []string{`"hasMembersWithLicenseErrors":`}},
			},
			"Example 3: Get only a count of groups": {{method: "GET", path: "/v1.0/groups/$count", headers: eventual, status: 200,
				contains: []string{"4"}, header: map[string]string{"Content-Type": "text/plain"}}},
			// Three groups start with 's'; the one created last sorts
			// first, and $top=1 leaves it alone on the page.
			"Example 4: Use $filter and $top to get one group with a display name that starts with 'a' including a count of returned objects": {
				{method: "POST", path: "/v1.0/groups", body: `{"displayName":"Sa archive","mailNickname":"sa-archive","mailEnabled":false,"securityEnabled":true}`, status: 201},
				{method: "GET", path: "/v1.0/groups?$filter=startswith(displayName,%20's')&$count=true&$top=1&$orderby=displayName", headers: eventual, status: 200,
					contains: []string{`$metadata#groups"`, `"@odata.count":3`, `"displayName":"Sa archive"`, "@odata.nextLink"}, absent: []string{sales, dyn}},
			},
			"Example 5: Use $search to get groups with display names that contain the letters 'Video' or a description that contains the letters 'prod' including a count of returned objects": {
				{method: "PATCH", path: "/v1.0/groups/" + sales, body: `{"description":"Sales production"}`, status: 204},
				{method: "GET", path: `/v1.0/groups?$search="displayName:Lead"%20OR%20"description:prod"&$orderby=displayName&$count=true`, headers: eventual, status: 200,
					contains: []string{`"@odata.count":2`, m365, sales}, absent: []string{finance, dyn}},
			},
			"Example 6: List dynamic security groups": {{method: "GET",
				path:    "/v1.0/groups?$filter=mailEnabled%20eq%20false%20and%20securityEnabled%20eq%20true%20and%20NOT(groupTypes/any(s:s%20eq%20'Unified'))%20and%20membershipRuleProcessingState%20eq%20'On'&$count=true&$select=id,membershipRule,membershipRuleProcessingState",
				headers: eventual, status: 200,
				contains: []string{`$metadata#groups(id,membershipRule,membershipRuleProcessingState)"`, `"@odata.count":1`, dyn, `"membershipRuleProcessingState":"On"`},
				absent:   []string{finance, sales}}},
			// The expanded members carry their type and the nested $select.
			"Example 7: List any groups with any licenses and get the group's members": {{method: "GET",
				path: "/v1.0/groups?$select=id,assignedLicenses&$filter=assignedLicenses/any()&$expand=members($select=id,displayName)", status: 200,
				contains: []string{`$metadata#groups(id,assignedLicenses,members())"`, m365, `"skuId":"184efa21-98c3-4e5d-95ab-d07053a96e67"`,
					`"members":[{"@odata.type":"#microsoft.graph.user","displayName":"Alice","id":"` + alice + `"}]`},
				absent: []string{finance, `"userPrincipalName"`}}},
		},
	},
	{
		page: "group-get.md",
		examples: []string{
			"Example 1: Return all default properties",
			"Example 2: Return additional properties by using $select",
		},
		cases: map[string][]exchange{
			"Example 1: Return all default properties": {{method: "GET", path: "/v1.0/groups/" + m365, status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups/$entity"`, `"id":"` + m365 + `"`,
					`"onPremisesDomainName":null`, `"onPremisesSamAccountName":null`, `"securityIdentifier":"S-1-12-1-`,
					`"resourceProvisioningOptions":[]`, `"onPremisesProvisioningErrors":[]`},
				absent: []string{`"assignedLicenses"`, "hasMembersWithLicenseErrors"}}},
			// The context names the selection before /$entity. These
			// mailbox properties are the signed-in user's view of a
			// Microsoft 365 group, which an app-only emulator does not
			// have: they come back null.
			"Example 2: Return additional properties by using $select": {{method: "GET",
				path: "/v1.0/groups/" + m365 + "?$select=allowExternalSenders,autoSubscribeNewMembers,isSubscribedByMail,unseenCount", status: 200,
				contains: []string{`$metadata#groups(allowExternalSenders,autoSubscribeNewMembers,isSubscribedByMail,unseenCount)/$entity"`,
					`"id":"` + m365 + `"`, `"unseenCount":null`},
				absent: []string{`"displayName"`}}},
		},
	},
	{
		page: "group-post-groups.md",
		examples: []string{
			"Example 1: Create a Microsoft 365 group",
			"Example 2: Create a group with owners and members",
			"Example 3: Create a Microsoft 365 group that can be assigned to an Azure AD role",
		},
		cases: map[string][]exchange{
			// A Microsoft 365 group is public unless told otherwise, and
			// its mail address is its primary SMTP proxy address.
			"Example 1: Create a Microsoft 365 group": {{method: "POST", path: "/v1.0/groups", status: 201,
				body: `{"description":"Self help community for library","displayName":"Library Assist","groupTypes":["Unified"],"mailEnabled":true,"mailNickname":"library","securityEnabled":false}`,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups/$entity"`, `"displayName":"Library Assist"`,
					`"description":"Self help community for library"`, `"mail":"library@`, `"proxyAddresses":["SMTP:library@`,
					`"visibility":"Public"`, `"resourceBehaviorOptions":[]`, `"onPremisesProvisioningErrors":[]`}}},
			// The binds name users under /users/, not /directoryObjects/.
			"Example 2: Create a group with owners and members": {
				{method: "POST", path: "/v1.0/groups", status: 201,
					body: `{"description":"Group with designated owner and members","displayName":"Operations group","groupTypes":[],"mailEnabled":false,"mailNickname":"operations2019","securityEnabled":true,` +
						`"owners@odata.bind":["https://graph.microsoft.com/v1.0/users/` + bob + `"],` +
						`"members@odata.bind":["https://graph.microsoft.com/v1.0/users/` + alice + `","https://graph.microsoft.com/v1.0/users/` + carol + `"]}`,
					contains: []string{`"displayName":"Operations group"`, `"mail":null`, `"proxyAddresses":[]`, `"visibility":null`, `"securityIdentifier":"S-1-12-1-`}},
				{method: "GET", path: "/v1.0/groups?$filter=mailNickname%20eq%20'operations2019'&$expand=members,owners&$select=id", status: 200,
					contains: []string{alice, carol, `"owners":[{"@odata.type":"#microsoft.graph.user"`, bob}},
			},
			"Example 3: Create a Microsoft 365 group that can be assigned to an Azure AD role": {{method: "POST", path: "/v1.0/groups", status: 201,
				body: `{"description":"Group assignable to a role","displayName":"Role assignable group","groupTypes":["Unified"],"isAssignableToRole":true,"mailEnabled":true,"securityEnabled":true,"mailNickname":"contosohelpdeskadministrators",` +
					`"owners@odata.bind":["https://graph.microsoft.com/v1.0/users/` + bob + `"],` +
					`"members@odata.bind":["https://graph.microsoft.com/v1.0/users/` + alice + `","https://graph.microsoft.com/v1.0/users/` + carol + `"]}`,
				contains: []string{`"isAssignableToRole":true`, `"securityEnabled":true`, `"visibility":"Private"`, `"groupTypes":["Unified"]`}}},
		},
	},
	{
		page:     "group-update.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "PATCH", path: "/v1.0/groups/" + m365, status: 204,
					body: `{"description":"Library Assist","displayName":"Library Assist","groupTypes":["Unified"],"mailEnabled":true,"mailNickname":"library-help"}`},
				{method: "GET", path: "/v1.0/groups/" + m365 + "?$select=displayName,description,mailNickname", status: 200,
					contains: []string{`"displayName":"Library Assist"`, `"description":"Library Assist"`, `"mailNickname":"library-help"`}},
			},
		},
	},
	{
		// A Microsoft 365 group goes to deleted items; a security group
		// is gone at once.
		page:     "group-delete.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "DELETE", path: "/v1.0/groups/" + m365, status: 204},
				{method: "GET", path: "/v1.0/groups/" + m365, status: 404, contains: []string{`"code":"Request_ResourceNotFound"`}},
				{method: "GET", path: "/v1.0/directory/deletedItems/" + m365, status: 200, contains: []string{`"deletedDateTime":"20`}},
				{method: "DELETE", path: "/v1.0/groups/" + finance, status: 204},
				{method: "GET", path: "/v1.0/directory/deletedItems/" + finance, status: 404},
			},
		},
	},
	{
		// The page's one example has three requests, each headed
		// "Request n"; each replays here from its own first round.
		page:     "group-delta.md",
		examples: []string{"Request 1", "Request 2", "Request 3"},
		cases: map[string][]exchange{
			// Without $select, membership is tracked: members@delta.
			"Request 1": {{method: "GET", path: "/v1.0/groups/delta", status: 200, keep: "@odata.deltaLink",
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups"`, `"displayName":"Finance"`,
					`"members@delta":[{"@odata.type":"#microsoft.graph.user","id":"` + alice + `"}]`}}},
			// A later round returns every selected property of what
			// changed, changed or not.
			"Request 2": {
				{method: "GET", path: "/v1.0/groups/delta?$select=displayName,description,mailNickname", status: 200, keep: "@odata.deltaLink"},
				{method: "PATCH", path: "/v1.0/groups/" + sales, body: `{"displayName":"All Company"}`, status: 204},
				{method: "GET", path: keptLink, status: 200,
					contains: []string{`"displayName":"All Company"`, `"description":null`, `"mailNickname":"sales"`}, absent: []string{finance, "members@delta"}},
			},
			// Prefer: return=minimal leaves out what did not change.
			"Request 3": {
				{method: "GET", path: "/v1.0/groups/delta?$select=displayName,description,mailNickname", status: 200, keep: "@odata.deltaLink"},
				{method: "PATCH", path: "/v1.0/groups/" + sales, body: `{"displayName":"Everyone","description":"Everyone in the company"}`, status: 204},
				{method: "GET", path: keptLink, headers: map[string]string{"Prefer": "return=minimal"}, status: 200,
					contains: []string{`"displayName":"Everyone"`, `"description":"Everyone in the company"`, sales}, absent: []string{`"mailNickname"`, finance}},
			},
		},
	},
}

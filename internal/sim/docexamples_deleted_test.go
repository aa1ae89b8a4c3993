package sim

import "time"

const (
	goneOld = "c31799b8-0683-4d70-9e91-e032c89d3035"
	goneNew = "74e45ce0-a52a-4766-976c-7201b0f99370"
)

// deletedPages are the pages of the directory's deleted items.
var deletedPages = []docPage{
	{
		// Two Microsoft 365 groups deleted a day apart, the later one
		// first in the state.
		page: "directory-deleteditems-list.md",
		setup: func(st *State) {
			day := time.Now().UTC().Add(-48 * time.Hour)
			st.DeletedItems = append(st.DeletedItems,
				&Group{ID: goneNew, DisplayName: "Role assignable group", MailNickname: "rag2", MailEnabled: true, GroupTypes: []string{"Unified"},
					DeletedDateTime: day.Add(24 * time.Hour).Format(time.RFC3339)},
				&Group{ID: goneOld, DisplayName: "Role assignable group", MailNickname: "rag1", MailEnabled: true, GroupTypes: []string{"Unified"},
					DeletedDateTime: day.Format(time.RFC3339)})
		},
		examples: []string{
			"Example 1: Retrieve deleted groups",
			"Example 2: Retrieve the count of deleted user objects and order the results by the deletedDateTime property",
		},
		cases: map[string][]exchange{
			"Example 1: Retrieve deleted groups": {{method: "GET", path: "/v1.0/directory/deletedItems/microsoft.graph.group", status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups"`, goneOld, goneNew, `"groupTypes":["Unified"]`}}},
			// $select names DisplayName; the answer spells it displayName.
			"Example 2: Retrieve the count of deleted user objects and order the results by the deletedDateTime property": {{method: "GET",
				path: "/v1.0/directory/deletedItems/microsoft.graph.group?$count=true&$orderBy=deletedDateTime%20asc&$select=id,DisplayName,deletedDateTime", headers: eventual, status: 200,
				contains: []string{`$metadata#groups(id,displayName,deletedDateTime)"`, `"@odata.count":2`,
					`[{"deletedDateTime":"`, `","displayName":"Role assignable group","id":"` + goneOld + `"},{`}}},
		},
	},
	{
		page: "directory-deleteditems-get.md",
		setup: func(st *State) {
			st.DeletedItems = append(st.DeletedItems, &Group{ID: goneOld, DisplayName: "SampleGroup", MailNickname: "Example", MailEnabled: true, GroupTypes: []string{"Unified"}, Visibility: "Public", DeletedDateTime: "2026-11-20T10:00:00Z"})
		},
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "GET", path: "/v1.0/directory/deletedItems/" + goneOld, status: 200,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity"`, `"displayName":"SampleGroup"`,
						`"groupTypes":["Unified"]`, `"visibility":"Public"`, `"deletedDateTime":"2026-11-20T10:00:00Z"`}},
				{method: "GET", path: "/v1.0/directory/deletedItems/" + finance, status: 404},
			},
		},
	},
	{
		page:     "directory-deleteditems-restore.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "DELETE", path: "/v1.0/groups/" + m365, status: 204},
				{method: "POST", path: "/v1.0/directory/deletedItems/" + m365 + "/restore", status: 200,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity"`,
						`"@odata.type":"#microsoft.graph.group"`, `"id":"` + m365 + `"`, `"groupTypes":["Unified"]`}},
				{method: "GET", path: "/v1.0/groups/" + m365 + "/members?$select=id", status: 200, contains: []string{alice}},
			},
		},
	},
	{
		page:     "directory-deleteditems-delete.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "DELETE", path: "/v1.0/users/" + carol, status: 204},
				{method: "DELETE", path: "/v1.0/directory/deletedItems/" + carol, status: 204},
				{method: "GET", path: "/v1.0/directory/deletedItems/" + carol, status: 404},
				{method: "POST", path: "/v1.0/directory/deletedItems/" + carol + "/restore", status: 404},
			},
		},
	},
}

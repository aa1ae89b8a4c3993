package sim

import (
	"net/http/httptest"
	"path"
	"slices"
	"strings"
	"testing"
)

// docPage is one Graph documentation page of an endpoint the emulator
// serves: every example heading the page has, as the page words it, and
// the exchange that replays that example here (ids are the fixture's).
// A heading with no case fails TestDocExamples, so a page is either
// covered example by example or not listed at all; the pages listed are
// the audit's progress.
type docPage struct {
	page     string // the page's file in microsoft-graph-docs-contrib: a name in api-reference/v1.0/api, or a path from the root
	examples []string
	cases    map[string][]exchange
	setup    func(*State) // what the examples need beyond the common fixture
	// notServed are the examples on resources the emulator does not
	// serve (mail, calendars, conversations), with why; every other
	// example has a case.
	notServed map[string]string
}

// docPages are the pages audited so far, by area.
var docPages = slices.Concat(memberPages, groupPages, userPages, memberOfPages, batchPages, extensionPages, deletedPages, crossTenantPages, servicePrincipalPages, synchronizationPages, sharePointPages, devicePages, directoryObjectPages)

// memberPages are the pages of a group's members and owners.
var memberPages = []docPage{
	{
		page: "group-list-members.md",
		examples: []string{
			"Example 1: Get the direct membership in a group",
			"Example 2: Get only a count of all membership",
			"Example 3: Use OData cast to get only a count of user membership",
			"Example 4: Use $search and OData cast to get user membership in groups with display names that contain the letters 'Pr' including a count of returned objects",
			"Example 5: Use $filter to get group membership with a display name that starts with the letter 'A' including a count of returned objects",
		},
		cases: map[string][]exchange{
			"Example 1: Get the direct membership in a group": {{method: "GET", path: "/v1.0/groups/" + finance + "/members", status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects"`, alice, `"mail":"alice@contoso.com"`}}},
			// The count answers text/plain.
			"Example 2: Get only a count of all membership": {{method: "GET", path: "/v1.0/groups/" + finance + "/members/$count", headers: eventual,
				status: 200, contains: []string{"1"}, header: map[string]string{"Content-Type": "text/plain"}}},
			"Example 3: Use OData cast to get only a count of user membership": {{method: "GET", path: "/v1.0/groups/" + finance + "/members/microsoft.graph.user/$count",
				headers: eventual, status: 200, contains: []string{"1"}, header: map[string]string{"Content-Type": "text/plain"}}},
			// Sales has Bob and Carol once they are added; the search
			// matches Carol's display name only.
			"Example 4: Use $search and OData cast to get user membership in groups with display names that contain the letters 'Pr' including a count of returned objects": {
				{method: "POST", path: "/v1.0/groups/" + sales + "/members/$ref", body: ref(bob), status: 204},
				{method: "POST", path: "/v1.0/groups/" + sales + "/members/$ref", body: ref(carol), status: 204},
				{method: "GET", path: `/v1.0/groups/` + sales + `/members/microsoft.graph.user?$count=true&$orderby=displayName&$search="displayName:Car"&$select=displayName,id`,
					headers: eventual, status: 200, contains: []string{`$metadata#users(displayName,id)`, `"@odata.count":1`, carol}, absent: []string{bob + `"`}},
			},
			"Example 5: Use $filter to get group membership with a display name that starts with the letter 'A' including a count of returned objects": {
				{method: "GET", path: "/v1.0/groups/" + finance + "/members?$count=true&$filter=startswith(displayName,%20'a')", headers: eventual, status: 200,
					contains: []string{`$metadata#directoryObjects`, `"@odata.count":1`, `"displayName":"Alice"`}},
			},
		},
	},
	{
		page: "group-post-members.md",
		examples: []string{
			"Example 1: Add a member to a group",
			"Example 2: Add multiple members to a group in a single request",
		},
		cases: map[string][]exchange{
			"Example 1: Add a member to a group": {
				{method: "POST", path: "/v1.0/groups/" + sales + "/members/$ref", body: ref(alice), status: 204},
				{method: "GET", path: "/v1.0/groups/" + sales + "/members?$select=id", status: 200, contains: []string{alice}},
			},
			"Example 2: Add multiple members to a group in a single request": {
				{method: "PATCH", path: "/v1.0/groups/" + sales, status: 204,
					body: `{"members@odata.bind":["https://graph.microsoft.com/v1.0/directoryObjects/` + bob + `","https://graph.microsoft.com/v1.0/directoryObjects/` + carol + `"]}`},
				{method: "GET", path: "/v1.0/groups/" + sales + "/members?$select=id", status: 200, contains: []string{bob, carol}},
			},
		},
	},
	{
		// The page's one example is headed "Example"; its response
		// shows each owner typed, with its UPN. It also shows
		// accountEnabled, outside the default property set that List
		// users documents; the response is marked truncated, so the
		// emulator keeps the default set rather than guess.
		page:     "group-list-owners.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {{method: "GET", path: "/v1.0/groups/" + sales + "/owners", status: 200,
				contains: []string{`$metadata#directoryObjects"`, `"@odata.type":"#microsoft.graph.user"`,
					`"userPrincipalName":"alice@contoso.com"`, `"userPrincipalName":"bob@contoso.com"`}}},
		},
	},
	{
		// 400 when the object already owns the group, 404 when it does
		// not exist (the page's Response section).
		page:     "group-post-owners.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "POST", path: "/v1.0/groups/" + finance + "/owners/$ref", body: `{"@odata.id":"https://graph.microsoft.com/v1.0/users/` + carol + `"}`, status: 204},
				{method: "GET", path: "/v1.0/groups/" + finance + "/owners?$select=id", status: 200, contains: []string{carol, alice}},
				{method: "POST", path: "/v1.0/groups/" + finance + "/owners/$ref", body: `{"@odata.id":"https://graph.microsoft.com/v1.0/users/` + carol + `"}`, status: 400,
					contains: []string{`"code":"Request_BadRequest"`, "already exist"}},
				{method: "POST", path: "/v1.0/groups/" + finance + "/owners/$ref", body: `{"@odata.id":"https://graph.microsoft.com/v1.0/users/0b7e5f1a-0000-4000-8000-0000000000ff"}`, status: 404,
					contains: []string{`"code":"Request_ResourceNotFound"`}},
			},
		},
	},
	{
		// The last owner who is a user cannot be removed (the page's
		// introduction).
		page:     "group-delete-owners.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "DELETE", path: "/v1.0/groups/" + sales + "/owners/" + bob + "/$ref", status: 204},
				{method: "GET", path: "/v1.0/groups/" + sales + "/owners?$select=id", status: 200, contains: []string{alice}, absent: []string{bob}},
				{method: "DELETE", path: "/v1.0/groups/" + sales + "/owners/" + alice + "/$ref", status: 400},
			},
		},
	},
	{
		// Sales, with Bob and Carol, is nested in Finance.
		page: "group-list-transitivemembers.md",
		setup: func(st *State) {
			st.Groups[0].Members = append(st.Groups[0].Members, sales)
			st.Groups[1].Members = []string{bob, carol}
		},
		examples: []string{
			"Example 1: Get the transitive membership of a group",
			"Example 2: Get only a count of transitive membership",
			"Example 3: Use the microsoft.graph.group OData cast to get only members that are groups",
			"Example 4: Use OData cast and $search to get membership in groups with display names that contain the letters 'tier' including a count of returned objects",
			"Example 5: Use OData cast and $filter to get user membership in groups with a display name that starts with 'A' including a count of returned objects",
		},
		cases: map[string][]exchange{
			"Example 1: Get the transitive membership of a group": {{method: "GET", path: "/v1.0/groups/" + finance + "/transitiveMembers", status: 200,
				contains: []string{`"@odata.type":"#microsoft.graph.user"`, `"@odata.type":"#microsoft.graph.group"`, alice, bob, carol, sales}}},
			"Example 2: Get only a count of transitive membership": {{method: "GET", path: "/v1.0/groups/" + finance + "/transitiveMembers/$count", headers: eventual, status: 200,
				contains: []string{"4"}, header: map[string]string{"Content-Type": "text/plain"}}},
			// The page writes the segment in lower case.
			"Example 3: Use the microsoft.graph.group OData cast to get only members that are groups": {{method: "GET",
				path: "/v1.0/groups/" + finance + "/transitivemembers/microsoft.graph.group?$count=true", headers: eventual, status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups"`, `"@odata.count":1`, sales, `"displayName":"Sales"`},
				absent:   []string{alice}}},
			"Example 4: Use OData cast and $search to get membership in groups with display names that contain the letters 'tier' including a count of returned objects": {{method: "GET",
				path: `/v1.0/groups/` + finance + `/transitiveMembers/microsoft.graph.user?$count=true&$orderBy=displayName&$search="displayName:car"&$select=displayName,id`, headers: eventual, status: 200,
				contains: []string{`$metadata#users(displayName,id)"`, `"@odata.count":1`, carol}, absent: []string{bob}}},
			// $orderBy, as the page writes it, orders: Carol before Bob.
			"Example 5: Use OData cast and $filter to get user membership in groups with a display name that starts with 'A' including a count of returned objects": {{method: "GET",
				path:    "/v1.0/groups/" + finance + "/transitiveMembers/microsoft.graph.user?$count=true&$orderBy=displayName%20desc&$filter=startswith(displayName,%20'b')%20or%20startswith(displayName,%20'c')&$top=1",
				headers: eventual, status: 200,
				contains: []string{`$metadata#users"`, `"@odata.count":2`, carol}, absent: []string{bob + `"`}}},
		},
	},
	{
		page:     "group-delete-members.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "DELETE", path: "/v1.0/groups/" + finance + "/members/" + alice + "/$ref", status: 204},
				{method: "GET", path: "/v1.0/groups/" + finance + "/members?$select=id", status: 200, absent: []string{alice}},
			},
		},
	},
}

// TestDocExamples replays, page by page, every example of the Graph
// documentation pages listed in docPages, each page on a fresh tenant.
func TestDocExamples(t *testing.T) {
	for _, p := range docPages {
		t.Run(strings.TrimSuffix(path.Base(p.page), ".md"), func(t *testing.T) {
			if len(p.cases)+len(p.notServed) != len(p.examples) {
				t.Errorf("%d cases and %d not served for the page's %d examples", len(p.cases), len(p.notServed), len(p.examples))
			}
			st := testState(0)
			if p.setup != nil {
				p.setup(st)
			}
			srv, err := NewServer(st, Options{})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			for _, heading := range p.examples {
				steps, ok := p.cases[heading]
				if _, skipped := p.notServed[heading]; skipped {
					if ok {
						t.Errorf("%q has a case and is listed as not served", heading)
					}
					continue
				}
				if !ok {
					t.Errorf("no case for %q", heading)
					continue
				}
				for i := range steps {
					steps[i].name = heading
				}
				run(t, ts, steps)
			}
		})
	}
}

package sim

import (
	"testing"
	"time"
)

// Users are soft-deleted (Graph docs: Delete user; Restore deleted item;
// Permanently delete item).
func TestDeletedUsersConformance(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	newCarol := `{"accountEnabled":true,"displayName":"Carol (new)","mailNickname":"carol","userPrincipalName":"carol@contoso.com","passwordProfile":{"password":"x"}}`
	run(t, ts, []exchange{
		{name: "carol joins finance", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref", body: ref(carol), status: 204},
		{name: "carol owns sales", method: "POST", path: "/v1.0/groups/" + sales + "/owners/$ref", body: ref(carol), status: 204},
		{name: "delete carol", method: "DELETE", path: "/v1.0/users/" + carol, status: 204},
		{name: "she is gone from users", method: "GET", path: "/v1.0/users/carol@contoso.com", status: 404},
		{name: "and from her groups", method: "GET", path: "/v1.0/groups/" + finance + "/members?$select=id", status: 200, absent: []string{carol}},
		{name: "and from the groups she owned", method: "GET", path: "/v1.0/groups/" + sales + "/owners?$select=id", status: 200, absent: []string{carol}},
		{name: "and from dynamic groups", method: "GET", path: "/v1.0/groups/" + dyn + "/members?$select=id", status: 200,
			contains: []string{bob}, absent: []string{carol}},
		{name: "she is in deletedItems", method: "GET", path: "/v1.0/directory/deletedItems/microsoft.graph.user", status: 200,
			contains: []string{carol, `"deletedDateTime":"`, `"userPrincipalName":"carol@contoso.com"`}, absent: []string{alice}},
		{name: "deleted groups do not list her", method: "GET", path: "/v1.0/directory/deletedItems/microsoft.graph.group", status: 200, absent: []string{carol}},
		{name: "get her by id", method: "GET", path: "/v1.0/directory/deletedItems/" + carol, status: 200,
			contains: []string{`"@odata.type":"#microsoft.graph.user"`, `"deletedDateTime":"`}},
		{name: "her userPrincipalName is free", method: "POST", path: "/v1.0/users", body: newCarol, status: 201},
		{name: "so restoring her conflicts", method: "POST", path: "/v1.0/directory/deletedItems/" + carol + "/restore", status: 400,
			contains: []string{"Request_MultipleObjectsWithSameKeyValue", "userPrincipalName"}},
		{name: "restore under a new name", method: "POST", path: "/v1.0/directory/deletedItems/" + carol + "/restore",
			body: `{"newUserPrincipalName":"carol.old@contoso.com"}`, status: 200,
			contains: []string{`"@odata.type":"#microsoft.graph.user"`, `$metadata#directoryObjects/$entity`, `"userPrincipalName":"carol.old@contoso.com"`}},
		{name: "she is back", method: "GET", path: "/v1.0/users/carol.old@contoso.com", status: 200, contains: []string{carol}},
		{name: "in her group", method: "GET", path: "/v1.0/groups/" + finance + "/members?$select=id", status: 200, contains: []string{carol}},
		{name: "owning her group", method: "GET", path: "/v1.0/groups/" + sales + "/owners?$select=id", status: 200, contains: []string{carol}},
		{name: "and in the dynamic group by its rule", method: "GET", path: "/v1.0/groups/" + dyn + "/members?$select=id", status: 200, contains: []string{carol}},
		{name: "no longer deleted", method: "GET", path: "/v1.0/directory/deletedItems/" + carol, status: 404},
		{name: "delete bob", method: "DELETE", path: "/v1.0/users/" + bob, status: 204},
		{name: "delete him for good", method: "DELETE", path: "/v1.0/directory/deletedItems/" + bob, status: 204},
		{name: "he cannot be restored", method: "POST", path: "/v1.0/directory/deletedItems/" + bob + "/restore", status: 404},
		{name: "nor deleted twice", method: "DELETE", path: "/v1.0/directory/deletedItems/" + bob, status: 404},
	})
}

// A soft-deleted user is restorable for 30 days, then gone, and a state
// file keeps it and its memberships across processes.
func TestDeletedUserRetention(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	ts, s := fixture(t, 0, Options{Now: clock})
	send(t, "DELETE", ts.URL+"/v1.0/users/"+alice, "")

	next, err := NewServer(s.Snapshot(), Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := newTestServer(t, next)
	now = now.Add(29 * 24 * time.Hour)
	send(t, "POST", ts2.URL+"/v1.0/directory/deletedItems/"+alice+"/restore", "")
	var members struct{ Value []map[string]any }
	getJSON(t, ts2.URL+"/v1.0/groups/"+finance+"/members?$select=id", nil, &members)
	if len(members.Value) != 1 || members.Value[0]["id"] != alice {
		t.Fatalf("finance after restoring alice in a new process: %v", members.Value)
	}

	send(t, "DELETE", ts2.URL+"/v1.0/users/"+alice, "")
	now = now.Add(deletedRetention + time.Minute)
	run(t, ts2, []exchange{
		{name: "restore after 30 days", method: "POST", path: "/v1.0/directory/deletedItems/" + alice + "/restore", status: 404},
		{name: "nor listed", method: "GET", path: "/v1.0/directory/deletedItems/microsoft.graph.user", status: 200, absent: []string{alice}},
	})
}

// memberOf and transitiveMemberOf (Graph docs: List a user's direct
// memberships; List a user's memberships (direct and transitive)).
func TestMemberOfConformance(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	run(t, ts, []exchange{
		{name: "finance joins sales", method: "POST", path: "/v1.0/groups/" + sales + "/members/$ref", body: ref(finance), status: 204},
		{name: "alice's direct groups", method: "GET", path: "/v1.0/users/" + alice + "/memberOf?$select=id,displayName", status: 200,
			contains: []string{finance, m365, `"@odata.type":"#microsoft.graph.group"`, `$metadata#directoryObjects`}, absent: []string{sales, dyn}},
		{name: "by userPrincipalName", method: "GET", path: "/v1.0/users/alice@contoso.com/memberOf?$select=id", status: 200, contains: []string{finance}},
		{name: "transitively also sales", method: "GET", path: "/v1.0/users/" + alice + "/transitiveMemberOf?$select=id", status: 200,
			contains: []string{finance, m365, sales}},
		{name: "dynamic groups count", method: "GET", path: "/v1.0/users/" + bob + "/memberOf?$select=id", status: 200, contains: []string{dyn}},
		{name: "a group's own groups", method: "GET", path: "/v1.0/groups/" + finance + "/memberOf?$select=id", status: 200,
			contains: []string{sales}, absent: []string{finance + `"`}},
		{name: "cast to groups", method: "GET", path: "/v1.0/users/" + alice + "/transitiveMemberOf/microsoft.graph.group?$count=true&$select=id", headers: eventual, status: 200,
			contains: []string{`"@odata.count":3`, `$metadata#groups`}},
		{name: "cast needs an advanced query", method: "GET", path: "/v1.0/users/" + alice + "/memberOf/microsoft.graph.group", status: 400},
		{name: "count segment", method: "GET", path: "/v1.0/users/" + alice + "/transitiveMemberOf/$count", headers: eventual, status: 200, contains: []string{"3"}},
		{name: "filter as an advanced query", method: "GET", path: "/v1.0/users/" + alice + "/memberOf?$count=true&$filter=displayName%20eq%20'Finance'&$select=id", headers: eventual, status: 200,
			contains: []string{finance}, absent: []string{m365}},
		{name: "unknown user", method: "GET", path: "/v1.0/users/nobody@contoso.com/memberOf", status: 404},
	})
}

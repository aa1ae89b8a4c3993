package sim

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

type deltaPage struct {
	Value     []map[string]any `json:"value"`
	NextLink  string           `json:"@odata.nextLink"`
	DeltaLink string           `json:"@odata.deltaLink"`
}

// drain follows nextLinks to the deltaLink, returning every item and the
// number of pages.
func drain(t *testing.T, url string) ([]map[string]any, string, int) {
	t.Helper()
	var items []map[string]any
	pages := 0
	for {
		var p deltaPage
		if st := getJSON(t, url, nil, &p); st != 200 {
			t.Fatalf("GET %s: %d", url, st)
		}
		pages++
		items = append(items, p.Value...)
		if p.DeltaLink != "" {
			if p.NextLink != "" {
				t.Fatal("a page has both nextLink and deltaLink")
			}
			return items, p.DeltaLink, pages
		}
		if p.NextLink == "" {
			t.Fatal("a page has neither nextLink nor deltaLink")
		}
		url = p.NextLink
	}
}

func send(t *testing.T, method, url, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d", method, url, resp.StatusCode)
	}
}

// Delta queries (Graph docs: user: delta; group: delta).
func TestGroupsDelta(t *testing.T) {
	ts, _ := fixture(t, 1200, Options{})
	base := ts.URL + "/v1.0"
	// A large group: 1,200 members.
	var ids []string
	for i := 0; i < 1200; i++ {
		ids = append(ids, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	for i := 0; i < len(ids); i += 20 {
		send(t, "PATCH", base+"/groups/"+sales, binds(ids[i:i+20]...))
	}

	// Initial round, the SDK's long form of the path.
	items, deltaLink, pages := drain(t, base+"/groups/microsoft.graph.delta")
	if !strings.HasPrefix(deltaLink, ts.URL+"/v1.0/groups/delta?$deltatoken=") {
		t.Fatalf("deltaLink %q is not absolute on the emulator", deltaLink)
	}
	members := map[string]int{}
	salesItems := 0
	for _, it := range items {
		if it["id"] == sales {
			salesItems++
			for _, m := range it["members@delta"].([]any) {
				members[m.(map[string]any)["id"].(string)]++
			}
		}
	}
	if salesItems < 3 || pages < 2 || len(members) != 1200 {
		t.Fatalf("large group: %d items over %d pages, %d distinct members; want it split over pages with all 1200", salesItems, pages, len(members))
	}

	// Nothing changed: an empty round.
	items, deltaLink, _ = drain(t, deltaLink)
	if len(items) != 0 {
		t.Fatalf("no changes, but %d items", len(items))
	}

	// Changes: one member removed, one added, a rename, a deletion.
	send(t, "DELETE", base+"/groups/"+sales+"/members/"+ids[0]+"/$ref", "")
	send(t, "POST", base+"/groups/"+finance+"/members/$ref", ref(bob))
	send(t, "PATCH", base+"/groups/"+dyn, `{"description":"renamed"}`)
	send(t, "DELETE", base+"/groups/"+m365, "")
	items, _, _ = drain(t, deltaLink)
	got := map[string]map[string]any{}
	for _, it := range items {
		got[it["id"].(string)] = it
	}
	salesDelta := fmt.Sprint(got[sales]["members@delta"])
	if !strings.Contains(salesDelta, ids[0]) || !strings.Contains(salesDelta, "@removed:map[reason:deleted]") || strings.Contains(salesDelta, ids[1]) {
		t.Errorf("sales members@delta: %s", salesDelta)
	}
	if fmt.Sprint(got[finance]["members@delta"]) != "[map[@odata.type:#microsoft.graph.user id:"+bob+"]]" {
		t.Errorf("finance members@delta: %v", got[finance]["members@delta"])
	}
	if got[dyn]["description"] != "renamed" {
		t.Errorf("renamed group: %v", got[dyn])
	}
	if fmt.Sprint(got[m365]["@removed"]) != "map[reason:changed]" {
		t.Errorf("soft-deleted Microsoft 365 group: %v", got[m365])
	}
	if len(got) != 4 {
		t.Errorf("%d changed groups, want 4: %v", len(got), items)
	}
}

func TestUsersDelta(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	base := ts.URL + "/v1.0"
	items, deltaLink, _ := drain(t, base+"/users/delta?$select=displayName,department")
	if len(items) != 3 || items[0]["department"] == nil || items[0]["jobTitle"] != nil {
		t.Fatalf("initial round with $select: %v", items)
	}
	// "Sync from now" returns no data, only a deltaLink.
	var latest deltaPage
	getJSON(t, base+"/users/delta?$deltatoken=latest", nil, &latest)
	if len(latest.Value) != 0 || latest.DeltaLink == "" {
		t.Fatalf("latest: %+v", latest)
	}
	send(t, "PATCH", base+"/users/"+bob, `{"department":"Finance"}`)
	send(t, "DELETE", base+"/users/"+carol, "")
	items, deltaLink, _ = drain(t, deltaLink)
	// A deleted user is soft-deleted first: "changed", restorable
	// (Graph docs: user: delta).
	if len(items) != 2 || items[0]["id"] != bob || items[0]["department"] != "Finance" || fmt.Sprint(items[1]["@removed"]) != "map[reason:changed]" {
		t.Fatalf("changes: %v", items)
	}
	send(t, "DELETE", base+"/directory/deletedItems/"+carol, "")
	if items, _, _ := drain(t, deltaLink); len(items) != 1 || fmt.Sprint(items[0]["@removed"]) != "map[reason:deleted]" {
		t.Fatalf("after deleting for good: %v", items)
	}
	// The $select of the first call is kept in the token.
	if _, ok := items[0]["mail"]; ok {
		t.Error("deltaLink lost the $select")
	}
	var p deltaPage
	if st := getJSON(t, base+"/users/delta?$top=5", nil, &p); st != 400 {
		t.Errorf("$top on delta: %d", st)
	}
	if st := getJSON(t, base+"/users/delta?$filter=id%20eq%20'"+alice+"'", nil, &p); st != 200 || len(p.Value) != 1 {
		t.Errorf("delta filtered by id: %d %v", st, p.Value)
	}
	if st := getJSON(t, base+"/users/delta?$filter=department%20eq%20'x'", nil, &p); st != 400 {
		t.Errorf("delta filtered by another property: %d", st)
	}
	if st := getJSON(t, base+"/users/delta?$deltatoken=garbage", nil, &p); st != 400 {
		t.Errorf("bad token: %d", st)
	}
}

func TestDeltaTokenExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts, _ := fixture(t, 0, Options{Now: func() time.Time { return now }})
	_, deltaLink, _ := drain(t, ts.URL+"/v1.0/users/delta")
	now = now.Add(7*24*time.Hour + time.Minute)
	resp, err := http.Get(deltaLink)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusGone || resp.Header.Get("Location") != ts.URL+"/v1.0/users/delta" {
		t.Fatalf("expired token: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// A deltaLink taken from one emulator process still works in the next
// one serving the same state file, and sees a change made to the file in
// between (`sim set-user`), and nothing else.
func TestUsersDeltaAcrossProcesses(t *testing.T) {
	ts, s := fixture(t, 20, Options{})
	_, link, _ := drain(t, ts.URL+"/v1.0/users/delta?$select=id,department")
	st := s.Snapshot()
	var upn string
	for _, u := range st.Users[3:4] {
		upn = u.UserPrincipalName
	}
	if err := SetUserProperty(st, upn, "department", "Changed"); err != nil {
		t.Fatal(err)
	}
	next, err := NewServer(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts2 := httptest.NewServer(next)
	defer ts2.Close()
	items, _, _ := drain(t, strings.Replace(link, ts.URL, ts2.URL, 1))
	if len(items) != 1 || items[0]["department"] != "Changed" {
		t.Fatalf("delta after a restart and one change = %v, want that one user", items)
	}
}

// A dynamic group's membership changes when its users change, and group
// delta reports them in members@delta as for an assigned group (Graph
// docs: group: delta). A paused rule keeps its members.
func TestDynamicGroupDelta(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	base := ts.URL + "/v1.0"
	members := func(items []map[string]any) string {
		for _, it := range items {
			if it["id"] == dyn {
				return fmt.Sprint(it["members@delta"])
			}
		}
		return "absent"
	}
	items, link, _ := drain(t, base+"/groups/delta?$select=displayName,members")
	if got := members(items); !strings.Contains(got, bob) || !strings.Contains(got, carol) || strings.Contains(got, alice) {
		t.Fatalf("initial round: dynamic members %s, want bob and carol", got)
	}

	send(t, "PATCH", base+"/users/"+alice, `{"department":"Sales"}`)
	send(t, "PATCH", base+"/users/"+carol, `{"department":"Finance"}`)
	items, link, _ = drain(t, link)
	want := "[map[@odata.type:#microsoft.graph.user @removed:map[reason:deleted] id:" + carol + "] map[@odata.type:#microsoft.graph.user id:" + alice + "]]"
	if got := members(items); got != want || len(items) != 1 {
		t.Fatalf("after alice joined Sales and carol left it:\n got %s (%d items)\nwant %s", got, len(items), want)
	}

	send(t, "PATCH", base+"/groups/"+dyn, `{"membershipRuleProcessingState":"Paused"}`)
	send(t, "PATCH", base+"/users/"+bob, `{"department":"HR"}`)
	items, link, _ = drain(t, link)
	if got := members(items); got != "[]" {
		t.Fatalf("paused rule: members@delta %s, want none", got)
	}
	send(t, "PATCH", base+"/groups/"+dyn, `{"membershipRuleProcessingState":"On"}`)
	items, _, _ = drain(t, link)
	if got := members(items); !strings.Contains(got, bob) || !strings.Contains(got, "@removed") {
		t.Fatalf("rule back on: members@delta %s, want bob removed", got)
	}
}

// Prefer: return=minimal returns what changed after the token, and every
// property of an object the client has not seen since before the
// emulator started tracking it; a PATCH that changes nothing is no news.
// A user deleted and restored within one round is simply there.
func TestDeltaMinimal(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	minimalPrefer := map[string]string{"Prefer": "odata.maxpagesize=100, return=minimal"}
	run(t, ts, []exchange{
		{name: "first update", method: "PATCH", path: "/v1.0/users/" + bob, body: `{"jobTitle":"Buyer"}`, status: 204},
		{name: "round from here", method: "GET", path: "/v1.0/users/delta?$select=displayName,jobTitle,department", status: 200, keep: "@odata.deltaLink"},
		{name: "a no-op patch", method: "PATCH", path: "/v1.0/users/" + carol, body: `{"displayName":"Carol"}`, status: 204},
		{name: "a change", method: "PATCH", path: "/v1.0/users/" + bob, body: `{"department":"Purchasing"}`, status: 204},
		{name: "only the change", method: "GET", path: keptLink, headers: minimalPrefer, status: 200,
			contains: []string{bob, `"department":"Purchasing"`}, absent: []string{carol, `"jobTitle"`, `"displayName"`}},
	})
	run(t, ts, []exchange{
		{name: "a token from before the first change", method: "GET", path: "/v1.0/users/delta?$select=displayName,jobTitle,department&$deltatoken=latest", status: 200, keep: "@odata.deltaLink"},
		{name: "delete", method: "DELETE", path: "/v1.0/users/" + bob, status: 204},
		{name: "restore", method: "POST", path: "/v1.0/directory/deletedItems/" + bob + "/restore", status: 200},
		{name: "a restored user is news in full", method: "GET", path: keptLink, headers: minimalPrefer, status: 200,
			contains: []string{`"jobTitle":"Buyer"`, `"department":"Purchasing"`, `"displayName":"Bob"`}, absent: []string{"@removed"}},
	})
}

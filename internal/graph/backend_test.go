package graph

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/sim"
)

// simBackend serves st with the emulator and returns a Graph backend on it.
func simBackend(t testing.TB, st *sim.State, opts sim.Options) (*Backend, *sim.Server) {
	t.Helper()
	srv, err := sim.NewServer(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	c, err := NewClient(Config{BaseURL: ts.URL + "/v1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return NewBackend(c, 4), srv
}

func scenarioState() *sim.State {
	st := &sim.State{TenantID: "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"}
	for i, u := range []string{"a", "b", "c", "d"} {
		st.Users = append(st.Users, &sim.User{ID: fmt.Sprintf("00000000-0000-4000-8000-00000000000%d", i+1),
			UserPrincipalName: u + "@contoso.com", DisplayName: strings.ToUpper(u), AccountEnabled: true})
	}
	st.Groups = []*sim.Group{{ID: "10000000-0000-4000-8000-000000000001", DisplayName: "VPN Users", MailNickname: "vpn-users",
		SecurityEnabled: true, Members: []string{st.Users[0].ID, st.Users[1].ID, st.Users[2].ID}}}
	return st
}

func vpnConfig(mode model.MembershipMode, members ...string) *model.Desired {
	var upns []string
	for _, m := range members {
		upns = append(upns, m+"@contoso.com")
	}
	return &model.Desired{Tenant: model.Tenant{ID: "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"}, Groups: map[string]model.Group{"vpn": {
		DisplayName: "VPN Users", Kind: model.GroupSecurity, MailNickname: "vpn-users", Adopt: "mailNickname",
		Membership: &model.Membership{Mode: mode, Users: upns}}}}
}

func memberUPNs(srv *sim.Server, group string) string {
	st := srv.Snapshot()
	upn := map[string]string{}
	for _, u := range st.Users {
		upn[strings.ToLower(u.ID)] = u.UserPrincipalName
	}
	var out []string
	for _, g := range st.Groups {
		if g.ID == group {
			for _, m := range g.Members {
				out = append(out, upn[m])
			}
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func planApply(t *testing.T, b *Backend, history map[string]*model.Desired, commit string, opts plan.Options) *plan.Plan {
	t.Helper()
	ctx := context.Background()
	d := history[commit]
	live, ds, err := plan.ReadLive(ctx, b, d, plan.Inputs{
		LastDeclared: plan.HistoryOf(func(c string) (*model.Desired, bool, error) { h, ok := history[c]; return h, ok, nil }), Full: opts.Full})
	if err != nil || ds.HasErrors() {
		t.Fatalf("read: %v %v", err, ds.Err())
	}
	p, ds := plan.Compute(plan.Input{Desired: d, Live: live, Commit: commit}, opts)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	rep, err := apply.Run(ctx, p, b, apply.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() {
		t.Fatalf("apply: %+v", rep.Results)
	}
	return p
}

// The Configuration Manager scenario through the real adapter and the
// emulator.
func TestScenarioThroughGraph(t *testing.T) {
	b, srv := simBackend(t, scenarioState(), sim.Options{})
	const group = "10000000-0000-4000-8000-000000000001"
	history := map[string]*model.Desired{"c1": vpnConfig(model.ModeIncremental, "b", "c"), "c2": vpnConfig(model.ModeIncremental, "b")}

	planApply(t, b, history, "c1", plan.Options{})
	if got := memberUPNs(srv, group); got != "b@contoso.com,c@contoso.com" {
		t.Fatalf("first sync: %s", got)
	}
	planApply(t, b, history, "c2", plan.Options{})
	if got := memberUPNs(srv, group); got != "b@contoso.com" {
		t.Fatalf("after removing C: %s", got)
	}
	// D is added in the portal.
	if err := addByHand(srv, group, "00000000-0000-4000-8000-000000000004"); err != nil {
		t.Fatal(err)
	}
	if p := planApply(t, b, history, "c2", plan.Options{}); p.HasChanges() {
		t.Fatalf("incremental touched a hand-added member: %+v", p.Groups)
	}
	if got := memberUPNs(srv, group); got != "b@contoso.com,d@contoso.com" {
		t.Fatalf("after D was added by hand: %s", got)
	}
	planApply(t, b, history, "c2", plan.Options{Full: true})
	if got := memberUPNs(srv, group); got != "b@contoso.com" {
		t.Fatalf("after --full: %s", got)
	}
	if p := planApply(t, b, history, "c2", plan.Options{}); p.HasChanges() {
		t.Fatalf("not converged: %+v", p.Groups)
	}
	for _, g := range srv.Snapshot().Groups {
		if g.ID == group && fmt.Sprint(g.Extensions["dev.entrasync"]["commit"]) != "c2" {
			t.Fatalf("marker: %v", g.Extensions)
		}
	}
}

func addByHand(srv *sim.Server, group, member string) error {
	ts := httptest.NewServer(srv)
	defer ts.Close()
	resp, err := httpPost(ts.URL+"/v1.0/groups/"+group+"/members/$ref", `{"@odata.id":"`+directoryObject(member)+`"}`)
	if err != nil {
		return err
	}
	if resp != 204 {
		return fmt.Errorf("status %d", resp)
	}
	return nil
}

// A new group, nested groups and devices, created and filled in one apply,
// then a plan with no changes.
func TestCreateThroughGraph(t *testing.T) {
	st := scenarioState()
	st.Devices = []*sim.Device{{ID: "20000000-0000-4000-8000-000000000001", DeviceID: "x", DisplayName: "DeviceA", AccountEnabled: true}}
	b, srv := simBackend(t, st, sim.Options{ReplicationLag: 0})
	d := &model.Desired{Tenant: model.Tenant{ID: st.TenantID}, Groups: map[string]model.Group{
		"parent": {DisplayName: "Parent", Kind: model.GroupMicrosoft365, MailNickname: "parent", Owners: []string{"a@contoso.com"},
			Membership: &model.Membership{Mode: model.ModeFull, Groups: []string{"child"}, Users: []string{"d@contoso.com"}}},
		"child": {DisplayName: "Child", Kind: model.GroupSecurity, MailNickname: "child",
			Membership: &model.Membership{Mode: model.ModeFull, Users: []string{"a@contoso.com", "b@contoso.com"}, Devices: []string{"DeviceA"}}},
	}}
	history := map[string]*model.Desired{"c1": d}
	srv.ResetStats()
	planApply(t, b, history, "c1", plan.Options{})
	// A new group's marker is created at once: no update answered 404
	// first.
	for _, r := range srv.Stats().Routes {
		if strings.Contains(r.Route, "/extensions") && r.Errors > 0 {
			t.Errorf("%s: %d errors", r.Route, r.Errors)
		}
		if strings.HasPrefix(r.Route, "PATCH") && strings.Contains(r.Route, "/extensions") {
			t.Errorf("new groups' markers were updated, not created: %+v", r)
		}
	}
	if p := planApply(t, b, history, "c1", plan.Options{}); p.HasChanges() {
		t.Fatalf("not converged after create: %+v", p.Groups)
	}
	n := 0
	for _, g := range srv.Snapshot().Groups {
		switch g.DisplayName {
		case "Parent":
			n++
			if len(g.Members) != 2 || len(g.Owners) != 1 || g.GroupTypes[0] != "Unified" || !g.MailEnabled {
				t.Errorf("parent: %+v", g)
			}
		case "Child":
			n++
			if len(g.Members) != 3 {
				t.Errorf("child members: %v", g.Members)
			}
		}
	}
	if n != 2 {
		t.Fatalf("%d groups created", n)
	}
}

// Unknown references are reported, with no write at all.
func TestUnknownUserWritesNothing(t *testing.T) {
	b, srv := simBackend(t, scenarioState(), sim.Options{})
	d := vpnConfig(model.ModeFull, "b", "zed")
	_, ds, err := plan.ReadLive(context.Background(), b, d, plan.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if !ds.HasErrors() || !strings.Contains(ds[0].Summary, `user "zed@contoso.com" does not exist in the tenant`) {
		t.Fatalf("diagnostics: %v", ds)
	}
	if w := srv.Stats().Writes; w != 0 {
		t.Fatalf("%d writes", w)
	}
}

// Replacing a group's owner under full sync ends with exactly the declared
// owner. (The ordering that matters, owner adds before owner removes in
// separate phases, only shows across concurrent batches; apply enforces it.)
func TestReplaceOnlyOwnerThroughGraph(t *testing.T) {
	st := scenarioState()
	st.Groups[0].Owners = []string{st.Users[0].ID} // a is the only owner
	b, srv := simBackend(t, st, sim.Options{})
	d := vpnConfig(model.ModeFull, "b", "c")
	g := d.Groups["vpn"]
	g.Owners = []string{"d@contoso.com"}
	d.Groups["vpn"] = g
	// The group is adopted first; then a full-mode plan replaces the owner.
	planApply(t, b, map[string]*model.Desired{"c1": d}, "c1", plan.Options{})
	planApply(t, b, map[string]*model.Desired{"c1": d}, "c1", plan.Options{Full: true})
	for _, grp := range srv.Snapshot().Groups {
		if grp.ID == "10000000-0000-4000-8000-000000000001" && strings.Join(grp.Owners, ",") != "00000000-0000-4000-8000-000000000004" {
			t.Fatalf("owners: %v", grp.Owners)
		}
	}
}

// Removing a member that is not there succeeds (re-runs converge), but
// removing members of a group that no longer exists fails: a group
// deleted between plan and apply must not report Success.
func TestRemoveFromVanishedGroupFails(t *testing.T) {
	st := scenarioState()
	b, _ := simBackend(t, st, sim.Options{})
	group, d := st.Groups[0].ID, st.Users[3].ID
	res := b.Apply(context.Background(), []entra.Op{{Kind: entra.OpRemoveMembers, GroupID: group, IDs: []string{d}}})
	if res[0].Err != nil || len(res[0].Failed) != 0 {
		t.Fatalf("removing a non-member: %+v", res[0])
	}
	gone := "10000000-0000-4000-8000-0000000000ff"
	res = b.Apply(context.Background(), []entra.Op{{Kind: entra.OpRemoveMembers, GroupID: gone, IDs: []string{d}}})
	if res[0].Err == nil && len(res[0].Failed) == 0 {
		t.Fatalf("removing from a group that does not exist reported success: %+v", res[0])
	}
}

// TestDocumentsFollowPages: a collection read through Documents comes
// whole, its further pages sharing round trips with the other
// collections' (GET /groups/{id}/members pages at $top).
func TestDocumentsFollowPages(t *testing.T) {
	st := scenarioState()
	st.Groups = append(st.Groups, &sim.Group{ID: "10000000-0000-4000-8000-000000000002", DisplayName: "All", MailNickname: "all",
		SecurityEnabled: true, Members: []string{st.Users[0].ID, st.Users[1].ID, st.Users[2].ID, st.Users[3].ID}})
	b, _ := simBackend(t, st, sim.Options{})
	paths := []string{"groups/10000000-0000-4000-8000-000000000001/members?$top=1&$select=id",
		"groups/10000000-0000-4000-8000-000000000002/members?$top=1&$select=id", "groups/10000000-0000-4000-8000-000000000001",
		"groups/10000000-0000-4000-8000-0000000000ff"}
	before := b.Traffic()
	docs, err := b.Documents(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{3, 4} {
		items, _ := docs[paths[i]]["value"].([]any)
		if len(items) != want {
			t.Errorf("%s: %d items, want %d", paths[i], len(items), want)
		}
		if _, ok := docs[paths[i]]["@odata.nextLink"]; ok {
			t.Errorf("%s kept its nextLink", paths[i])
		}
	}
	if docs[paths[2]] == nil {
		t.Error("the group was not read")
	}
	if _, ok := docs[paths[3]]; ok {
		t.Error("a group that does not exist was read")
	}
	// The first pages in one $batch, then one per further page of the
	// longer listing: 1 + 3.
	if rt := b.Traffic().RoundTrips - before.RoundTrips; rt != 4 {
		t.Errorf("%d round trips, want 4", rt)
	}
}

// TestBatchKeepsNumbers: numbers in a $batch item's body survive (the
// SDK's own batch parsing turns them into null), so a count read through
// $batch decides as it should and a number written reads back.
func TestBatchKeepsNumbers(t *testing.T) {
	st := scenarioState()
	b, _ := simBackend(t, st, sim.Options{})
	n, err := b.countUsers(context.Background())
	if err != nil || n != len(st.Users) {
		t.Fatalf("countUsers = %d, %v; want %d", n, err, len(st.Users))
	}
	ext := "organization/" + st.TenantID + "/extensions"
	res := b.Apply(context.Background(), []entra.Op{{Kind: entra.OpRequest, Request: &entra.Request{Method: "POST", Path: ext,
		Body: map[string]any{"@odata.type": "microsoft.graph.openTypeExtension", "extensionName": "n", "pid": 7887, "ratio": 0.5, "on": true}}}})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	if res[0].Response["pid"] != 7887.0 {
		t.Errorf("created extension answered pid %v", res[0].Response["pid"])
	}
	docs, err := b.Documents(context.Background(), []string{ext + "/n"})
	if err != nil {
		t.Fatal(err)
	}
	if d := docs[ext+"/n"]; d["pid"] != 7887.0 || d["ratio"] != 0.5 || d["on"] != true {
		t.Errorf("read back %v", d)
	}
	// A second POST of the same name is a conflict callers can tell.
	res = b.Apply(context.Background(), []entra.Op{{Kind: entra.OpRequest, Request: &entra.Request{Method: "POST", Path: ext,
		Body: map[string]any{"@odata.type": "microsoft.graph.openTypeExtension", "extensionName": "n"}}}})
	if !errors.Is(res[0].Err, entra.ErrConflict) {
		t.Errorf("second POST: %v, want entra.ErrConflict", res[0].Err)
	}
}

// TestApplyReportsProgressAsAnswersArrive: 4,000 adds report progress as
// each $batch's answers arrive (10 of them carry the 200 PATCHes), rising
// to exactly 4,000, rather than once when everything is done.
func TestApplyReportsProgressAsAnswersArrive(t *testing.T) {
	st, ids := writeState(4000, 0)
	b, _ := simBackend(t, st, sim.Options{})
	var mu sync.Mutex
	var reports []int
	done := 0
	ctx := entra.WithProgress(context.Background(), func(n int) {
		mu.Lock()
		defer mu.Unlock()
		done += n
		reports = append(reports, done)
	})
	res := b.Apply(ctx, []entra.Op{{Kind: entra.OpAddMembers, GroupID: st.Groups[0].ID, IDs: ids}})
	if res[0].Err != nil || len(res[0].Failed) > 0 {
		t.Fatalf("apply: %v %v", res[0].Err, res[0].Failed)
	}
	if done != 4000 {
		t.Fatalf("reported %d members written, want 4000", done)
	}
	if len(reports) < 10 {
		t.Fatalf("%d progress reports (%v), want one per member PATCH at least", len(reports), reports)
	}
}

// TestPlanReadingReportsProgress: reading 200 groups' members reports as
// each $batch is answered, stage by stage, each stage ending at its total;
// references, members and owners are read at once, as one stage.
func TestPlanReadingReportsProgress(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 200 groups of 500 members")
	}
	st, d, refs := plannedTenant()
	bk, _ := simBackend(t, st, sim.Options{})
	var mu sync.Mutex
	last := map[string][2]int{}
	reports := map[string]int{}
	var order []string
	_, ds, err := plan.ReadLive(context.Background(), bk, d, plan.Inputs{Progress: func(stage string, done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if _, seen := last[stage]; !seen {
			order = append(order, stage)
		}
		if prev := last[stage]; done < prev[0] {
			t.Errorf("%s went back from %d to %d", stage, prev[0], done)
		}
		last[stage] = [2]int{done, total}
		reports[stage]++
	}})
	if err != nil || ds.HasErrors() {
		t.Fatalf("read: %v %v", err, ds.Err())
	}
	// No marker names a commit, so there is no history to load and no
	// stage for it.
	want := []string{"groups", "references, members and owners"}
	if !slices.Equal(order, want) {
		t.Errorf("stages %v, want %v", order, want)
	}
	for stage, l := range last {
		if l[0] != l[1] {
			t.Errorf("%s ended at %d of %d", stage, l[0], l[1])
		}
	}
	const reading = "references, members and owners"
	if last[reading][1] != refs+200 {
		t.Errorf("totals %v, want %d references and 200 groups", last, refs)
	}
	// 200 member listings in 10 $batches: the bar moves at least that often.
	if reports[reading] < 10 {
		t.Errorf("%s reported %d times, want one per $batch at least", reading, reports[reading])
	}
}

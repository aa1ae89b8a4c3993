package apply_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// tenant holds a fake and the configuration history (commit -> desired).
type tenant struct {
	t       *testing.T
	fake    *entratest.Fake
	history map[string]*model.Desired
}

func (tn *tenant) plan(commit string, opts plan.Options) *plan.Plan {
	tn.t.Helper()
	d := tn.history[commit]
	d.Tenant.ID = entratest.FakeTenant
	live, ds, err := plan.ReadLive(context.Background(), tn.fake, d, plan.Inputs{
		LastDeclared: plan.HistoryOf(func(c string) (*model.Desired, bool, error) { h, ok := tn.history[c]; return h, ok, nil }),
		Full:         opts.Full,
	})
	if err != nil || ds.HasErrors() {
		tn.t.Fatalf("read: %v %v", err, ds.Err())
	}
	p, ds := plan.Compute(plan.Input{Desired: d, Live: live, Commit: commit}, opts)
	if ds.HasErrors() {
		tn.t.Fatal(ds.Err())
	}
	return p
}

func (tn *tenant) apply(p *plan.Plan, opts apply.Options) *apply.Report {
	tn.t.Helper()
	rep, err := apply.Run(context.Background(), p, tn.fake, opts)
	if err != nil {
		tn.t.Fatal(err)
	}
	if rep.Failed() {
		tn.t.Fatalf("apply failed: %+v", rep.Results)
	}
	return rep
}

func vpn(mode model.MembershipMode, members ...string) *model.Desired {
	var upns []string
	for _, m := range members {
		upns = append(upns, m+"@contoso.com")
	}
	return &model.Desired{Groups: map[string]model.Group{"vpn": {
		DisplayName: "VPN Users", Kind: model.GroupSecurity, MailNickname: "vpn-users", Adopt: "mailNickname",
		Membership: &model.Membership{Mode: mode, Users: upns},
	}}}
}

func names(ids []string, fake *entratest.Fake, group string) string {
	return strings.Join(fake.MemberNames(group), ",")
}

// The Configuration Manager scenario, as an acceptance
// test: group has A,B,C; config declares B,C -> first sync leaves B,C;
// remove C -> incremental leaves B; D added by hand -> incremental leaves
// B,D; apply --full -> B.
func TestConfigurationManagerScenario(t *testing.T) {
	fake := entratest.New()
	id := map[string]string{}
	for _, u := range []string{"a", "b", "c", "d"} {
		id[u] = fake.AddUser(u + "@contoso.com")
	}
	group := fake.AddGroup(entra.Group{DisplayName: "VPN Users", MailNickname: "vpn-users"}, id["a"], id["b"], id["c"])
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{
		"c1": vpn(model.ModeIncremental, "b", "c"),
		"c2": vpn(model.ModeIncremental, "b"),
	}}
	members := func() string { return names(nil, fake, group) }

	p := tn.plan("c1", plan.Options{})
	if c := p.Groups[0]; c.Action != plan.Adopt || c.ModeReason != "first sync: full" {
		t.Fatalf("first plan: %s (%s)", c.Action, c.ModeReason)
	}
	tn.apply(p, apply.Options{})
	if got := members(); got != "b@contoso.com,c@contoso.com" {
		t.Fatalf("after the first sync: %s", got)
	}

	tn.apply(tn.plan("c2", plan.Options{}), apply.Options{})
	if got := members(); got != "b@contoso.com" {
		t.Fatalf("after removing C from the config: %s", got)
	}

	fake.AddMemberByHand(group, id["d"])
	p = tn.plan("c2", plan.Options{})
	if p.HasChanges() {
		t.Fatalf("a hand-added member should be left alone: %+v", p.Groups[0])
	}
	if got := members(); got != "b@contoso.com,d@contoso.com" {
		t.Fatalf("after D was added by hand: %s", got)
	}

	tn.apply(tn.plan("c2", plan.Options{Full: true}), apply.Options{})
	if got := members(); got != "b@contoso.com" {
		t.Fatalf("after apply --full: %s", got)
	}
	if p := tn.plan("c2", plan.Options{}); p.HasChanges() {
		t.Fatalf("not converged: %+v", p.Groups)
	}
	g, _ := fake.Group(group)
	if g.Marker == nil || g.Marker.Address != "groups.vpn" || g.Marker.Commit != "c2" {
		t.Fatalf("marker: %+v", g.Marker)
	}
}

func TestGuardStopsBeforeWriting(t *testing.T) {
	fake := entratest.New()
	var all []string
	for i := 0; i < 20; i++ {
		all = append(all, fake.AddUser(string(rune('a'+i))+"@contoso.com"))
	}
	fake.AddGroup(entra.Group{DisplayName: "VPN Users", MailNickname: "vpn-users"}, all...)
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": vpn(model.ModeFull, "a")}}
	p := tn.plan("c1", plan.Options{})
	_, err := apply.Run(context.Background(), p, fake, apply.Options{})
	if !errors.Is(err, apply.ErrGuard) || !strings.Contains(err.Error(), "would remove 19 of 20 members") {
		t.Fatalf("guard: %v", err)
	}
	if fake.Writes != 0 {
		t.Fatalf("%d writes before the guard stopped", fake.Writes)
	}
	tn.apply(p, apply.Options{AllowMassRemoval: true})
}

// A failure mid-way leaves the marker where it was; the re-run converges
// with no duplicate and no missing member.
func TestRerunAfterFailureConverges(t *testing.T) {
	fake := entratest.New()
	id := map[string]string{}
	for _, u := range []string{"a", "b", "c", "d", "e"} {
		id[u] = fake.AddUser(u + "@contoso.com")
	}
	d := vpn(model.ModeFull, "a", "b", "c", "d", "e")
	g := d.Groups["vpn"]
	g.Adopt = "" // a new group
	d.Groups["vpn"] = g
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": d}}
	fake.Fail[entra.OpAddMembers] = map[string]error{id["c"]: errors.New("503 Service Unavailable")}
	rep, err := apply.Run(context.Background(), tn.plan("c1", plan.Options{}), fake, apply.Options{})
	if err != nil || !rep.Failed() || !strings.Contains(strings.Join(rep.Results[0].Errors, " "), "503") {
		t.Fatalf("first run: %v %+v", err, rep)
	}
	gid := rep.Results[0].GroupID
	// A new group is marked as soon as it exists, so the re-run owns it.
	if g, _ := fake.Group(gid); g.Marker == nil || g.Marker.Commit != "c1" {
		t.Fatalf("new group not marked: %+v", g.Marker)
	}
	delete(fake.Fail, entra.OpAddMembers)
	p := tn.plan("c1", plan.Options{})
	if c := p.Groups[0]; c.Action != plan.Update || len(c.Members.Add) != 1 || c.Members.Add[0].Name != "c@contoso.com" {
		t.Fatalf("re-plan: %s %+v", c.Action, c.Members)
	}
	tn.apply(p, apply.Options{})
	if got := strings.Join(fake.MemberNames(gid), ","); got != "a@contoso.com,b@contoso.com,c@contoso.com,d@contoso.com,e@contoso.com" {
		t.Fatalf("after the re-run: %s", got)
	}
}

func TestStalePlanIsDetected(t *testing.T) {
	fake := entratest.New()
	a := fake.AddUser("a@contoso.com")
	b := fake.AddUser("b@contoso.com")
	group := fake.AddGroup(entra.Group{DisplayName: "VPN Users", MailNickname: "vpn-users"}, a)
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": vpn(model.ModeFull, "a", "b")}}
	p := tn.plan("c1", plan.Options{})
	if stale, err := apply.Stale(context.Background(), fake, p); err != nil || len(stale) != 0 {
		t.Fatalf("fresh plan reported stale: %v %v", stale, err)
	}
	fake.AddMemberByHand(group, b)
	stale, err := apply.Stale(context.Background(), fake, p)
	if err != nil || len(stale) != 1 || !strings.Contains(stale[0], "groups.vpn: the group changed since the plan was made") {
		t.Fatalf("stale: %v %v", stale, err)
	}
}

// Nested groups created in the same apply get their new ids as members.
func TestCreatesNestedGroupsInOneApply(t *testing.T) {
	fake := entratest.New()
	fake.AddUser("a@contoso.com")
	d := &model.Desired{Groups: map[string]model.Group{
		"parent": {DisplayName: "Parent", Kind: model.GroupSecurity, MailNickname: "parent",
			Membership: &model.Membership{Mode: model.ModeFull, Groups: []string{"child"}}},
		"child": {DisplayName: "Child", Kind: model.GroupSecurity, MailNickname: "child",
			Membership: &model.Membership{Mode: model.ModeFull, Users: []string{"a@contoso.com"}}},
	}}
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": d}}
	rep := tn.apply(tn.plan("c1", plan.Options{}), apply.Options{})
	var parent string
	for _, r := range rep.Results {
		if r.Address == "groups.parent" {
			parent = r.GroupID
		}
	}
	if got := fake.MemberNames(parent); len(got) != 1 || got[0] != "Child" {
		t.Fatalf("parent members: %v", got)
	}
	if p := tn.plan("c1", plan.Options{}); p.HasChanges() {
		t.Fatalf("not converged: %+v", p.Groups)
	}
}

// A new group that cannot be marked (after retries) is left alone, never
// deleted (a delete answered 404 during replication would have counted as
// done and left it behind anyway); the next run recognises it as its own
// creation by its uniqueName and finishes it, with no duplicate.
func TestUnmarkableCreateIsRecognised(t *testing.T) {
	fake := entratest.New()
	fake.AddUser("a@contoso.com")
	d := &model.Desired{Groups: map[string]model.Group{"g": {DisplayName: "G", Kind: model.GroupSecurity, MailNickname: "g",
		Membership: &model.Membership{Mode: model.ModeFull, Users: []string{"a@contoso.com"}}}}}
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": d}}
	fake.Fail[entra.OpSetMarker] = map[string]error{"": errors.New("500 Service_InternalServerError")}
	rep, err := apply.Run(context.Background(), tn.plan("c1", plan.Options{}), fake, apply.Options{ReadablePoll: time.Millisecond})
	if err != nil || !rep.Failed() || !strings.Contains(strings.Join(rep.Results[0].Errors, ""), "recognises it as its own by its uniqueName") {
		t.Fatalf("first run: %v %+v", err, rep)
	}
	if n := strings.Count(strings.Join(fake.Calls, " "), "Apply:"+string(entra.OpSetMarker)); n != 4 {
		t.Fatalf("the marker was tried %d times, want 4", n)
	}
	if slices.Contains(fake.Calls, "Apply:"+string(entra.OpAddMembers)) || slices.Contains(fake.Calls, "Apply:"+string(entra.OpDeleteGroup)) {
		t.Fatal("members were written to, or a delete sent for, a group that could not be marked")
	}
	delete(fake.Fail, entra.OpSetMarker)
	p := tn.plan("c1", plan.Options{})
	if p.Summary.Create != 0 || p.Summary.Adopt != 1 {
		t.Fatalf("re-plan: %+v", p.Summary)
	}
	rep = tn.apply(p, apply.Options{})
	if got := fake.MemberNames(rep.Results[0].GroupID); len(got) != 1 {
		t.Fatalf("after the re-run: %v", got)
	}
	if g, _ := fake.Group(rep.Results[0].GroupID); g.Marker == nil || g.Marker.Origin != entra.OriginCreated {
		t.Fatalf("marker after the re-run: %+v", g.Marker)
	}
}

// A group mirroring another gets the source's members after the plan,
// even when the same plan creates or changes the source: one apply
// converges.
func TestMirrorConvergesInOneApply(t *testing.T) {
	fake := entratest.New()
	for _, u := range []string{"a", "b", "c"} {
		fake.AddUser(u + "@contoso.com")
	}
	src := func(users ...string) model.Group {
		var upns []string
		for _, u := range users {
			upns = append(upns, u+"@contoso.com")
		}
		return model.Group{DisplayName: "Source", Kind: model.GroupSecurity, MailNickname: "source",
			Membership: &model.Membership{Mode: model.ModeFull, Users: upns}}
	}
	mirror := model.Group{DisplayName: "Mirror", Kind: model.GroupSecurity, MailNickname: "mirror",
		Membership: &model.Membership{Mode: model.ModeFull, From: []model.Source{{Group: "source"}}}}
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{
		"c1": {Groups: map[string]model.Group{"source": src("a", "b"), "mirror": mirror}},
		"c2": {Groups: map[string]model.Group{"source": src("b", "c"), "mirror": mirror}},
	}}
	for _, commit := range []string{"c1", "c2"} {
		rep := tn.apply(tn.plan(commit, plan.Options{}), apply.Options{})
		if p := tn.plan(commit, plan.Options{}); p.HasChanges() {
			t.Fatalf("%s: a second apply would still change %+v", commit, p.Groups)
		}
		var ids = map[string]string{}
		for _, r := range rep.Results {
			ids[r.Address] = r.GroupID
		}
		if a, b := fake.MemberNames(ids["groups.source"]), fake.MemberNames(ids["groups.mirror"]); strings.Join(a, ",") != strings.Join(b, ",") {
			t.Fatalf("%s: source %v, mirror %v", commit, a, b)
		}
	}
}

// A saved plan that prunes a marked group is fresh until the group
// changes: deletes are fingerprinted the same way when planned and checked.
func TestStaleCheckOfADelete(t *testing.T) {
	fake := entratest.New()
	a := fake.AddUser("a@contoso.com")
	old := fake.AddGroup(entra.Group{DisplayName: "Old", MailNickname: "old", Marker: &entra.Marker{Address: "groups.old", Commit: "c0", Origin: entra.OriginCreated}}, a)
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": {Groups: map[string]model.Group{}}}}
	p := tn.plan("c1", plan.Options{Prune: true})
	if len(p.Groups) != 1 || p.Groups[0].Action != plan.Delete || p.Groups[0].Guard != "would delete a group with 1 members" {
		t.Fatalf("plan: %+v", p.Groups)
	}
	if stale, err := apply.Stale(context.Background(), fake, p); err != nil || len(stale) != 0 {
		t.Fatalf("a fresh prune plan reported stale: %v %v", stale, err)
	}
	fake.AddMemberByHand(old, fake.AddUser("b@contoso.com"))
	if stale, _ := apply.Stale(context.Background(), fake, p); len(stale) != 1 {
		t.Fatalf("a changed group to delete was not reported stale: %v", stale)
	}
}

// Renaming a group's key: without adopt the plan explains what to do;
// with adopt: "id:…" the group is rebound and not pruned.
func TestKeyRenameByAdoption(t *testing.T) {
	fake := entratest.New()
	a := fake.AddUser("a@contoso.com")
	gid := fake.AddGroup(entra.Group{DisplayName: "Finance", MailNickname: "fin",
		Marker: &entra.Marker{Address: "groups.finance", Commit: "c0", Mode: model.ModeFull}}, a)
	renamed := func(adopt string) *model.Desired {
		return &model.Desired{Groups: map[string]model.Group{"sg-finance": {DisplayName: "Finance", Kind: model.GroupSecurity,
			MailNickname: "fin", Adopt: adopt, Membership: &model.Membership{Mode: model.ModeFull, Users: []string{"a@contoso.com"}}}}}
	}
	_, ds, err := plan.ReadLive(context.Background(), fake, renamed(""), plan.Inputs{})
	if err != nil || !ds.HasErrors() || !strings.Contains(ds[0].Summary, `is managed as groups.finance, which is no longer declared; if you renamed that key to groups.sg-finance, add adopt: "id:`+gid) {
		t.Fatalf("without adopt: %v %v", err, ds)
	}
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c1": renamed("id:" + gid)}}
	p := tn.plan("c1", plan.Options{Prune: true})
	if len(p.Groups) != 1 || p.Groups[0].Action != plan.Adopt || p.Summary.Delete != 0 {
		t.Fatalf("rename plan: %+v", p.Groups)
	}
	tn.apply(p, apply.Options{})
	if g, _ := fake.Group(gid); g.Marker == nil || g.Marker.Address != "groups.sg-finance" {
		t.Fatalf("marker after the rename: %+v", g.Marker)
	}
	if p := tn.plan("c1", plan.Options{Prune: true}); p.HasChanges() {
		t.Fatalf("not converged: %+v", p.Groups)
	}
}

// A group whose sources record could not be created keeps its old marker:
// the marker never claims a record that does not exist.
func TestFailedRecordKeepsTheMarker(t *testing.T) {
	fake := entratest.New()
	fake.AddUser("a@contoso.com", "department=Finance")
	gid := fake.AddGroup(entra.Group{DisplayName: "Fin", MailNickname: "fin",
		Marker: &entra.Marker{Tenant: entratest.FakeTenant, Address: "groups.fin", Commit: "c0", Origin: entra.OriginCreated,
			Mode: model.ModeIncremental, Sources: entra.SourcesNone, Owners: entra.OwnersNone}})
	d := &model.Desired{Groups: map[string]model.Group{"fin": {DisplayName: "Fin", Kind: model.GroupSecurity, MailNickname: "fin",
		Membership: &model.Membership{Mode: model.ModeIncremental, From: []model.Source{{Users: "department eq 'Finance'"}}}}}}
	tn := &tenant{t: t, fake: fake, history: map[string]*model.Desired{"c0": {Groups: map[string]model.Group{}}, "c1": d}}
	fake.Fail[entra.OpCreateGroup] = map[string]error{"": errors.New("500 Service_InternalServerError")}
	rep, err := apply.Run(context.Background(), tn.plan("c1", plan.Options{}), fake, apply.Options{ReadablePoll: time.Millisecond})
	if err != nil || !rep.Failed() {
		t.Fatalf("apply: %v %+v", err, rep)
	}
	if g, _ := fake.Group(gid); g.Marker.Commit != "c0" || g.Marker.Sources != entra.SourcesNone {
		t.Fatalf("marker after a failed record: %+v", g.Marker)
	}
}

package plan

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

func user(name string) entra.Principal {
	return entra.Principal{ID: "id-" + name, Type: entra.TypeUser, Name: name + "@contoso.com"}
}

func users(names ...string) []entra.Principal {
	var out []entra.Principal
	for _, n := range names {
		out = append(out, user(n))
	}
	return out
}

func upns(names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n+"@contoso.com")
	}
	return out
}

// liveFor builds a Live where every user in the alphabet resolves.
func liveFor(groups map[string]*LiveGroup) *Live {
	l := &Live{Groups: groups, Refs: map[string]entra.Principal{}, Computed: map[string][]entra.Principal{},
		Last: map[string]*model.Group{}, LastMissing: map[string]string{}, Full: true}
	for _, n := range strings.Split("a b c d e f g h i j k l m n o p q r s t u v w x y z", " ") {
		l.Refs["user:"+n+"@contoso.com"] = user(n)
	}
	return l
}

func desiredGroup(mode model.MembershipMode, members ...string) model.Group {
	return model.Group{DisplayName: "G", Kind: model.GroupSecurity, MailNickname: "g",
		Membership: &model.Membership{Mode: mode, Users: upns(members...)}}
}

func marked(commit string, mode model.MembershipMode, members ...string) *LiveGroup {
	return &LiveGroup{Group: entra.Group{ID: "gid", DisplayName: "G", MailNickname: "g", Kind: model.GroupSecurity,
		Marker: &entra.Marker{Address: "groups.g", Commit: commit, Mode: mode, Sources: entra.SourcesNone, Owners: entra.OwnersNone, Tenant: "t", Origin: entra.OriginCreated}}, Members: users(members...)}
}

func names(ms []Member) string {
	var out []string
	for _, m := range ms {
		out = append(out, strings.TrimSuffix(m.Name, "@contoso.com"))
	}
	return strings.Join(out, ",")
}

func TestMembershipSemantics(t *testing.T) {
	tests := []struct {
		name       string
		desired    model.Group
		live       *LiveGroup
		last       *model.Group // declaration at the marker's commit
		lastGone   bool         // the marker's commit is missing
		opts       Options
		action     Action
		add, rm    string
		reason     string
		guard      string
		markerMove bool
	}{
		{name: "new group: everything added",
			desired: desiredGroup(model.ModeIncremental, "b", "c"), action: Create, add: "b,c", reason: "new group"},
		{name: "first sync of an adopted group is full",
			desired: desiredGroup(model.ModeIncremental, "b", "c"),
			live:    &LiveGroup{Group: entra.Group{ID: "gid", DisplayName: "G", MailNickname: "g", Kind: model.GroupSecurity}, Members: users("a", "b", "c")},
			action:  Adopt, rm: "a", reason: "first sync: full", markerMove: true},
		{name: "incremental: a member dropped from the config is removed",
			desired: desiredGroup(model.ModeIncremental, "b"), live: marked("c1", model.ModeIncremental, "b", "c"),
			last: ptr(desiredGroup(model.ModeIncremental, "b", "c")), action: Update, rm: "c", reason: "incremental since c1", markerMove: true},
		{name: "incremental: members added by hand stay",
			desired: desiredGroup(model.ModeIncremental, "b"), live: marked("c1", model.ModeIncremental, "b", "d"),
			last: ptr(desiredGroup(model.ModeIncremental, "b")), action: NoOp, reason: "incremental since c1"},
		{name: "incremental: a dropped member already gone needs no removal, but the marker moves",
			desired: desiredGroup(model.ModeIncremental, "b"), live: marked("c1", model.ModeIncremental, "b"),
			last: ptr(desiredGroup(model.ModeIncremental, "b", "c")), action: Update, markerMove: true},
		{name: "--full removes hand-added members",
			desired: desiredGroup(model.ModeIncremental, "b"), live: marked("c1", model.ModeIncremental, "b", "d"),
			last: ptr(desiredGroup(model.ModeIncremental, "b")), opts: Options{Full: true}, action: Update, rm: "d", reason: "--full", markerMove: true},
		{name: "mode full removes hand-added members",
			desired: desiredGroup(model.ModeFull, "b"), live: marked("c1", model.ModeFull, "b", "d"), action: Update, rm: "d", reason: "mode: full", markerMove: true},
		{name: "marker commit missing: add-only, never guesses removals",
			desired: desiredGroup(model.ModeIncremental, "e"), live: marked("gone", model.ModeIncremental, "b", "c"), lastGone: true,
			action: Update, add: "e", reason: "add-only", markerMove: true},
		{name: "mass removal guard: more than 10 and more than 20%",
			desired: desiredGroup(model.ModeFull, "a"), live: marked("c1", model.ModeFull, strings.Split("a b c d e f g h i j k l m", " ")...),
			action: Update, rm: "b,c,d,e,f,g,h,i,j,k,l,m", guard: "would remove 12 of 13 members", markerMove: true},
		{name: "emptying a group trips the guard",
			desired: desiredGroup(model.ModeFull), live: marked("c1", model.ModeFull, "a"), action: Update, rm: "a", guard: "would remove all 1 members", markerMove: true},
		{name: "dynamic group: members not managed",
			desired: model.Group{DisplayName: "G", Kind: model.GroupSecurity, MailNickname: "g", DynamicRule: `user.a -eq "b"`},
			live:    &LiveGroup{Group: entra.Group{ID: "gid", DisplayName: "G", MailNickname: "g", Kind: model.GroupSecurity, DynamicRule: `user.a -eq "b"`, Marker: &entra.Marker{Address: "groups.g", Commit: "c1", Sources: entra.SourcesNone, Owners: entra.OwnersNone, Tenant: "t", Origin: entra.OriginCreated}}, Members: users("x")},
			last:    &model.Group{DisplayName: "G", Kind: model.GroupSecurity, MailNickname: "g", DynamicRule: `user.a -eq "b"`},
			action:  NoOp, reason: "dynamic"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			groups := map[string]*LiveGroup{}
			if tt.live != nil && tt.live.ID != "" {
				groups["g"] = tt.live
			}
			live := liveFor(groups)
			if tt.last != nil {
				live.Last["g"] = tt.last
			}
			if tt.lastGone {
				live.LastMissing["g"] = "gone"
			}
			d := &model.Desired{Tenant: model.Tenant{ID: "t"}, Groups: map[string]model.Group{"g": tt.desired}}
			p, ds := Compute(Input{Desired: d, Live: live, Commit: "c2"}, tt.opts)
			if ds.HasErrors() {
				t.Fatal(ds.Err())
			}
			c := p.Groups[0]
			var add, rm string
			if c.Members != nil {
				add, rm = names(c.Members.Add), names(c.Members.Remove)
			}
			if c.Action != tt.action || add != tt.add || rm != tt.rm {
				t.Errorf("action %s add [%s] remove [%s]; want %s add [%s] remove [%s] (%s)", c.Action, add, rm, tt.action, tt.add, tt.rm, c.ModeReason)
			}
			if !strings.Contains(c.ModeReason, tt.reason) {
				t.Errorf("mode reason %q, want it to contain %q", c.ModeReason, tt.reason)
			}
			if !strings.HasPrefix(c.Guard, tt.guard) || (tt.guard == "") != (c.Guard == "") {
				t.Errorf("guard %q, want %q", c.Guard, tt.guard)
			}
			moved := false
			for _, a := range c.Attributes {
				if a.Name == "marker" && tt.live != nil && tt.live.ID != "" {
					moved = true
				}
			}
			if moved != tt.markerMove {
				t.Errorf("marker update %t, want %t (%+v)", moved, tt.markerMove, c.Attributes)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestGuardThreshold(t *testing.T) {
	var all []string
	for i := 0; i < 100; i++ {
		all = append(all, fmt.Sprintf("u%02d", i))
	}
	for _, tt := range []struct {
		remove int
		trip   bool
	}{{10, false}, {11, false}, {20, false}, {21, true}} {
		live := liveFor(map[string]*LiveGroup{"g": marked("c1", model.ModeFull, all...)})
		for _, n := range all {
			live.Refs["user:"+n+"@contoso.com"] = user(n)
		}
		d := &model.Desired{Groups: map[string]model.Group{"g": desiredGroup(model.ModeFull, all[tt.remove:]...)}}
		p, _ := Compute(Input{Desired: d, Live: live, Commit: "c1"}, Options{})
		if got := p.Groups[0].Guard != ""; got != tt.trip {
			t.Errorf("removing %d of 100: guard %q, want tripped=%t", tt.remove, p.Groups[0].Guard, tt.trip)
		}
	}
}

func TestOwners(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{"g": marked("c1", model.ModeIncremental, "a")})
	live.Groups["g"].Owners = users("x", "y")
	g := desiredGroup(model.ModeIncremental, "a")
	g.Owners = upns("x", "z")
	last := desiredGroup(model.ModeIncremental, "a")
	last.Owners = upns("x", "y")
	live.Last["g"] = &last
	d := &model.Desired{Groups: map[string]model.Group{"g": g}}
	p, _ := Compute(Input{Desired: d, Live: live, Commit: "c2"}, Options{})
	o := p.Groups[0].Owners
	if names(o.Add) != "z" || names(o.Remove) != "y" {
		t.Errorf("owners add [%s] remove [%s], want z and y", names(o.Add), names(o.Remove))
	}
	// The last owner is never removed.
	live.Groups["g"].Owners = users("y")
	g.Owners = nil
	g.Owners = upns("q")
	live.Last["g"].Owners = upns("y")
	d.Groups["g"] = g
	p, _ = Compute(Input{Desired: d, Live: live, Commit: "c2"}, Options{Full: true})
	if o := p.Groups[0].Owners; len(o.Remove) != 1 || o.After != 1 {
		t.Errorf("replacing the only owner: %+v", o)
	}
}

func TestPruneAndOrphans(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{})
	live.Marked = []*LiveGroup{
		{Group: entra.Group{ID: "s1", DisplayName: "Old security", Kind: model.GroupSecurity, Marker: &entra.Marker{Address: "groups.old", Origin: entra.OriginCreated}}},
		{Group: entra.Group{ID: "m1", DisplayName: "Old team", Kind: model.GroupMicrosoft365, Marker: &entra.Marker{Address: "groups.team", Origin: entra.OriginCreated}}},
		{Group: entra.Group{ID: "a1", DisplayName: "Adopted", Kind: model.GroupSecurity, Marker: &entra.Marker{Address: "groups.adopted", Origin: entra.OriginAdopted}}, Members: users("a")},
	}
	d := &model.Desired{Groups: map[string]model.Group{}}
	p, _ := Compute(Input{Desired: d, Live: live}, Options{})
	if len(p.Groups) != 0 || len(p.Orphans) != 3 || p.HasChanges() {
		t.Fatalf("without prune: %d changes, %d orphans", len(p.Groups), len(p.Orphans))
	}
	p, _ = Compute(Input{Desired: d, Live: live}, Options{Prune: true})
	if len(p.Groups) != 3 || p.Summary.Delete != 2 || p.Summary.Release != 1 {
		t.Fatalf("with prune: %+v", p.Groups)
	}
	// An adopted group is released, never deleted, whatever its members.
	if a := p.Groups[0]; a.Address != "groups.adopted" || a.Action != Release || a.Guard != "" {
		t.Errorf("adopted group: %+v", a)
	}
	if !p.Groups[1].Permanent || p.Groups[2].Permanent {
		t.Errorf("security delete must be permanent, Microsoft 365 delete not: %+v", p.Groups)
	}
	d.Prune = true
	if p, _ = Compute(Input{Desired: d, Live: live}, Options{}); p.Summary.Delete != 2 {
		t.Error("prune: true in the configuration did not prune")
	}
}

func TestImpossibleChangesAreErrors(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{"g": marked("c1", model.ModeFull, "a")})
	g := desiredGroup(model.ModeFull, "a")
	g.Kind = model.GroupMicrosoft365
	g.IsAssignableToRole = true
	d := &model.Desired{Groups: map[string]model.Group{"g": g}}
	_, ds := Compute(Input{Desired: d, Live: live, Commit: "c1"}, Options{})
	if len(ds) != 2 || !strings.Contains(ds[0].Summary, "cannot turn it into a microsoft365 group") {
		t.Fatalf("diagnostics: %v", ds)
	}
}

func TestTargetsAndDeterminism(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{})
	d := &model.Desired{Groups: map[string]model.Group{"a": desiredGroup(model.ModeFull, "a"), "b": desiredGroup(model.ModeFull, "b")}}
	p, _ := Compute(Input{Desired: d, Live: live}, Options{Targets: []string{"groups.b"}})
	if len(p.Groups) != 1 || p.Groups[0].Address != "groups.b" {
		t.Fatalf("targets: %+v", p.Groups)
	}
	p1, _ := Compute(Input{Desired: d, Live: live, Commit: "x"}, Options{})
	p2, _ := Compute(Input{Desired: d, Live: live, Commit: "x"}, Options{})
	j1, _ := json.Marshal(p1)
	j2, _ := json.Marshal(p2)
	if string(j1) != string(j2) {
		t.Error("the same input gave two plans")
	}
}

// TestIncrementalEdges holds, one by one, the cases around incremental
// sync that once lost a removal or removed a member added by hand.
func TestIncrementalEdges(t *testing.T) {
	withFrom := func(g model.Group, src model.Source) model.Group {
		m := *g.Membership
		m.From = append(m.From, src)
		g.Membership = &m
		return g
	}
	finance := model.Source{Users: "department eq 'Finance'"}
	record := &LiveGroup{Group: entra.Group{ID: "rec", Marker: &entra.Marker{Address: "groups.g", Role: entra.RoleSources}}}
	tests := []struct {
		name      string
		desired   model.Group
		live      *LiveGroup
		last      *model.Group
		lastGone  bool
		setup     func(l *Live)
		opts      Options
		add, rm   string
		undecided string
		marker    *entra.Marker
		note      string
		errorText string
	}{
		{name: "a user who leaves the filter leaves the group; hand-added d stays",
			desired: withFrom(desiredGroup(model.ModeIncremental, "a"), finance), live: marked("c1", model.ModeIncremental, "a", "b", "c", "d"),
			last: ptr(withFrom(desiredGroup(model.ModeIncremental, "a"), finance)),
			setup: func(l *Live) {
				l.Computed["users:department eq 'Finance'"] = users("b")
				record.Members = users("b", "c")
				l.Records["groups.g"] = record
			},
			rm: "c", marker: &entra.Marker{Commit: "c2"}},
		{name: "without a record, the computed part is undecided, never guessed",
			desired: withFrom(desiredGroup(model.ModeIncremental, "a"), finance), live: marked("c1", model.ModeIncremental, "a", "b", "c"),
			last: ptr(withFrom(desiredGroup(model.ModeIncremental, "a"), finance)),
			setup: func(l *Live) {
				l.Computed["users:department eq 'Finance'"] = users("b")
				l.Groups["g"].Marker.Sources = entra.SourcesRecorded // and the record was deleted by hand
			},
			undecided: "no record of what they resolved to", marker: &entra.Marker{Commit: "c2"}},
		{name: "a nested key dropped from the configuration leaves its parent",
			desired: desiredGroup(model.ModeIncremental, "a"), live: marked("c1", model.ModeIncremental, "a", "child"),
			last: ptr(model.Group{Membership: &model.Membership{Mode: model.ModeIncremental, Users: upns("a"), Groups: []string{"child"}}}),
			setup: func(l *Live) {
				l.Marked = []*LiveGroup{{Group: entra.Group{ID: "id-child", DisplayName: "child@contoso.com", Marker: &entra.Marker{Address: "groups.child"}}}}
			},
			rm: "child", marker: &entra.Marker{Commit: "c2"}},
		{name: "add-only keeps the marker's commit and owes the removals",
			desired: desiredGroup(model.ModeIncremental, "a", "e"), live: marked("c1", model.ModeIncremental, "a", "b"), lastGone: true,
			add: "e", undecided: "since gone: that commit is not in this repository", marker: &entra.Marker{Commit: "c1", Pending: []string{"c2"}}},
		{name: "too many add-only runs: an error, never a lost removal",
			desired: desiredGroup(model.ModeIncremental, "a"), live: marked("c1", model.ModeIncremental, "a"), lastGone: true,
			setup: func(l *Live) {
				for i := range maxPending {
					l.Groups["g"].Marker.Pending = append(l.Groups["g"].Marker.Pending, fmt.Sprintf("p%d", i))
				}
			},
			undecided: "not in this repository", errorText: "applied add-only 21 times"},
		{name: "--full with no member change still records the commit",
			desired: desiredGroup(model.ModeIncremental, "a"), live: marked("c1", model.ModeIncremental, "a"),
			last: ptr(desiredGroup(model.ModeIncremental, "a", "b")), opts: Options{Full: true}, marker: &entra.Marker{Commit: "c2"}},
		{name: "a mirror of an untargeted source copies its live members",
			desired: withFrom(desiredGroup(model.ModeIncremental), model.Source{Group: "src"}), live: marked("c1", model.ModeIncremental),
			last: ptr(withFrom(desiredGroup(model.ModeIncremental), model.Source{Group: "src"})), opts: Options{Targets: []string{"groups.g"}},
			setup: func(l *Live) {
				l.Groups["src"] = &LiveGroup{Group: entra.Group{ID: "src", Marker: &entra.Marker{Address: "groups.src", Commit: "c1"}}, Members: users("x")}
				l.Records["groups.g"] = &LiveGroup{Group: entra.Group{ID: "rec", Marker: &entra.Marker{Address: "groups.g", Role: entra.RoleSources}}}
			},
			add: "x", note: "mirrors the live members of groups.src, which this plan does not target", marker: &entra.Marker{Commit: "c2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := liveFor(map[string]*LiveGroup{"g": tt.live})
			live.Records = map[string]*LiveGroup{}
			if tt.last != nil {
				live.Last["g"] = tt.last
			}
			if tt.lastGone {
				live.LastMissing["g"] = "gone"
			}
			d := &model.Desired{Tenant: model.Tenant{ID: "t"}, Groups: map[string]model.Group{"g": tt.desired}}
			if tt.setup != nil {
				tt.setup(live)
			}
			if _, ok := live.Groups["src"]; ok {
				d.Groups["src"] = desiredGroup(model.ModeFull, "y") // not targeted: its change is not copied
			}
			p, ds := Compute(Input{Desired: d, Live: live, Commit: "c2"}, tt.opts)
			if tt.errorText != "" {
				if !ds.HasErrors() || !strings.Contains(ds.Err().Error(), tt.errorText) {
					t.Fatalf("diagnostics %v, want %q", ds, tt.errorText)
				}
				return
			}
			if ds.HasErrors() {
				t.Fatal(ds.Err())
			}
			c := p.Groups[slices.IndexFunc(p.Groups, func(c GroupChange) bool { return c.Address == "groups.g" })]
			if add, rm := names(c.Members.Add), names(c.Members.Remove); add != tt.add || rm != tt.rm {
				t.Errorf("add [%s] remove [%s]; want [%s] [%s] (%s)", add, rm, tt.add, tt.rm, c.ModeReason)
			}
			if (tt.undecided == "") != (c.Undecided == "") || !strings.Contains(c.Undecided, tt.undecided) {
				t.Errorf("undecided %q, want %q", c.Undecided, tt.undecided)
			}
			if c.Marker != nil {
				if want := recordState(c.Sources); c.Marker.Sources != want {
					t.Errorf("marker records sources %q, want %q", c.Marker.Sources, want)
				}
			}
			if (c.Marker == nil) != (tt.marker == nil) ||
				c.Marker != nil && (c.Marker.Commit != tt.marker.Commit || !slices.Equal(c.Marker.Pending, tt.marker.Pending)) {
				t.Errorf("marker %+v, want commit and pending of %+v", c.Marker, tt.marker)
			}
			if tt.note != "" && !slices.Contains(c.Notes, tt.note) {
				t.Errorf("notes %q, want %q", c.Notes, tt.note)
			}
		})
	}
}

func TestOwnersDroppedEntirely(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{"g": marked("c1", model.ModeIncremental, "a")})
	live.Groups["g"].Owners = users("x", "y", "z") // z was added by hand
	live.Groups["g"].Marker.Owners = entra.OwnersManaged
	last := desiredGroup(model.ModeIncremental, "a")
	last.Owners = upns("x", "y")
	live.Last["g"] = &last
	d := &model.Desired{Groups: map[string]model.Group{"g": desiredGroup(model.ModeIncremental, "a")}}
	p, _ := Compute(Input{Desired: d, Live: live, Commit: "c2"}, Options{})
	if o := p.Groups[0].Owners; o == nil || names(o.Remove) != "x,y" {
		t.Fatalf("owners dropped from the configuration: %+v", o)
	}
	// Without the hand-added owner, Graph's last owner stays, and the plan says so.
	live.Groups["g"].Owners = users("x", "y")
	p, _ = Compute(Input{Desired: d, Live: live, Commit: "c2"}, Options{})
	if o := p.Groups[0].Owners; names(o.Remove) != "x" || len(p.Groups[0].Notes) != 1 || !strings.Contains(p.Groups[0].Notes[0], "owner y@contoso.com stays") {
		t.Fatalf("last owner: %+v %q", o, p.Groups[0].Notes)
	}
}

func TestPruneGuard(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{})
	for i := range 6 {
		live.Marked = append(live.Marked, &LiveGroup{Group: entra.Group{ID: fmt.Sprint(i), Kind: model.GroupSecurity,
			Marker: &entra.Marker{Address: fmt.Sprintf("groups.old%d", i), Origin: entra.OriginCreated}}})
	}
	d := &model.Desired{Groups: map[string]model.Group{}, Prune: true}
	p, _ := Compute(Input{Desired: d, Live: live}, Options{})
	if p.Summary.Guards != 6 || p.Groups[0].Guard != "prune would delete 6 groups (more than 5)" {
		t.Fatalf("six deletes: %d guards, %q", p.Summary.Guards, p.Groups[0].Guard)
	}
	live.Marked = live.Marked[:5]
	live.Marked[0].Members = users("a")
	p, _ = Compute(Input{Desired: d, Live: live}, Options{})
	if p.Summary.Guards != 1 || p.Groups[0].Guard != "would delete a group with 1 members" {
		t.Fatalf("five deletes, one with a member: %d guards, %q", p.Summary.Guards, p.Groups[0].Guard)
	}
}

// A computed source that resolves to nothing (a typo, an HR feed outage)
// makes its removals need --allow-mass-removal, however few.
func TestEmptySourceTripsTheGuard(t *testing.T) {
	live := liveFor(map[string]*LiveGroup{"g": marked("c1", model.ModeFull, "a", "b", "c")})
	live.Computed["users:department eq 'Finance'"] = nil
	g := desiredGroup(model.ModeFull, "a")
	g.Membership.From = []model.Source{{Users: "department eq 'Finance'"}}
	d := &model.Desired{Groups: map[string]model.Group{"g": g}}
	p, _ := Compute(Input{Desired: d, Live: live, Commit: "c1"}, Options{})
	if c := p.Groups[0]; c.Guard != `would remove 2 members while filter "department eq 'Finance'" resolved to nothing` {
		t.Fatalf("guard %q", c.Guard)
	}
}

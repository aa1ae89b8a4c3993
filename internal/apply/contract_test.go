package apply_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// TestMembershipContract holds the two sentences the product promises,
// over random histories of configurations, portal edits, HR changes and
// applies (full, incremental, --full, --target, shallow clones):
//
//   - full leaves a group with exactly the declared members;
//   - incremental never removes a member only ever added by hand, and
//     removes every member the configuration or a computed source dropped
//     since the last applied commit, at the latest on the first run that
//     has the history;
//   - a re-plan after a successful apply shows no changes.
//
// ENTRASYNC_SEEDS sets the number of seeds (make reliability runs
// thousands); a failure names its seed so it can be replayed with
// ENTRASYNC_SEED.
func TestMembershipContract(t *testing.T) {
	seeds := envInt("ENTRASYNC_SEEDS", 300)
	if testing.Short() {
		seeds = 50
	}
	first := 1
	if s := envInt("ENTRASYNC_SEED", 0); s > 0 {
		first, seeds = s, 1
	}
	for seed := first; seed < first+seeds && !t.Failed(); seed++ {
		runSeed(t, int64(seed))
	}
}

func runSeed(t *testing.T, seed int64) {
	w := newWorld(t, seed)
	defer func() {
		if t.Failed() {
			t.Logf("seed %d (replay with ENTRASYNC_SEED=%d); history:\n  %s", seed, seed, strings.Join(w.log, "\n  "))
		}
	}()
	for step := 0; step < 30 && !t.Failed(); step++ {
		w.step()
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

// slot is one declared group as the random configuration evolves. A slot
// may nest or mirror only lower slots, so the configuration has no cycle.
type slot struct {
	key, adopt string
	declared   bool
	mode       model.MembershipMode
	users      map[string]bool // upns
	owners     map[string]bool
	dept       string // from: users "department eq '…'"
	mirror     int    // from: group (slot index), -1 for none
	nested     int    // membership.groups (slot index), -1 for none
}

type world struct {
	t     *testing.T
	rng   *rand.Rand
	fake  *entratest.Fake
	users []string // ids
	// sps are service principals (ids), which the fake, as Graph v1.0,
	// leaves out of member and owner listings unless asked for.
	sps   []string
	upn   map[string]string // id -> upn, or "sp:" and a service principal's name
	depts []string
	slots []*slot
	// history maps commits to configurations; head is the newest.
	history map[string]*model.Desired
	head    string
	commits int
	// What the configuration applied to each group (by id) since its last
	// complete sync, and what was added by hand and never declared since.
	applied, appliedOwners map[string]map[string]bool
	// appliedSources is what the computed sources resolved to at the last
	// apply: the sources record, which every apply rewrites.
	appliedSources   map[string]map[string]bool
	hand, handOwners map[string]map[string]bool
	log              []string
}

func newWorld(t *testing.T, seed int64) *world {
	w := &world{t: t, rng: rand.New(rand.NewSource(seed)), fake: entratest.New(), upn: map[string]string{},
		depts: []string{"Finance", "Sales", "HR"}, history: map[string]*model.Desired{},
		applied: map[string]map[string]bool{}, appliedOwners: map[string]map[string]bool{}, appliedSources: map[string]map[string]bool{},
		hand: map[string]map[string]bool{}, handOwners: map[string]map[string]bool{}}
	for i := 0; i < 10; i++ {
		upn := fmt.Sprintf("u%d@contoso.com", i)
		id := w.fake.AddUser(upn, "department="+w.depts[w.rng.Intn(len(w.depts))])
		w.users = append(w.users, id)
		w.upn[id] = upn
	}
	for i := 0; i < 2; i++ {
		name := fmt.Sprintf("sp%d", i)
		id := w.fake.AddObject(entra.TypeServicePrincipal, name)
		w.sps = append(w.sps, id)
		w.upn[id] = "sp:" + name
	}
	for i := 0; i < 4; i++ {
		s := &slot{key: fmt.Sprintf("g%d", i), declared: true, mode: model.ModeIncremental,
			users: map[string]bool{}, owners: map[string]bool{}, mirror: -1, nested: -1}
		if w.rng.Intn(4) == 0 {
			s.mode = model.ModeFull
		}
		for j := 0; j < 3; j++ {
			s.users[w.upn[w.pick(w.users)]] = true
		}
		w.slots = append(w.slots, s)
	}
	// An existing group made by hand, adopted by the first slot.
	w.fake.AddGroup(entra.Group{DisplayName: "G0", MailNickname: "nick-0"}, w.users[0], w.users[1])
	w.slots[0].adopt = "mailNickname"
	w.commit("initial")
	return w
}

func (w *world) pick(from []string) string { return from[w.rng.Intn(len(from))] }

func (w *world) logf(format string, args ...any) { w.log = append(w.log, fmt.Sprintf(format, args...)) }

// commit records the slots as a new configuration commit.
func (w *world) commit(what string) {
	d := &model.Desired{Tenant: model.Tenant{ID: entratest.FakeTenant}, Groups: map[string]model.Group{}}
	for i, s := range w.slots {
		if !s.declared {
			continue
		}
		m := &model.Membership{Mode: s.mode}
		for _, u := range slices.Sorted(maps.Keys(s.users)) {
			if name, sp := strings.CutPrefix(u, "sp:"); sp {
				m.ServicePrincipals = append(m.ServicePrincipals, name)
			} else {
				m.Users = append(m.Users, u)
			}
		}
		if s.dept != "" {
			m.From = append(m.From, model.Source{Users: "department eq '" + s.dept + "'"})
		}
		if s.mirror >= 0 && w.slots[s.mirror].declared {
			m.From = append(m.From, model.Source{Group: w.slots[s.mirror].key})
		}
		if s.nested >= 0 && w.slots[s.nested].declared {
			m.Groups = []string{w.slots[s.nested].key}
		}
		d.Groups[s.key] = model.Group{DisplayName: fmt.Sprintf("G%d", i), Kind: model.GroupSecurity,
			MailNickname: fmt.Sprintf("nick-%d", i), Adopt: s.adopt, Owners: slices.Sorted(maps.Keys(s.owners)), Membership: m}
	}
	w.commits++
	w.head = fmt.Sprintf("%040x", w.commits)
	w.history[w.head] = d
	w.logf("commit %s: %s", w.head[36:], what)
}

// groupID is the live id of the group bound to a key: by its marker, or
// by an adoption not applied yet; "" if none.
func (w *world) groupID(key string) string {
	for id, g := range w.fake.Marked() {
		if g.Marker.Role == "" && g.Marker.Address == "groups."+key {
			return id
		}
	}
	g := w.history[w.head].Groups[key]
	if id, ok := strings.CutPrefix(g.Adopt, "id:"); ok {
		return id
	}
	if g.Adopt == "mailNickname" {
		found, _ := w.fake.Groups(context.Background(), entra.GroupQuery{MailNicknames: []string{g.MailNickname}})
		for _, f := range found {
			if f.Marker == nil {
				return f.ID
			}
		}
	}
	return ""
}

func (w *world) step() {
	switch r := w.rng.Intn(10); {
	case r < 3:
		w.editConfig()
	case r < 5:
		w.editByHand()
	case r < 6:
		u := w.pick(w.users)
		dept := w.pick(w.depts)
		w.fake.SetUserProp(u, "department", dept)
		w.logf("HR: %s moves to %s", w.upn[u], dept)
	default:
		w.apply()
	}
}

func (w *world) editConfig() {
	i := w.rng.Intn(len(w.slots))
	s := w.slots[i]
	var what string
	switch r := w.rng.Intn(20); {
	case r < 6:
		what = "toggle member " + w.toggle(s.users, slices.Concat(w.users, w.sps))
	case r < 8 && len(s.owners) > 1:
		s.owners = map[string]bool{}
		what = "drop all owners"
	case r < 9:
		what = "toggle owner " + w.toggle(s.owners, w.users)
	case r < 12:
		s.dept = ""
		if w.rng.Intn(3) > 0 {
			s.dept = w.pick(w.depts)
		}
		what = "filter " + s.dept
	case r < 14 && i > 0:
		s.mirror = w.rng.Intn(i+1) - 1
		what = fmt.Sprintf("mirror %d", s.mirror)
	case r < 16 && i > 0:
		s.nested = w.rng.Intn(i+1) - 1
		what = fmt.Sprintf("nest %d", s.nested)
	case r < 17:
		s.mode = map[model.MembershipMode]model.MembershipMode{model.ModeFull: model.ModeIncremental, model.ModeIncremental: model.ModeFull}[s.mode]
		what = "mode " + string(s.mode)
	case r < 18:
		if id := w.groupID(s.key); id != "" && s.declared {
			s.key, s.adopt = s.key+"r", "id:"+id
			what = "rename to " + s.key
		}
	case r < 19:
		s.declared = !s.declared
		what = fmt.Sprintf("declared %t", s.declared)
	}
	w.commit(fmt.Sprintf("slot %d: %s", i, what))
}

// toggle adds a random principal of pool to a set, or removes it, and
// names it.
func (w *world) toggle(set map[string]bool, pool []string) string {
	u := w.upn[w.pick(pool)]
	if set[u] {
		delete(set, u)
	} else {
		set[u] = true
	}
	return u
}

func (w *world) editByHand() {
	var ids []string
	for id, g := range w.fake.Marked() {
		if g.Marker.Role == "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	slices.Sort(ids)
	gid, u := w.pick(ids), w.pick(slices.Concat(w.users, w.sps))
	owners := w.rng.Intn(4) == 0
	current, applied, hand := w.members(gid), w.applied, w.hand
	add, remove := w.fake.AddMemberByHand, w.fake.RemoveMemberByHand
	if owners {
		current, applied, hand = w.fake.OwnerIDs(gid), w.appliedOwners, w.handOwners
		add, remove = w.fake.AddOwnerByHand, w.fake.RemoveOwnerByHand
	}
	if hand[gid] == nil {
		hand[gid] = map[string]bool{}
	}
	if slices.Contains(current, u) {
		remove(gid, u)
		delete(hand[gid], u)
		w.logf("portal: remove %s from %s (owner %t)", w.upn[u], gid[24:], owners)
		return
	}
	add(gid, u)
	hand[gid][u] = !applied[gid][u] && (owners || !w.appliedSources[gid][u])
	w.logf("portal: add %s to %s (owner %t, by hand only %t)", w.upn[u], gid[24:], owners, hand[gid][u])
}

func (w *world) members(gid string) []string {
	_, ids := w.fake.Group(gid)
	return ids
}

// declared is the oracle: what a group's declaration resolves to in the
// tenant now (after the apply, so a mirror sees its source's result).
func (w *world) declared(d model.Group) (all, computed, explicit map[string]bool) {
	out, computed, explicit := map[string]bool{}, map[string]bool{}, map[string]bool{}
	m := d.Membership
	names := slices.Clone(m.Users)
	for _, sp := range m.ServicePrincipals {
		names = append(names, "sp:"+sp)
	}
	for _, upn := range names {
		for id, n := range w.upn {
			if n == upn {
				out[id], explicit[id] = true, true
			}
		}
	}
	for _, k := range m.Groups {
		out[w.groupID(k)], explicit[w.groupID(k)] = true, true
	}
	for _, s := range m.From {
		var ids []string
		if s.Group != "" {
			ids = w.members(w.groupID(s.Group))
		} else {
			ps, _ := w.fake.UsersMatching(context.Background(), s.Users)
			for _, p := range ps {
				ids = append(ids, p.ID)
			}
		}
		for _, id := range ids {
			out[id], computed[id] = true, true
		}
	}
	return out, computed, explicit
}

func (w *world) upns(d map[string]bool) map[string]bool {
	out := map[string]bool{}
	for id := range d {
		out[w.upn[id]] = true
	}
	return out
}

func (w *world) apply() {
	t := w.t
	opts := plan.Options{AllowMassRemoval: true}
	if w.rng.Intn(10) == 0 {
		opts.Full = true
	}
	d := w.history[w.head]
	if keys := slices.Sorted(maps.Keys(d.Groups)); len(keys) > 0 && w.rng.Intn(8) == 0 {
		opts.Targets = []string{"groups." + w.pick(keys)}
	}
	shallow := w.rng.Intn(6) == 0
	w.logf("apply at %s full=%t targets=%v shallow=%t", w.head[36:], opts.Full, opts.Targets, shallow)
	history := func(c string) (*model.Desired, bool, error) {
		if shallow && c != w.head {
			return nil, false, nil
		}
		h, ok := w.history[c]
		return h, ok, nil
	}
	p := w.plan(d, opts, history)
	if p == nil {
		w.logf("  refused: a targeted group nests one this plan does not create")
		return
	}
	rep, err := apply.Run(context.Background(), p, w.fake, apply.Options{AllowMassRemoval: true})
	if err != nil || rep.Failed() {
		t.Fatalf("apply: %v %+v", err, rep)
	}
	for _, c := range p.Groups {
		if c.Action == plan.Delete {
			continue
		}
		w.check(c, d.Groups[strings.TrimPrefix(c.Address, "groups.")])
	}
	again := w.plan(d, plan.Options{AllowMassRemoval: true, Targets: opts.Targets}, history)
	if again.HasChanges() {
		for _, c := range again.Groups {
			if c.Action != plan.NoOp {
				t.Errorf("re-plan after a successful apply: %s %s %+v %+v marker %+v (%s)", c.Address, c.Action, c.Members, c.Owners, c.Attributes, c.ModeReason)
			}
		}
	}
}

func (w *world) plan(d *model.Desired, opts plan.Options, history func(string) (*model.Desired, bool, error)) *plan.Plan {
	live, ds, err := plan.ReadLive(context.Background(), w.fake, d, plan.Inputs{LastDeclared: plan.HistoryOf(history), Full: opts.Full})
	if err != nil || ds.HasErrors() {
		w.t.Fatalf("read: %v %v", err, ds.Err())
	}
	p, ds := plan.Compute(plan.Input{Desired: d, Live: live, Commit: w.head}, opts)
	if ds.HasErrors() {
		if len(opts.Targets) > 0 && strings.Contains(ds.Err().Error(), "this plan does not target it") {
			return nil
		}
		w.t.Fatalf("compute: %v", ds.Err())
	}
	return p
}

// check holds the contract for one applied group and updates what the
// world knows of who added which member.
func (w *world) check(c plan.GroupChange, g model.Group) {
	t := w.t
	gid := w.groupID(strings.TrimPrefix(c.Address, "groups."))
	if gid == "" {
		t.Fatalf("%s: no live group after apply", c.Address)
	}
	full := c.Action == plan.Create || strings.Contains(c.ModeReason, "full")
	complete := c.Undecided == ""
	declared, computed, explicit := w.declared(g)
	for _, set := range []struct {
		name                         string
		live                         []string
		declared, computed, explicit map[string]bool
		applied, hand                map[string]map[string]bool
		managed                      bool
	}{
		{"members", w.members(gid), declared, computed, explicit, w.applied, w.hand, true},
		{"owners", w.fake.OwnerIDs(gid), w.ownersDeclared(g), nil, nil, w.appliedOwners, w.handOwners, len(g.Owners) > 0 || len(w.appliedOwners[gid]) > 0},
	} {
		if !set.managed {
			continue
		}
		live := map[string]bool{}
		for _, id := range set.live {
			live[id] = true
		}
		hand := set.hand[gid]
		// Graph keeps a group's last owner: one undeclared owner may stay
		// when none is declared.
		lastOwner := set.name == "owners" && len(set.declared) == 0 && len(live) == 1
		switch {
		case full && !lastOwner && (set.name == "members" || len(set.declared) > 0 || complete):
			if !maps.Equal(live, set.declared) {
				t.Errorf("%s (%s): full sync left %s %v, declared %v", c.Address, c.ModeReason, set.name, w.upns(live), w.upns(set.declared))
			}
		case full:
		default:
			for id := range set.declared {
				if !live[id] {
					t.Errorf("%s (%s): declared %s %s missing", c.Address, c.ModeReason, set.name, w.upn[id])
				}
			}
			for id, byHand := range hand {
				if byHand && !live[id] {
					t.Errorf("%s (%s): removed %s %s, added by hand and never declared", c.Address, c.ModeReason, set.name, w.upn[id])
				}
			}
			if complete && !lastOwner {
				for id := range live {
					if !set.declared[id] && !hand[id] {
						t.Errorf("%s (%s): %s %s was dropped by the configuration but stays", c.Address, c.ModeReason, set.name, w.upn[id])
					}
				}
			}
		}
		// What the configuration now owns, and what stays the portal's.
		if complete || full || set.applied[gid] == nil {
			set.applied[gid] = map[string]bool{}
		}
		for id := range set.declared {
			if set.computed == nil || !set.computed[id] || set.explicit[id] {
				set.applied[gid][id] = true
			}
			delete(hand, id)
		}
		if set.computed != nil {
			w.appliedSources[gid] = set.computed
		}
		if full {
			delete(set.hand, gid)
		}
	}
}

func (w *world) ownersDeclared(g model.Group) map[string]bool {
	out := map[string]bool{}
	for _, upn := range g.Owners {
		for id, n := range w.upn {
			if n == upn {
				out[id] = true
			}
		}
	}
	return out
}

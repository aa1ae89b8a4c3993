package plan

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// Input is what a plan is computed from.
type Input struct {
	Desired *model.Desired
	Live    *Live
	// Commit is the configuration commit being planned ("" for a working tree).
	Commit string
	Locate diag.Locator
}

// The mass-removal guard (ARCHITECTURE §3): one apply may not remove more
// than guardCount members and more than guardShare of a group, nor empty it.
const (
	guardCount = 10
	guardShare = 0.20
)

// Compute derives the plan. It reads nothing: the same input always gives
// the same plan. Diagnostics report changes Graph cannot make in place.
func Compute(in Input, opts Options) (*Plan, diag.Diagnostics) {
	if in.Locate == nil {
		in.Locate = func(string) *diag.Range { return nil }
	}
	d, live := in.Desired, in.Live
	opts.Prune = opts.Prune || d.Prune
	p := &Plan{FormatVersion: FormatVersion, Tenant: d.Tenant.ID, SourceCommit: in.Commit, Options: opts, Groups: []GroupChange{}}
	var ds diag.Diagnostics
	targeted := func(addr string) bool { return len(opts.Targets) == 0 || slices.Contains(opts.Targets, addr) }

	cp := &computer{d: d, live: live, commit: in.Commit, opts: opts, locate: in.Locate,
		done: map[string]*GroupChange{}, busy: map[string]bool{}}
	for _, key := range model.SortedKeys(d.Groups) {
		addr := groupAddress(key)
		if !targeted(addr) {
			continue
		}
		p.Groups = append(p.Groups, *cp.change(key))
	}
	ds = append(ds, cp.ds...)
	for _, g := range live.Marked {
		key, ok := strings.CutPrefix(g.Marker.Address, "groups.")
		if !ok || !targeted(g.Marker.Address) {
			continue
		}
		if !opts.Prune {
			p.Orphans = append(p.Orphans, Orphan{Address: g.Marker.Address, ID: g.ID, Name: g.DisplayName, Kind: g.Kind})
			continue
		}
		p.Groups = append(p.Groups, GroupChange{
			Address: groupAddress(key), Action: Delete, ID: g.ID, Kind: g.Kind,
			Attributes: []AttrChange{{Name: "displayName", Before: g.DisplayName}, {Name: "mailNickname", Before: g.MailNickname},
				{Name: "members", Before: len(g.Members)}},
			// Security groups have no recycle bin (graph-api.md §2.3).
			Permanent: g.Kind != model.GroupMicrosoft365, Fingerprint: g.Fingerprint(),
		})
	}
	slices.SortFunc(p.Groups, func(a, b GroupChange) int { return cmp.Compare(a.Address, b.Address) })
	p.Summary = summarize(p)
	return p, ds
}

func summarize(p *Plan) Summary {
	var s Summary
	for _, c := range p.Groups {
		switch c.Action {
		case Create:
			s.Create++
		case Update:
			s.Update++
		case Adopt:
			s.Adopt++
		case Delete:
			s.Delete++
		case NoOp:
			s.NoOp++
		}
		if c.Members != nil {
			s.MembersAdd += len(c.Members.Add)
			s.MembersRemove += len(c.Members.Remove)
		}
		if c.Owners != nil {
			s.OwnersAdd += len(c.Owners.Add)
			s.OwnersRemove += len(c.Owners.Remove)
		}
		if c.Guard != "" {
			s.Guards++
		}
	}
	s.Orphans = len(p.Orphans)
	return s
}

// syncMode is how a group's members are synchronised in this plan.
type syncMode int

const (
	modeNone        syncMode = iota // members are not managed
	modeFull                        // exactly the declared set
	modeIncremental                 // adds, and removes of what the declaration dropped
	modeAddOnly                     // adds only: the last declaration is unknown
)

// computer computes group changes in dependency order: a group that
// mirrors another needs that group's members after this plan.
type computer struct {
	d      *model.Desired
	live   *Live
	commit string
	opts   Options
	locate diag.Locator
	done   map[string]*GroupChange
	busy   map[string]bool
	ds     diag.Diagnostics
}

func (cp *computer) change(key string) *GroupChange {
	if c := cp.done[key]; c != nil {
		return c
	}
	cp.busy[key] = true
	c, ds := cp.groupChange(key)
	delete(cp.busy, key)
	cp.ds = append(cp.ds, ds...)
	cp.done[key] = &c
	return &c
}

// mirror is the members a computed source copies: for a declared group,
// its members after this plan (so one apply converges even when the plan
// creates or changes the source); otherwise its live members.
func (cp *computer) mirror(src string) []Member {
	bound := cp.live.Groups[src]
	if _, declared := cp.d.Groups[src]; declared && !cp.busy[src] {
		if s := cp.change(src).Members; s != nil {
			return afterSet(bound, s)
		}
	}
	var ps []entra.Principal
	if bound != nil {
		ps = bound.Members
	} else {
		ps = cp.live.Computed["group:"+src]
	}
	out := make([]Member, len(ps))
	for i, p := range ps {
		out[i] = Member{ID: p.ID, Type: p.Type, Name: p.Name}
	}
	return out
}

// afterSet applies a set change to a group's live members.
func afterSet(bound *LiveGroup, s *SetChange) []Member {
	removed := map[string]bool{}
	for _, m := range s.Remove {
		removed[strings.ToLower(m.key())] = true
	}
	var out []Member
	if bound != nil {
		for _, p := range bound.Members {
			if !removed[strings.ToLower(p.ID)] {
				out = append(out, Member{ID: p.ID, Type: p.Type, Name: p.Name})
			}
		}
	}
	return append(out, s.Add...)
}

func (cp *computer) groupChange(key string) (GroupChange, diag.Diagnostics) {
	d, live, commit, opts, locate := cp.d, cp.live, cp.commit, cp.opts, cp.locate
	var ds diag.Diagnostics
	g := d.Groups[key]
	addr := groupAddress(key)
	path := model.Path("groups", key)
	bound := live.Groups[key]
	c := GroupChange{Address: addr, Kind: g.Kind}
	full := opts.Full // targets were applied by the caller

	// Membership mode, and why.
	mode, reason := modeNone, ""
	m := g.Membership
	switch {
	case g.IsDynamic():
		reason = "dynamic: Graph computes the members"
	case m == nil:
		reason = "membership not declared: members left alone"
	case bound == nil:
		mode, reason = modeFull, "new group"
	case full:
		mode, reason = modeFull, "--full"
	case bound.Marker == nil:
		mode, reason = modeFull, "first sync: full"
	case m.Mode == model.ModeFull:
		mode, reason = modeFull, "mode: full"
	case live.LastMissing[key] != "" || bound.Marker.Commit == "":
		mode = modeAddOnly
		if bound.Marker.Commit == "" {
			reason = "the last apply recorded no commit: add-only, no removals"
		} else {
			reason = fmt.Sprintf("last applied commit %s is not in this repository (shallow clone or rewritten history): add-only, no removals", short(live.LastMissing[key]))
		}
	default:
		mode, reason = modeIncremental, "incremental since "+short(bound.Marker.Commit)
	}
	// Mode is the declared mode, which the marker records; the reason says
	// how this run synchronises (a --full run does not change the mode).
	if m != nil && mode != modeNone {
		c.Mode = m.Mode
	}
	c.ModeReason = reason

	now := cp.declaredMembers(&g)
	var liveMembers, liveOwners []entra.Principal
	if bound != nil {
		c.ID = bound.ID
		c.Fingerprint = bound.Fingerprint()
		liveMembers, liveOwners = bound.Members, bound.Owners
	}
	if mode != modeNone {
		var last []Member
		if mode == modeIncremental {
			last = cp.declaredMembers(live.Last[key])
		}
		c.Members = setChange(liveMembers, now, last, mode)
	}

	// Owners: added when declared; removed only under full sync, or when
	// the declaration dropped them; never all of them.
	if len(g.Owners) > 0 {
		owners := principals(g.Owners, "user", live)
		ownerMode := modeAddOnly
		var lastOwners []Member
		switch {
		case bound == nil:
		case mode == modeFull && reason != "first sync: full":
			ownerMode = modeFull
		case mode == modeIncremental && live.Last[key] != nil:
			ownerMode = modeIncremental
			lastOwners = principals(live.Last[key].Owners, "user", live)
		}
		c.Owners = setChange(liveOwners, owners, lastOwners, ownerMode)
		if c.Owners.After == 0 && len(c.Owners.Remove) > 0 {
			c.Owners.Remove = nil
			c.Owners.After = c.Owners.Live + len(c.Owners.Add)
		}
	}

	if s := c.Members; s != nil && len(s.Remove) > 0 {
		n := len(s.Remove)
		switch {
		case s.After == 0:
			c.Guard = fmt.Sprintf("would remove all %d members", n)
		case n > guardCount && float64(n) > guardShare*float64(s.Live):
			c.Guard = fmt.Sprintf("would remove %d of %d members (more than %d and more than %.0f%%)", n, s.Live, guardCount, guardShare*100)
		}
	}

	if bound == nil {
		c.Action = Create
		c.Attributes = createAttributes(g)
		c.Attributes = append(c.Attributes, AttrChange{Name: "marker", After: markerText(addr, commit)})
		return c, ds
	}

	// Properties Graph cannot change on an existing group.
	if bound.Kind != g.Kind {
		ds.Errorf(locate(path+".kind"), path+".kind", "the live group %s is a %s group; Graph cannot turn it into a %s group (create a new group under another key)", bound.ID, bound.Kind, g.Kind)
	}
	if bound.IsAssignableToRole != g.IsAssignableToRole {
		ds.Errorf(locate(path+".isAssignableToRole"), path+".isAssignableToRole", "isAssignableToRole can only be set when a group is created (live: %t)", bound.IsAssignableToRole)
	}
	if g.Visibility == "HiddenMembership" && bound.Visibility != "HiddenMembership" {
		ds.Errorf(locate(path+".visibility"), path+".visibility", "HiddenMembership can only be set when a group is created")
	}
	c.Attributes = updateAttributes(g, bound.Group)

	changed := len(c.Attributes) > 0 || !c.Members.Empty() || !c.Owners.Empty()
	declChanged := mode == modeIncremental && !sameDeclaration(live.Last[key], &g)
	var markerMode model.MembershipMode
	if m != nil {
		markerMode = m.Mode
	}
	renamed := bound.Marker != nil && bound.Marker.Address != addr
	if bound.Marker == nil || renamed || bound.Marker.Mode != markerMode ||
		(bound.Marker.Commit != commit && (changed || declChanged)) {
		before := ""
		if bound.Marker != nil {
			before = markerText(bound.Marker.Address, bound.Marker.Commit)
		}
		c.Attributes = append(c.Attributes, AttrChange{Name: "marker", Before: nullable(before), After: markerText(addr, commit)})
	}
	switch {
	case bound.Marker == nil || renamed:
		c.Action = Adopt
	case len(c.Attributes) > 0 || !c.Members.Empty() || !c.Owners.Empty():
		c.Action = Update
	default:
		c.Action = NoOp
	}
	return c, ds
}

func markerText(addr, commit string) string {
	if commit == "" {
		return addr + " (working tree)"
	}
	return addr + " @ " + short(commit)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// sameDeclaration compares a group's members and owners as declared.
func sameDeclaration(a, b *model.Group) bool {
	if a == nil || b == nil {
		return a == b
	}
	x, _ := json.Marshal(struct {
		M *model.Membership
		O []string
	}{a.Membership, a.Owners})
	y, _ := json.Marshal(struct {
		M *model.Membership
		O []string
	}{b.Membership, b.Owners})
	return string(x) == string(y)
}

func createAttributes(g model.Group) []AttrChange {
	out := []AttrChange{{Name: "displayName", After: g.DisplayName}, {Name: "mailNickname", After: g.MailNickname},
		{Name: "kind", After: string(g.Kind)}}
	if g.Description != "" {
		out = append(out, AttrChange{Name: "description", After: g.Description})
	}
	if g.Visibility != "" {
		out = append(out, AttrChange{Name: "visibility", After: g.Visibility})
	}
	if g.IsAssignableToRole {
		out = append(out, AttrChange{Name: "isAssignableToRole", After: true})
	}
	if g.DynamicRule != "" {
		out = append(out, AttrChange{Name: "dynamicRule", After: g.DynamicRule})
	}
	return out
}

// updateAttributes lists the declared attributes that differ from the
// live group. Optional attributes left out of the configuration
// (description, visibility) are not managed: adopting a group never
// clears what its owners wrote.
func updateAttributes(g model.Group, l entra.Group) []AttrChange {
	var out []AttrChange
	add := func(name string, before, after any) {
		if before != after {
			out = append(out, AttrChange{Name: name, Before: before, After: after})
		}
	}
	add("displayName", l.DisplayName, g.DisplayName)
	if g.Description != "" {
		add("description", l.Description, g.Description)
	}
	add("mailNickname", l.MailNickname, g.MailNickname)
	if g.Visibility != "" {
		add("visibility", l.Visibility, g.Visibility)
	}
	add("dynamicRule", l.DynamicRule, g.DynamicRule)
	if g.DynamicRule != "" {
		add("dynamicRulePaused", l.DynamicRulePaused, g.DynamicRulePaused)
	}
	return out
}

// declaredMembers resolves a declaration's members: references, declared
// groups (bound, or created by this plan) and computed sources. References
// that did not resolve are skipped here; ReadLive reported them.
func (cp *computer) declaredMembers(g *model.Group) []Member {
	d, live := cp.d, cp.live
	if g == nil || g.Membership == nil {
		return nil
	}
	m := g.Membership
	var out []Member
	out = append(out, principals(m.Users, "user", live)...)
	out = append(out, principals(m.Devices, "device", live)...)
	out = append(out, principals(m.ServicePrincipals, "sp", live)...)
	for _, ref := range m.Groups {
		if strings.HasPrefix(ref, "id:") {
			out = append(out, principals([]string{ref}, "group", live)...)
			continue
		}
		if b := live.Groups[ref]; b != nil {
			out = append(out, Member{ID: b.ID, Type: entra.TypeGroup, Name: b.DisplayName})
		} else if dg, ok := d.Groups[ref]; ok {
			out = append(out, Member{Type: entra.TypeGroup, Name: dg.DisplayName, Address: groupAddress(ref)})
		}
	}
	for _, s := range m.From {
		if s.Group != "" {
			out = append(out, cp.mirror(s.Group)...)
			continue
		}
		for _, p := range live.Computed["users:"+s.Users] {
			out = append(out, Member{ID: p.ID, Type: p.Type, Name: p.Name})
		}
	}
	return dedupe(out)
}

func principals(refs []string, kind string, live *Live) []Member {
	var out []Member
	for _, ref := range refs {
		if p, ok := live.Refs[kind+":"+strings.ToLower(ref)]; ok {
			out = append(out, Member{ID: p.ID, Type: p.Type, Name: p.Name})
		}
	}
	return dedupe(out)
}

func dedupe(ms []Member) []Member {
	seen := map[string]bool{}
	out := ms[:0]
	for _, m := range ms {
		if !seen[m.key()] {
			seen[m.key()] = true
			out = append(out, m)
		}
	}
	return out
}

// setChange applies the membership semantics of ARCHITECTURE §3:
//
//	full:        add = now − live, remove = live − now
//	incremental: add = now − live, remove = (last − now) ∩ live
//	add-only:    add = now − live
func setChange(liveSet []entra.Principal, now, last []Member, mode syncMode) *SetChange {
	inLive := map[string]entra.Principal{}
	for _, p := range liveSet {
		inLive[strings.ToLower(p.ID)] = p
	}
	inNow := map[string]bool{}
	for _, m := range now {
		inNow[strings.ToLower(m.key())] = true
	}
	s := &SetChange{Live: len(liveSet)}
	for _, m := range now {
		if _, ok := inLive[strings.ToLower(m.key())]; !ok {
			s.Add = append(s.Add, m)
		}
	}
	switch mode {
	case modeFull:
		for _, p := range liveSet {
			if !inNow[strings.ToLower(p.ID)] {
				s.Remove = append(s.Remove, Member{ID: p.ID, Type: p.Type, Name: p.Name})
			}
		}
	case modeIncremental:
		for _, m := range last {
			k := strings.ToLower(m.key())
			if p, ok := inLive[k]; ok && !inNow[k] {
				s.Remove = append(s.Remove, Member{ID: p.ID, Type: p.Type, Name: p.Name})
			}
		}
	case modeAddOnly, modeNone:
	}
	byName := func(a, b Member) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.key(), b.key())
	}
	slices.SortFunc(s.Add, byName)
	slices.SortFunc(s.Remove, byName)
	s.After = s.Live + len(s.Add) - len(s.Remove)
	return s
}

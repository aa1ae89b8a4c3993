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

// The mass-removal guard: one apply may not remove more
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
	p := &Plan{FormatVersion: FormatVersion, Tenant: d.Tenant.ID, Configuration: d.Configuration, SourceCommit: in.Commit,
		Options: opts, Groups: []GroupChange{}}
	var ds diag.Diagnostics
	if opts.Full && !live.Full {
		// A full sync removes what it does not see, and service
		// principals are only seen where the read asked for them.
		ds.Errorf(nil, "", "--full needs the live state read for it (plan.Inputs.Full)")
		return p, ds
	}
	targeted := func(addr string) bool { return len(opts.Targets) == 0 || slices.Contains(opts.Targets, addr) }

	cp := &computer{d: d, live: live, commit: in.Commit, opts: opts, locate: in.Locate, targeted: targeted,
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
		c := prune(g, groupAddress(key), live.Records[g.Marker.Address])
		c.ServicePrincipals = live.ServicePrincipals[g.ID]
		p.Groups = append(p.Groups, c)
	}
	PruneGuard(p.Groups)
	slices.SortFunc(p.Groups, func(a, b GroupChange) int { return cmp.Compare(a.Address, b.Address) })
	p.Summary = summarize(p)
	return p, ds
}

// maxPruneDeletes is the most groups one apply deletes without
// --allow-mass-removal.
const maxPruneDeletes = 5

// prune deletes a marked group no longer declared that entrasync created,
// and releases (removes the marker of) one it adopted: entrasync never
// deletes what it did not create. Markers written before origins were
// recorded count as adopted.
func prune(g *LiveGroup, addr string, record *LiveGroup) GroupChange {
	c := GroupChange{Address: addr, ID: g.ID, Kind: g.Kind, Fingerprint: g.Fingerprint(), Sources: deleteRecord(record),
		Attributes: []AttrChange{{Name: "displayName", Before: g.DisplayName}, {Name: "mailNickname", Before: g.MailNickname},
			{Name: "members", Before: len(g.Members)}}}
	if g.Marker.Origin != entra.OriginCreated {
		c.Action = Release
		c.Attributes = append(c.Attributes[:2], AttrChange{Name: "marker", Before: markerText(g.Marker)})
		c.Notes = append(c.Notes, "adopted, not created, by entrasync: released (its marker is removed), never deleted")
		return c
	}
	c.Action = Delete
	// Security groups have no recycle bin (Graph: only Microsoft 365
	// groups go to deletedItems).
	c.Permanent = g.Kind != model.GroupMicrosoft365
	c.Guard = DeleteGuard(len(g.Members))
	return c
}

// RemovalGuard says why removing n of a group's live members, leaving
// after, needs --allow-mass-removal; "" when it does not.
func RemovalGuard(n, live, after int) string {
	switch {
	case n == 0:
		return ""
	case after == 0:
		return fmt.Sprintf("would remove all %d members", n)
	case n > guardCount && float64(n) > guardShare*float64(live):
		return fmt.Sprintf("would remove %d of %d members (more than %d and more than %.0f%%)", n, live, guardCount, guardShare*100)
	}
	return ""
}

// DeleteGuard says why deleting a group with this many members needs
// --allow-mass-removal; "" when it does not.
func DeleteGuard(members int) string {
	if members == 0 {
		return ""
	}
	return fmt.Sprintf("would delete a group with %d members", members)
}

// PruneGuard stops a prune of many groups at once: every delete gets a
// guard when there are more than maxPruneDeletes.
func PruneGuard(changes []GroupChange) {
	n := 0
	for _, c := range changes {
		if c.Action == Delete {
			n++
		}
	}
	if n <= maxPruneDeletes {
		return
	}
	for i := range changes {
		if changes[i].Action == Delete && changes[i].Guard == "" {
			changes[i].Guard = fmt.Sprintf("prune would delete %d groups (more than %d)", n, maxPruneDeletes)
		}
	}
}

// deleteRecord deletes a pruned group's sources record with it.
func deleteRecord(record *LiveGroup) *SourcesRecord {
	if record == nil {
		return nil
	}
	return &SourcesRecord{ID: record.ID, Action: Delete}
}

// count counts one change's action.
func (s *Summary) count(a Action) {
	switch a {
	case Create:
		s.Create++
	case Update:
		s.Update++
	case Adopt:
		s.Adopt++
	case Delete:
		s.Delete++
	case Release:
		s.Release++
	case NoOp:
		s.NoOp++
	}
}

func summarize(p *Plan) Summary {
	var s Summary
	for _, c := range p.Groups {
		s.count(c.Action)
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
		if c.Undecided != "" {
			s.Undecided++
		}
	}
	for _, c := range p.Objects {
		if c.Address == OwnershipAddress && len(c.Fields) == 0 {
			continue // only stamps what the other changes did
		}
		s.count(c.Action)
		if c.Guard != "" {
			s.Guards++
		}
		if c.Import != nil {
			s.ProfileValues += c.Import.Changes()
		}
	}
	s.Orphans = len(p.Orphans)
	return s
}

// syncMode is how a group's members and owners are synchronised in this
// plan.
type syncMode int

const (
	modeNone        syncMode = iota // not managed
	modeFull                        // exactly the declared set
	modeIncremental                 // adds, and removes of what the declaration dropped
	modeAddOnly                     // adds only: the last declaration is unknown
)

// computer computes group changes in dependency order: a group that
// mirrors another needs that group's members after this plan.
type computer struct {
	d        *model.Desired
	live     *Live
	commit   string
	opts     Options
	locate   diag.Locator
	targeted func(addr string) bool
	done     map[string]*GroupChange
	busy     map[string]bool
	ds       diag.Diagnostics
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

// syncMode decides how a bound group is synchronised, and says why.
func (cp *computer) syncMode(g model.Group, bound *LiveGroup, key string) (syncMode, string) {
	missing, unknown := cp.live.LastMissing[key]
	switch {
	case bound == nil:
		return modeFull, "new group"
	case cp.opts.Full:
		return modeFull, "--full"
	case bound.Marker == nil:
		return modeFull, "first sync: full"
	case g.Membership != nil && g.Membership.Mode == model.ModeFull:
		return modeFull, "mode: full"
	case unknown && missing == "":
		return modeAddOnly, "the last apply recorded no commit: add-only"
	case unknown:
		return modeAddOnly, fmt.Sprintf("last applied commit %s is not in this repository (shallow clone or rewritten history): add-only", short(missing))
	}
	return modeIncremental, "incremental since " + short(bound.Marker.Commit)
}

func (cp *computer) groupChange(key string) (GroupChange, diag.Diagnostics) {
	d, live, locate := cp.d, cp.live, cp.locate
	var ds diag.Diagnostics
	g := d.Groups[key]
	addr := groupAddress(key)
	path := model.Path("groups", key)
	bound := live.Groups[key]
	c := GroupChange{Address: addr, Kind: g.Kind}

	sync, reason := cp.syncMode(g, bound, key)
	last := live.Last[key]
	var marker *entra.Marker
	var liveMembers, liveOwners []entra.Principal
	record := live.Records[addr]
	if bound != nil {
		c.ID = bound.ID
		c.Fingerprint = bound.Fingerprint()
		c.ServicePrincipals = live.ServicePrincipals[bound.ID]
		liveMembers, liveOwners = bound.Members, bound.Owners
		if marker = bound.Marker; marker != nil {
			record = live.Records[marker.Address]
		}
	}
	var undecided []string
	if sync == modeAddOnly {
		what := "members and owners the configuration dropped"
		if missing := live.LastMissing[key]; missing == "" {
			undecided = append(undecided, what+" before this run: the last apply recorded no commit, so there is nothing to compare with (apply --full once records one)")
		} else {
			undecided = append(undecided, fmt.Sprintf("%s since %s: that commit is not in this repository (plan from a clone with the history, fetch-depth: 0, or apply --full)", what, short(missing)))
		}
	}

	// Members.
	var emptySources []string
	m := g.Membership
	switch {
	case g.IsDynamic():
		c.ModeReason = "dynamic: Graph computes the members"
	case m == nil:
		c.ModeReason = "membership not declared: members left alone"
	default:
		c.Mode, c.ModeReason = m.Mode, reason
		computedNow, empty := cp.computed(&g, &c)
		emptySources = empty
		now := dedupe(append(cp.explicit(&g, false), computedNow...))
		var lastSet []Member
		setMode := modeFull
		if sync == modeIncremental || sync == modeAddOnly {
			setMode = modeIncremental
			if sync == modeIncremental {
				lastSet = cp.explicit(last, true)
			}
			switch {
			case record != nil:
				lastSet = append(lastSet, toMembers(record.Members)...)
			case sync == modeIncremental && recordLost(marker, last):
				undecided = append(undecided, "members the computed sources dropped since the last apply: there is no record of what they resolved to then (this apply records it, so the next plan decides them; apply --full removes them now)")
			}
		}
		c.Members = setChange(liveMembers, now, lastSet, setMode)
		for i, ref := range m.Groups {
			if _, declared := d.Groups[ref]; declared && live.Groups[ref] == nil && !cp.targeted(groupAddress(ref)) {
				p := model.Path("groups", key, "membership", "groups", i)
				ds.Errorf(locate(p), p, "%s does not exist yet and this plan does not target it, so it cannot be added to %s; add --target %s",
					groupAddress(ref), addr, groupAddress(ref))
			}
		}
		c.Sources = sourcesRecord(&g, record, computedNow, addr)
	}
	if c.Sources == nil && record != nil {
		// The group no longer needs a record (no computed sources, or
		// dynamic): the record entrasync created goes.
		c.Sources = &SourcesRecord{ID: record.ID, Action: Delete}
	}
	if record != nil {
		c.Inputs = append(c.Inputs, LiveInput{GroupID: record.ID, Fingerprint: fingerprintIDs(record.Members)})
	}

	// Owners follow the members' semantics once declared: a full sync
	// makes them exactly the declared owners, an incremental one adds the
	// declared and removes those the configuration dropped, and owners
	// added by hand stay. Graph keeps a group's last owner.
	var owedOwners []string
	if ownersManaged(g, marker, last) {
		var lastOwners []Member
		ownerMode := modeFull
		switch sync {
		case modeIncremental:
			ownerMode, lastOwners = modeIncremental, principals(last.Owners, "user", live)
		case modeAddOnly:
			ownerMode = modeAddOnly
		case modeFull, modeNone:
		}
		if marker != nil && ownerMode != modeFull {
			// Owners kept earlier as the last owner are still owed.
			for _, p := range liveOwners {
				if slices.ContainsFunc(marker.OwedOwners, func(id string) bool { return strings.EqualFold(id, p.ID) }) {
					lastOwners = append(lastOwners, Member{ID: p.ID, Type: p.Type, Name: p.Name})
				}
			}
			ownerMode = modeIncremental
		}
		c.Owners = setChange(liveOwners, principals(g.Owners, "user", live), lastOwners, ownerMode)
		if o := c.Owners; o.After == 0 && len(o.Remove) > 0 {
			kept := o.Remove[len(o.Remove)-1]
			o.Remove, o.After = o.Remove[:len(o.Remove)-1], 1
			owedOwners = []string{kept.ID}
			c.Notes = append(c.Notes, fmt.Sprintf("owner %s stays: Graph does not remove a group's last owner (declare another owner to replace it)", kept.Name))
		}
	}

	// A full sync needs no history for members, but owners are managed
	// only once declared: whether owners no longer declared ever were is
	// in the history. Without it their removal is owed, like an add-only
	// run's.
	// (Markers say whether owners are managed; older ones do not.)
	_, lastUnknown := live.LastMissing[key]
	ownersOwed := sync == modeFull && marker != nil && marker.Owners == "" && lastUnknown && live.LastMissing[key] != "" && len(g.Owners) == 0
	if ownersOwed {
		undecided = append(undecided, fmt.Sprintf("owners the configuration may have dropped since %s: that commit is not in this repository", short(live.LastMissing[key])))
	}

	if s := c.Members; s != nil {
		c.Guard = RemovalGuard(len(s.Remove), s.Live, s.After)
		// A source that matches nobody is more often a typo or an HR feed
		// outage than a real emptying: its removals need a second look.
		if c.Guard == "" && len(emptySources) > 0 && len(s.Remove) > 0 {
			c.Guard = fmt.Sprintf("would remove %d members while %s resolved to nothing", len(s.Remove), strings.Join(emptySources, " and "))
		}
	}
	if len(undecided) > 0 {
		c.Undecided = strings.Join(undecided, "; ")
	}

	if bound == nil {
		c.Action = Create
		c.Attributes = createAttributes(g)
		c.Attributes = append(c.Attributes, AttrChange{Name: "uniqueName", After: UniqueName(cp.d.Configuration, addr)})
		c.Marker = cp.newMarker(addr, &g, c.Sources, owedOwners)
		c.Marker.Origin = entra.OriginCreated
		c.Attributes = append(c.Attributes, AttrChange{Name: "marker", After: markerText(c.Marker)})
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

	// The marker records the commit whose declaration the group now fully
	// reflects. An add-only run leaves that commit where it is and adds
	// its own to the pending list: the removals since are still owed.
	write := cp.newMarker(addr, &g, c.Sources, owedOwners)
	interrupted := marker == nil && bound.UniqueName != "" && strings.EqualFold(bound.UniqueName, UniqueName(cp.d.Configuration, addr))
	if (marker != nil && marker.Origin == entra.OriginCreated) || interrupted {
		write.Origin = entra.OriginCreated
	}
	if interrupted {
		c.Notes = append(c.Notes, "created by an earlier apply that was interrupted before marking it: recognised by its uniqueName")
	}
	if (sync == modeAddOnly || ownersOwed) && marker != nil {
		switch {
		case ownersOwed:
			write.Owners = marker.Owners // still unknown: the history decides
		case ownersManaged(g, marker, last):
			write.Owners = entra.OwnersManaged // their removal is still owed
		}
		write.Commit, write.Pending, write.Renamed = marker.Commit, slices.Clone(marker.Pending), slices.Clone(marker.Renamed)
		if marker.Address != addr && !slices.Contains(write.Renamed, marker.Address) {
			write.Renamed = append(write.Renamed, marker.Address)
		}
		if marker.Commit != "" && cp.commit != "" && cp.commit != marker.Commit && !slices.Contains(marker.Pending, cp.commit) {
			write.Pending = append(write.Pending, cp.commit)
		}
		if len(write.Pending) > maxPending {
			ds.Errorf(locate(path), path, "%s was applied add-only %d times since commit %s, whose history this clone lacks; plan from a clone with the history (fetch-depth: 0) or apply --full --target %s", addr, len(write.Pending), short(marker.Commit), addr)
		}
	}
	// The marker is written when anything in it but the commit differs,
	// and the commit moves only when the group changed or its declaration
	// did (rewriting every marker on every commit would cost a write per
	// group per apply).
	changed := len(c.Attributes) > 0 || !c.Members.Empty() || !c.Owners.Empty() || c.Sources.Changes()
	renamed := marker != nil && marker.Address != addr
	if !sameBesidesCommit(marker, write) || (marker.Commit != write.Commit && (changed || last == nil || !sameDeclaration(last, &g))) {
		var before any
		if marker != nil {
			before = markerText(marker)
		}
		c.Marker = write
		c.Attributes = append(c.Attributes, AttrChange{Name: "marker", Before: before, After: markerText(write)})
	}
	switch {
	case marker == nil || renamed:
		c.Action = Adopt
	case len(c.Attributes) > 0 || !c.Members.Empty() || !c.Owners.Empty() || c.Sources.Changes():
		c.Action = Update
	default:
		c.Action = NoOp
	}
	return c, ds
}

// Changes reports whether the record is written to.
func (s *SourcesRecord) Changes() bool {
	return s != nil && (s.Action == Create || s.Action == Delete || s.Rebind || !s.Members.Empty())
}

// sourcesRecord keeps the record of what a group's computed sources
// resolve to. Graph's open extensions hold 2 KB of data, about 50 object
// ids, so the record is a group of its own: a membership holds any number
// of ids and is read and written in bulk like any other. Groups in full
// mode keep one too, so switching them to incremental loses nothing.
func sourcesRecord(g *model.Group, record *LiveGroup, computedNow []Member, addr string) *SourcesRecord {
	m := g.Membership
	if m == nil || g.IsDynamic() || len(m.From) == 0 {
		return nil
	}
	if record == nil {
		return &SourcesRecord{Action: Create, Members: setChange(nil, computedNow, nil, modeFull)}
	}
	s := &SourcesRecord{ID: record.ID, Members: setChange(record.Members, computedNow, nil, modeFull),
		Rebind: record.Marker == nil || record.Marker.Address != addr, Action: NoOp}
	if s.Changes() {
		s.Action = Update
	}
	return s
}

// ownersManaged reports whether the group's owners are managed: declared
// now, or managed at the last apply (so dropping them all removes them).
func ownersManaged(g model.Group, marker *entra.Marker, last *model.Group) bool {
	switch {
	case len(g.Owners) > 0:
		return true
	case marker == nil:
		return false
	case marker.Owners == entra.OwnersManaged || len(marker.OwedOwners) > 0:
		return true
	case marker.Owners == "":
		return last != nil && len(last.Owners) > 0
	}
	return false
}

// recordLost reports whether a group should have a sources record and
// has none: its marker says it kept one, or, in a marker written before
// records existed, its last declaration had computed sources.
func recordLost(marker *entra.Marker, last *model.Group) bool {
	switch marker.Sources {
	case entra.SourcesRecorded:
		return true
	case entra.SourcesNone:
		return false
	}
	return last == nil || (last.Membership != nil && len(last.Membership.From) > 0)
}

// recordState is what a group's marker says of its sources record after
// this plan.
func recordState(s *SourcesRecord) string {
	if s == nil || s.Action == Delete {
		return entra.SourcesNone
	}
	return entra.SourcesRecorded
}

func markerText(m *entra.Marker) string {
	out := m.Address + " (no commit)"
	if m.Commit != "" {
		out = m.Address + " @ " + short(m.Commit)
	}
	if n := len(m.Pending); n > 0 {
		out += fmt.Sprintf(" (+%d add-only, removals owed)", n)
	}
	return out
}

// newMarker is the marker of a group after a complete sync at this
// plan's commit.
func (cp *computer) newMarker(addr string, g *model.Group, sources *SourcesRecord, owedOwners []string) *entra.Marker {
	m := &entra.Marker{Tenant: cp.d.Tenant.ID, Configuration: cp.d.Configuration, Origin: entra.OriginAdopted,
		Address: addr, Commit: cp.commit, OwedOwners: owedOwners, Owners: entra.OwnersNone, Sources: recordState(sources)}
	if g.Membership != nil {
		m.Mode = g.Membership.Mode
	}
	if len(g.Owners) > 0 || len(owedOwners) > 0 {
		m.Owners = entra.OwnersManaged
	}
	return m
}

// sameBesidesCommit reports whether a live marker already says all that a
// new one would, but perhaps the commit. A marker from before tenants
// were recorded is rewritten once.
func sameBesidesCommit(live, want *entra.Marker) bool {
	if live == nil || live.Tenant == "" {
		return false
	}
	a, b := *live, *want
	a.Commit, a.AppliedAt = b.Commit, b.AppliedAt
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
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

package plan

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// explicit resolves a declaration's explicit references: users, devices,
// service principals and nested groups. For the last applied declaration
// (forLast), a nested group key no longer declared is found by its
// marker, so dropping the key still removes the group from its parent;
// a group this plan creates cannot be a live member and is skipped.
// References that did not resolve are skipped here; ReadLive reported
// those of the current declaration.
func (cp *computer) explicit(g *model.Group, forLast bool) []Member {
	live := cp.live
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
			continue
		}
		if forLast {
			// A key no longer declared: the group that carried it, now
			// orphaned or bound under a new key.
			for _, o := range slices.Concat(live.Marked, slices.Collect(maps.Values(live.Groups))) {
				if m := o.Marker; m != nil && (m.Address == groupAddress(ref) || slices.Contains(m.Renamed, groupAddress(ref))) {
					out = append(out, Member{ID: o.ID, Type: entra.TypeGroup, Name: o.DisplayName})
				}
			}
			continue
		}
		if dg, ok := cp.d.Groups[ref]; ok {
			out = append(out, Member{Type: entra.TypeGroup, Name: dg.DisplayName, Address: groupAddress(ref)})
		}
	}
	return dedupe(out)
}

// computed resolves a declaration's computed sources as they are now, and
// records on c the live inputs it used and what a reviewer should know.
// It also names the sources that resolved to nothing.
func (cp *computer) computed(g *model.Group, c *GroupChange) (members []Member, empty []string) {
	var out []Member
	for _, s := range g.Membership.From {
		var got []Member
		what := "group " + s.Group
		if s.Group != "" {
			got = cp.mirror(s.Group, c)
		} else {
			users := cp.live.Computed["users:"+s.Users]
			c.Inputs = append(c.Inputs, LiveInput{Filter: s.Users, Fingerprint: fingerprintIDs(users)})
			got, what = toMembers(users), fmt.Sprintf("filter %q", s.Users)
		}
		if len(got) == 0 {
			empty = append(empty, what)
		}
		out = append(out, got...)
	}
	return dedupe(out), empty
}

// mirror is the members a computed source copies. For a declared group
// this plan also changes, they are its members after this plan, so one
// apply converges even when the plan creates or changes the source. A
// source the plan does not target (or a cycle) is mirrored as it is live:
// a targeted apply never copies another group's unapplied changes.
func (cp *computer) mirror(src string, c *GroupChange) []Member {
	bound := cp.live.Groups[src]
	if _, declared := cp.d.Groups[src]; declared {
		switch {
		case !cp.targeted(groupAddress(src)):
			c.Notes = append(c.Notes, fmt.Sprintf("mirrors the live members of %s, which this plan does not target", groupAddress(src)))
		case !cp.busy[src]:
			if s := cp.change(src).Members; s != nil {
				if bound != nil {
					c.Inputs = append(c.Inputs, LiveInput{GroupID: bound.ID, Fingerprint: fingerprintIDs(bound.Members)})
				}
				return afterSet(bound, s)
			}
		}
	}
	var ps []entra.Principal
	switch {
	case bound != nil:
		ps = bound.Members
		c.Inputs = append(c.Inputs, LiveInput{GroupID: bound.ID, Fingerprint: fingerprintIDs(ps)})
	default:
		ps = cp.live.Computed["group:"+src]
		if p, ok := cp.live.Refs["group:"+strings.ToLower(src)]; ok {
			c.Inputs = append(c.Inputs, LiveInput{GroupID: p.ID, Fingerprint: fingerprintIDs(ps)})
		}
	}
	return toMembers(ps)
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

func toMembers(ps []entra.Principal) []Member {
	out := make([]Member, len(ps))
	for i, p := range ps {
		out[i] = Member{ID: p.ID, Type: p.Type, Name: p.Name}
	}
	return out
}

// fingerprintIDs is a short digest of a set of objects, by id.
func fingerprintIDs(ps []entra.Principal) string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = strings.ToLower(p.ID)
	}
	slices.Sort(ids)
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return hex.EncodeToString(sum[:8])
}

// FingerprintIDs is the fingerprint a [LiveInput] carries for these objects.
func FingerprintIDs(ps []entra.Principal) string { return fingerprintIDs(ps) }

func principals(refs []string, kind string, live *Live) []Member {
	var out []Member
	for _, ref := range refs {
		if p, ok := live.Refs[kind+":"+strings.ToLower(ref)]; ok && len(p.Candidates) == 0 {
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

// setChange applies the membership semantics:
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

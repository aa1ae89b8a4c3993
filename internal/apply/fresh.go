package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// Stale re-reads the groups a saved plan touches and every other live
// input it was computed from (the users a filter selects, a mirrored
// group's members, a sources record), and lists, per address, why the
// plan no longer matches the tenant: a changed fingerprint, a vanished
// group, a changed input, or a group that now exists where the plan
// creates one.
// An empty list means the plan is fresh. Applying a stale plan could undo
// somebody else's change, so apply refuses it (Terraform's "saved plan is
// stale").
//
// A plan file is data, so Stale also re-derives on its own what protects
// the tenant: it refuses a change to a group this configuration does not
// own (another configuration's, or a delete of a group entrasync did not
// create), and recomputes every removal guard from the live members, so
// a guard is never lifted by editing the file.
func Stale(ctx context.Context, r entra.Reader, p *plan.Plan) ([]string, error) {
	var ids, nicknames []string
	for _, c := range p.Groups {
		if c.ID != "" {
			ids = append(ids, c.ID)
		} else if c.Action == plan.Create {
			for _, a := range c.Attributes {
				if a.Name == "mailNickname" {
					nick, _ := a.After.(string)
					nicknames = append(nicknames, nick)
				}
			}
		}
	}
	var recordIDs []string
	for _, c := range p.Groups {
		if c.Sources != nil && c.Sources.ID != "" {
			recordIDs = append(recordIDs, c.Sources.ID)
		}
	}
	groups, err := r.Groups(ctx, entra.GroupQuery{IDs: slices.Concat(ids, recordIDs), MailNicknames: nicknames})
	if err != nil {
		return nil, err
	}
	read := map[string]bool{}
	for _, id := range ids {
		read[id] = true
	}
	filters := map[string][]entra.Principal{}
	for _, c := range p.Groups {
		for _, in := range c.Inputs {
			switch {
			case in.GroupID != "":
				read[in.GroupID] = true
			case in.Filter != "":
				filters[in.Filter] = nil
			}
		}
	}
	members, owners, err := r.Relations(ctx, entra.RelationQuery{Members: slices.Sorted(maps.Keys(read)), Owners: ids,
		ServicePrincipals: servicePrincipalReads(p)})
	if err != nil {
		return nil, err
	}
	for _, f := range slices.Sorted(maps.Keys(filters)) {
		if filters[f], err = r.UsersMatching(ctx, f); err != nil {
			return nil, err
		}
	}
	byID := map[string]entra.Group{}
	byNick := map[string]entra.Group{}
	for _, g := range groups {
		byID[strings.ToLower(g.ID)] = g
		byNick[strings.ToLower(g.MailNickname)] = g
	}
	var stale []string
	for _, c := range p.Groups {
		switch {
		case c.ID != "":
			g, ok := byID[strings.ToLower(c.ID)]
			if !ok {
				stale = append(stale, fmt.Sprintf("%s: group %s no longer exists", c.Address, c.ID))
				continue
			}
			lg := &plan.LiveGroup{Group: g, Members: members[g.ID], Owners: owners[g.ID]}
			if fp := lg.Fingerprint(); fp != c.Fingerprint {
				stale = append(stale, fmt.Sprintf("%s: the group changed since the plan was made (fingerprint %s, now %s)", c.Address, c.Fingerprint, fp))
			}
		case c.Action == plan.Create:
			for _, a := range c.Attributes {
				if nick, _ := a.After.(string); a.Name == "mailNickname" {
					if g, ok := byNick[strings.ToLower(nick)]; ok {
						stale = append(stale, fmt.Sprintf("%s: a group with mailNickname %q now exists (%s)", c.Address, nick, g.ID))
					}
				}
			}
		}
	}
	stale = append(stale, ownership(p, byID)...)
	rederiveGuards(p, members, filters)
	objs, err := staleObjects(ctx, r, p)
	if err != nil {
		return nil, err
	}
	stale = append(stale, objs...)
	plan.GuardPrunes(p)
	for _, c := range p.Groups {
		for _, in := range c.Inputs {
			now := members[in.GroupID]
			what := "the members of group " + in.GroupID
			if in.Filter != "" {
				now, what = filters[in.Filter], fmt.Sprintf("the users matching %q", in.Filter)
			}
			if plan.FingerprintIDs(now) != in.Fingerprint {
				stale = append(stale, fmt.Sprintf("%s: %s changed since the plan was made", c.Address, what))
			}
		}
	}
	return stale, nil
}

// servicePrincipalReads are the groups whose service principal members
// and owners the plan read, so the fresh read fingerprints the same
// thing: those a change says it read, every group of an input, and
// every full-mode group whatever the file says, so that an edited plan
// cannot hide a service principal a full sync would remove.
func servicePrincipalReads(p *plan.Plan) []string {
	ids := map[string]bool{}
	for _, c := range p.Groups {
		if c.ID != "" && (c.ServicePrincipals || c.Mode == model.ModeFull) {
			ids[c.ID] = true
		}
		for _, in := range c.Inputs {
			if in.GroupID != "" {
				ids[in.GroupID] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(ids))
}

// ownership lists the changes the plan may not make: every group it
// changes must carry this configuration's marker (or none, to be
// adopted), every group it deletes must be one it created, and every
// sources record must be this configuration's.
func ownership(p *plan.Plan, byID map[string]entra.Group) []string {
	var out []string
	ours := func(g entra.Group) bool {
		return g.Marker != nil && g.Marker.Ours(p.Tenant, p.Configuration)
	}
	for _, c := range p.Groups {
		g, ok := byID[strings.ToLower(c.ID)]
		if c.ID != "" && ok {
			switch c.Action {
			case plan.Delete:
				if !ours(g) || g.Marker.Role != "" || g.Marker.Origin != entra.OriginCreated || g.Marker.Address != c.Address {
					out = append(out, fmt.Sprintf("%s: refusing to delete group %s: it is not a group this configuration created", c.Address, c.ID))
				}
			case plan.Release, plan.Update, plan.NoOp:
				if !ours(g) || g.Marker.Role != "" {
					out = append(out, fmt.Sprintf("%s: refusing to change group %s: this configuration does not manage it", c.Address, c.ID))
				}
			case plan.Adopt:
				if g.Marker != nil && (!ours(g) || g.Marker.Role != "") {
					out = append(out, fmt.Sprintf("%s: refusing to adopt group %s: it is managed by %s", c.Address, c.ID, g.Marker.Owner()))
				}
			case plan.Create:
			}
		}
		if r := c.Sources; r != nil && r.ID != "" {
			rec, ok := byID[strings.ToLower(r.ID)]
			interrupted := rec.Marker == nil && strings.EqualFold(rec.UniqueName, plan.RecordUniqueName(p.Configuration, c.Address))
			if !ok || (!interrupted && (!ours(rec) || rec.Marker.Role != entra.RoleSources)) {
				out = append(out, fmt.Sprintf("%s: refusing to change group %s: it is not this configuration's sources record", c.Address, r.ID))
			}
		}
	}
	return out
}

// rederiveGuards recomputes every removal guard from the live members
// and the plan's own removals.
func rederiveGuards(p *plan.Plan, members, filters map[string][]entra.Principal) {
	for i := range p.Groups {
		c := &p.Groups[i]
		live := map[string]bool{}
		for _, m := range members[c.ID] {
			live[strings.ToLower(m.ID)] = true
		}
		c.Guard = ""
		switch {
		case c.Action == plan.Delete:
			c.Guard = plan.DeleteGuard(len(live))
		case c.Members != nil:
			removed, added := 0, 0
			for _, m := range c.Members.Remove {
				if live[strings.ToLower(m.ID)] {
					removed++
				}
			}
			for _, m := range c.Members.Add {
				if m.ID == "" || !live[strings.ToLower(m.ID)] {
					added++
				}
			}
			c.Guard = plan.RemovalGuard(removed, len(live), len(live)+added-removed)
			if c.Guard == "" && removed > 0 {
				for _, in := range c.Inputs {
					source := in.Filter != "" || c.Sources == nil || in.GroupID != c.Sources.ID
					if source && len(filters[in.Filter])+len(members[in.GroupID]) == 0 {
						c.Guard = fmt.Sprintf("would remove %d members while a computed source resolved to nothing", removed)
					}
				}
			}
		}
	}
	plan.PruneGuard(p.Groups)
}

package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
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
	groups, err := r.Groups(ctx, entra.GroupQuery{IDs: ids, MailNicknames: nicknames})
	if err != nil {
		return nil, err
	}
	inputIDs := slices.Clone(ids)
	filters := map[string][]entra.Principal{}
	for _, c := range p.Groups {
		for _, in := range c.Inputs {
			switch {
			case in.GroupID != "" && !slices.Contains(inputIDs, in.GroupID):
				inputIDs = append(inputIDs, in.GroupID)
			case in.Filter != "":
				filters[in.Filter] = nil
			}
		}
	}
	members, err := r.Members(ctx, inputIDs)
	if err != nil {
		return nil, err
	}
	for _, f := range slices.Sorted(maps.Keys(filters)) {
		if filters[f], err = r.UsersMatching(ctx, f); err != nil {
			return nil, err
		}
	}
	owners, err := r.Owners(ctx, ids)
	if err != nil {
		return nil, err
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

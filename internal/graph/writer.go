package graph

import (
	"context"
	"encoding/json"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// step is a call made for one op, with what to do with its answer.
type step struct {
	c  *call
	op int
	// ids are the members or owners the call carries.
	ids []string
	// then inspects the answer: it may record the outcome and return
	// follow-up steps (sent together in the next round).
	then func(s *step, res *entra.Result) []*step
}

// Apply implements [entra.Writer]. All operations' requests travel
// together in $batch requests; "already a member" and "not a member"
// answers count as success so a re-run converges.
func (b *Backend) Apply(ctx context.Context, ops []entra.Op) []entra.Result {
	results := make([]entra.Result, len(ops))
	var round []*step
	for i, op := range ops {
		results[i].Op = op
		round = append(round, b.steps(i, op)...)
	}
	// Progress counts the first round's answers: the ids each call
	// carries, or one for a call without. A fallback's further calls are
	// the same work, already counted.
	if progressed := entra.Progressed(ctx); progressed != nil {
		for _, s := range round {
			n := max(1, len(s.ids))
			s.c.answered = func() { progressed(n) }
		}
	}
	for len(round) > 0 {
		calls := make([]*call, len(round))
		for i, s := range round {
			calls[i] = s.c
		}
		if err := b.runBatches(ctx, calls); err != nil {
			for _, s := range round {
				results[s.op].Err = err
			}
			return results
		}
		var next []*step
		for _, s := range round {
			next = append(next, s.then(s, &results[s.op])...)
		}
		round = next
	}
	return results
}

func fail(res *entra.Result, ids []string, err error) {
	if len(ids) == 0 {
		res.Err = err
		return
	}
	if res.Failed == nil {
		res.Failed = map[string]error{}
	}
	for _, id := range ids {
		res.Failed[id] = err
	}
}

// answer treats the given statuses and codes as success.
func answer(ok func(e *graphError) bool) func(s *step, res *entra.Result) []*step {
	return func(s *step, res *entra.Result) []*step {
		if s.c.err != nil {
			fail(res, s.ids, s.c.err)
		} else if e := s.c.failed(); e != nil && !ok(e) {
			fail(res, s.ids, e)
		}
		return nil
	}
}

func alreadyExists(e *graphError) bool {
	return e.Status == 400 && strings.Contains(e.Message, "already exist")
}

func notFound(e *graphError) bool { return e.Status == 404 }

func never(*graphError) bool { return false }

func directoryObject(id string) string {
	return "https://graph.microsoft.com/v1.0/directoryObjects/" + id
}

func (b *Backend) steps(i int, op entra.Op) []*step {
	g := "/groups/" + op.GroupID
	one := func(info *abstractions.RequestInformation, ids []string, then func(*step, *entra.Result) []*step) *step {
		return &step{c: &call{info: info}, op: i, ids: ids, then: then}
	}
	switch op.Kind {
	case entra.OpCreateGroup:
		return []*step{one(b.body(abstractions.POST, "/groups", createBody(op.Group)), nil, func(s *step, res *entra.Result) []*step {
			if e := s.c.failed(); e != nil || s.c.err != nil {
				answer(never)(s, res)
				return nil
			}
			var created object
			if err := json.Unmarshal(s.c.body, &created); err != nil {
				res.Err = err
			}
			res.CreatedID = created.ID
			return nil
		})}
	case entra.OpUpdateGroup:
		return []*step{one(b.body(abstractions.PATCH, g, patchBody(op.Group, op.Fields)), nil, answer(never))}
	case entra.OpDeleteGroup:
		return []*step{one(b.body(abstractions.DELETE, g, nil), nil, answer(notFound))}
	case entra.OpRemoveMarker:
		// A marker already gone is what was asked.
		return []*step{one(b.body(abstractions.DELETE, g+"/extensions/"+entra.MarkerExtension, nil), nil, answer(notFound))}
	case entra.OpAddMembers:
		// 20 references per PATCH, all or nothing (Graph docs: Update group). A chunk refused
		// because one member is already there falls back to single adds,
		// where "already exist" is success.
		var out []*step
		for start := 0; start < len(op.IDs); start += 20 {
			ids := op.IDs[start:min(start+20, len(op.IDs))]
			refs := make([]string, len(ids))
			for k, id := range ids {
				refs[k] = directoryObject(id)
			}
			out = append(out, one(b.body(abstractions.PATCH, g, map[string]any{"members@odata.bind": refs}), ids,
				func(s *step, res *entra.Result) []*step {
					e := s.c.failed()
					if s.c.err != nil || e == nil || !(alreadyExists(e) || notFound(e)) {
						answer(never)(s, res)
						return nil
					}
					var singles []*step
					for _, id := range s.ids {
						singles = append(singles, one(b.body(abstractions.POST, g+"/members/$ref",
							map[string]string{"@odata.id": directoryObject(id)}), []string{id}, answer(alreadyExists)))
					}
					return singles
				}))
		}
		return out
	case entra.OpRemoveMembers, entra.OpRemoveOwners:
		rel := "members"
		if op.Kind == entra.OpRemoveOwners {
			rel = "owners"
		}
		// 404 naming the member: not a member any more, which is what was
		// asked. 404 naming the group: the group is gone, and the change
		// failed (Graph's remove-member answers name the missing object).
		notAMember := func(e *graphError) bool {
			return notFound(e) && !strings.Contains(strings.ToLower(e.Message), strings.ToLower(op.GroupID))
		}
		var out []*step
		for _, id := range op.IDs {
			out = append(out, one(b.body(abstractions.DELETE, g+"/"+rel+"/"+id+"/$ref", nil), []string{id}, answer(notAMember)))
		}
		return out
	case entra.OpAddOwners:
		var out []*step
		for _, id := range op.IDs {
			out = append(out, one(b.body(abstractions.POST, g+"/owners/$ref",
				map[string]string{"@odata.id": directoryObject(id)}), []string{id}, answer(alreadyExists)))
		}
		return out
	case entra.OpSetMarker:
		// An open extension is created by POST and changed by PATCH
		// (Graph docs: opentypeextension-post-opentypeextension, -update).
		// A marker is updated, and created when that answers 404; a new
		// group's is created, and updated when that answers 409 (an
		// earlier attempt's POST that did arrive).
		body := entra.OpenExtension(entra.MarkerExtension, op.Marker.Fields())
		path := g + "/extensions/" + entra.MarkerExtension
		post := func() *step { return one(b.body(abstractions.POST, g+"/extensions", body), nil, answer(never)) }
		patch := func() *step { return one(b.body(abstractions.PATCH, path, body), nil, answer(never)) }
		if op.NewMarker {
			return []*step{fallback(post(), func(e *graphError) bool { return e.Status == 409 }, patch)}
		}
		return []*step{fallback(patch(), notFound, post)}
	case entra.OpRequest:
		return []*step{b.requestStep(i, op.Request)}
	}
	return []*step{{c: &call{err: errUnsupported(op.Kind)}, op: i, then: answer(never)}}
}

// fallback is first, followed by then when first fails as when says.
func fallback(first *step, when func(*graphError) bool, then func() *step) *step {
	answered := first.then
	first.then = func(s *step, res *entra.Result) []*step {
		if e := s.c.failed(); e != nil && when(e) {
			return []*step{then()}
		}
		return answered(s, res)
	}
	return first
}

type errUnsupported entra.OpKind

func (e errUnsupported) Error() string { return "graph: unsupported operation " + string(e) }

// createBody is POST /groups (Graph docs: Create group): a Microsoft 365 group is mail-enabled
// and Unified; a security group is security-enabled and not mail-enabled.
func createBody(g *entra.Group) map[string]any {
	unified := g.Kind == model.GroupMicrosoft365
	body := map[string]any{"displayName": g.DisplayName, "mailNickname": g.MailNickname,
		"mailEnabled": unified, "securityEnabled": !unified}
	types := []string{}
	if unified {
		types = append(types, "Unified")
	}
	if g.DynamicRule != "" {
		types = append(types, "DynamicMembership")
		body["membershipRule"] = g.DynamicRule
		body["membershipRuleProcessingState"] = ruleState(g.DynamicRulePaused)
	}
	body["groupTypes"] = types
	if g.UniqueName != "" {
		body["uniqueName"] = g.UniqueName
	}
	if g.Description != "" {
		body["description"] = g.Description
	}
	if g.Visibility != "" {
		body["visibility"] = g.Visibility
	}
	if g.IsAssignableToRole {
		body["isAssignableToRole"] = true
	}
	return body
}

func ruleState(paused bool) string {
	if paused {
		return "Paused"
	}
	return "On"
}

// patchBody sends only the fields that change (Graph docs: Update group).
func patchBody(g *entra.Group, fields []string) map[string]any {
	body := map[string]any{}
	for _, f := range fields {
		switch f {
		case "displayName":
			body["displayName"] = g.DisplayName
		case "description":
			if g.Description == "" {
				body["description"] = nil
			} else {
				body["description"] = g.Description
			}
		case "mailNickname":
			body["mailNickname"] = g.MailNickname
		case "visibility":
			body["visibility"] = g.Visibility
		case "dynamicRule":
			body["membershipRule"] = g.DynamicRule
		case "dynamicRulePaused":
			body["membershipRuleProcessingState"] = ruleState(g.DynamicRulePaused)
		}
	}
	return body
}

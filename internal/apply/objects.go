package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/plan"
)

// objects runs the steps of the object changes in the given phases. Within
// a phase, each change's steps run in order and the changes run side by
// side: round i sends the i-th step of every change together. A change
// whose step failed sends nothing more. If the ownership record cannot
// claim what is about to be created, nothing else is written: an object
// created without its claim would look like somebody else's next time.
// The record releases nothing while any change failed, so it never
// forgets an object that is still there.
func (r *run) objects(ctx context.Context, phases ...plan.Phase) {
	for _, ph := range phases {
		if ph == plan.PhaseRelease && r.objectFailed() {
			for _, c := range r.p.Objects {
				if c.Address == plan.OwnershipAddress && hasPhase(c, ph) {
					r.fail(c.Address, errors.New("the ownership record keeps its entries: another change failed, and the next run decides them again"))
				}
			}
			continue
		}
		queues := map[int][]plan.Step{}
		for i, c := range r.p.Objects {
			for _, s := range c.Steps {
				if s.Phase == ph {
					queues[i] = append(queues[i], s)
				}
			}
		}
		for round := 0; len(queues) > 0; round++ {
			var b batch
			for i, c := range r.p.Objects {
				steps, ok := queues[i]
				if !ok {
					continue
				}
				if len(steps) <= round || len(r.errs[c.Address]) > 0 {
					delete(queues, i)
					continue
				}
				req, err := r.fillRefs(steps[round].Request)
				if err != nil {
					r.fail(c.Address, err)
					delete(queues, i)
					continue
				}
				b.add(entra.Op{Kind: entra.OpRequest, Request: &req}, c.Address)
			}
			r.phase(ctx, string(ph)+" "+objectNoun(len(b.ops)), b)
		}
		if ph == plan.PhaseClaim && len(r.errs[plan.OwnershipAddress]) > 0 {
			for _, c := range r.p.Objects {
				if c.Address != plan.OwnershipAddress && len(c.Steps) > 0 {
					r.fail(c.Address, errors.New("not written: the ownership record could not record it first"))
				}
			}
		}
	}
}

func objectNoun(n int) string {
	if n == 1 {
		return "object"
	}
	return "objects"
}

func hasPhase(c plan.ObjectChange, ph plan.Phase) bool {
	for _, s := range c.Steps {
		if s.Phase == ph {
			return true
		}
	}
	return false
}

func (r *run) objectFailed() bool {
	for _, c := range r.p.Objects {
		if c.Address != plan.OwnershipAddress && len(r.errs[c.Address]) > 0 {
			return true
		}
	}
	return false
}

// fillRefs replaces the placeholders of groups this apply created
// ([plan.AddressRef]) with their new ids.
func (r *run) fillRefs(req entra.Request) (entra.Request, error) {
	var missing []string
	var fill func(v any) any
	fill = func(v any) any {
		switch x := v.(type) {
		case string:
			if addr, ok := strings.CutPrefix(x, plan.AddressRef("")); ok {
				if id := r.ids[addr]; id != "" {
					return id
				}
				missing = append(missing, addr)
			}
			return x
		case map[string]any:
			out := make(map[string]any, len(x))
			for k, e := range x {
				out[k] = fill(e)
			}
			return out
		case []any:
			out := make([]any, len(x))
			for k, e := range x {
				out[k] = fill(e)
			}
			return out
		}
		return v
	}
	if req.Body != nil {
		req.Body = fill(req.Body).(map[string]any)
	}
	if len(missing) > 0 {
		return req, fmt.Errorf("not written: it names %s, which this apply did not create", strings.Join(missing, ", "))
	}
	return req, nil
}

func (r *run) objectResults() []Result {
	var out []Result
	for _, c := range r.p.Objects {
		res := Result{Address: c.Address, Action: c.Action, Status: Success, Errors: r.errs[c.Address]}
		switch {
		case len(res.Errors) > 0:
			res.Status = Failed
		case len(c.Steps) == 0 && c.Action == plan.NoOp:
			res.Status = Skipped
		}
		out = append(out, res)
	}
	return out
}

// staleObjects re-reads every document the object changes were computed
// from and lists what changed since. Like the group checks, it re-derives
// what protects the tenant from the tenant itself: a step may only write
// the cross-tenant policy or this configuration's ownership record, and
// a DELETE only an object the live record says this configuration
// created.
func staleObjects(ctx context.Context, r entra.Reader, p *plan.Plan) ([]string, error) {
	if len(p.Objects) == 0 {
		return nil, nil
	}
	record := plan.OwnershipPath(p.Tenant, p.Configuration)
	paths := []string{record}
	for _, c := range p.Objects {
		for _, rd := range c.Reads {
			if !slices.Contains(paths, rd.Path) {
				paths = append(paths, rd.Path)
			}
		}
	}
	docs, err := r.Documents(ctx, paths)
	if err != nil {
		return nil, err
	}
	var own *plan.Ownership
	if doc, ok := docs[record]; ok {
		own = plan.ParseOwnership([]entra.Document{doc}, p.Tenant, p.Configuration)
	} else {
		own = plan.ParseOwnership(nil, p.Tenant, p.Configuration)
	}
	var out []string
	for _, c := range p.Objects {
		for _, rd := range c.Reads {
			if plan.FingerprintDocument(docs[rd.Path]) != rd.Fingerprint {
				out = append(out, fmt.Sprintf("%s: %s changed since the plan was made", c.Address, rd.Path))
			}
		}
		for _, s := range c.Steps {
			if why := refuseStep(p, own, s); why != "" {
				out = append(out, fmt.Sprintf("%s: refusing %s %s: %s", c.Address, s.Request.Method, s.Request.Path, why))
			}
		}
	}
	return out, nil
}

// objectPaths are the paths object steps may write: the cross-tenant
// access policy.
const objectPaths = "policies/crossTenantAccessPolicy/"

func refuseStep(p *plan.Plan, own *plan.Ownership, s plan.Step) string {
	path := s.Request.Path
	recordPath := plan.OwnershipPath(p.Tenant, p.Configuration)
	switch {
	case path == recordPath || (path == "organization/"+p.Tenant+"/extensions" && s.Request.Method == "POST"):
		if s.Request.Method == "DELETE" {
			return "the ownership record is never deleted"
		}
		return ""
	case !strings.HasPrefix(path, objectPaths):
		return "a plan's object steps only write the cross-tenant access policy"
	case s.Request.Method != "DELETE":
		return ""
	case s.Deletes == nil:
		return "a delete must name the object it removes"
	}
	claim, ok := own.Claimed(s.Deletes.Kind, s.Deletes.ID)
	if !ok || claim.Origin != entra.OriginCreated || !strings.Contains(strings.ToLower(path), strings.ToLower(s.Deletes.ID)) {
		return "the ownership record does not say this configuration created it"
	}
	return ""
}

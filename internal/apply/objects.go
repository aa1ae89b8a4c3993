package apply

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/syncschema"
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
			var saves []map[string]string
			var awaits, merges []pending
			for i, c := range r.p.Objects {
				steps, ok := queues[i]
				if !ok {
					continue
				}
				if len(steps) <= round || len(r.errs[c.Address]) > 0 {
					delete(queues, i)
					continue
				}
				s := steps[round]
				req, err := r.fillRefs(s.Request)
				switch {
				case err != nil:
					r.fail(c.Address, err)
					delete(queues, i)
				case s.Await:
					awaits = append(awaits, pending{c.Address, req, s})
				case s.Merge != plan.MergeNone:
					merges = append(merges, pending{c.Address, req, s})
				default:
					b.add(entra.Op{Kind: entra.OpRequest, Request: &req}, c.Address)
					saves = append(saves, s.Save)
				}
			}
			r.await(ctx, awaits)
			for _, m := range r.merge(ctx, merges) {
				b.add(entra.Op{Kind: entra.OpRequest, Request: &m.req}, m.addr)
				saves = append(saves, m.step.Save)
			}
			for i, res := range r.phase(ctx, string(ph)+" "+objectNoun(len(b.ops)), b) {
				if res.Err == nil && len(saves[i]) > 0 {
					r.save(b.addrs[i], res, saves[i])
				}
			}
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

// objectFailed reports whether a change the ownership record claims or
// stamps failed (a profile import is neither: its state is its own file).
func (r *run) objectFailed() bool {
	for _, c := range r.p.Objects {
		if c.Address != plan.OwnershipAddress && c.Import == nil && len(r.errs[c.Address]) > 0 {
			return true
		}
	}
	return false
}

// pending is a step that apply handles itself before it is sent.
type pending struct {
	addr string
	req  entra.Request
	step plan.Step
}

// refPattern finds placeholders ([plan.Ref]).
var refPattern = regexp.MustCompile(`\$\{([^{}]+)\}`)

// defined are the names a placeholder may take in this plan: the
// addresses of its groups, the values its steps save and the apply's
// time. A string that
// looks like a placeholder but names neither nor any address (tenant
// data) is sent as it is.
func (r *run) defined() map[string]bool {
	if r.names == nil {
		r.names = map[string]bool{plan.ApplyTime: true}
		for _, c := range r.p.Groups {
			r.names[c.Address] = true
		}
		for _, c := range r.p.Objects {
			for _, s := range c.Steps {
				for name := range s.Save {
					r.names[name] = true
				}
			}
		}
	}
	return r.names
}

// fillRefs replaces the placeholders of values this apply learned (the ids
// of groups it created, values steps saved) in a request's path and body
// strings.
func (r *run) fillRefs(req entra.Request) (entra.Request, error) {
	var missing []string
	fillString := func(s string) string {
		return refPattern.ReplaceAllStringFunc(s, func(m string) string {
			name := m[2 : len(m)-1]
			addr, _, _ := strings.Cut(name, "#")
			if _, err := model.ParseAddress(addr); err != nil && !r.defined()[name] {
				return m // not a name of this plan's: tenant data, sent as it is
			}
			if v := r.ids[name]; v != "" {
				return v
			}
			if !slices.Contains(missing, name) {
				missing = append(missing, name)
			}
			return m
		})
	}
	var fill func(v any) any
	fill = func(v any) any {
		switch x := v.(type) {
		case string:
			return fillString(x)
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
	req.Path = fillString(req.Path)
	if req.Body != nil {
		req.Body = fill(req.Body).(map[string]any)
	}
	if len(missing) > 0 {
		return req, fmt.Errorf("not written: it needs %s, which this apply did not learn (an earlier step failed)", strings.Join(missing, ", "))
	}
	return req, nil
}

// save keeps the values a step's answer gives for later steps.
func (r *run) save(addr string, res entra.Result, names map[string]string) {
	for _, name := range slices.Sorted(maps.Keys(names)) {
		v, ok := lookup(res.Response, names[name])
		if !ok {
			r.fail(addr, fmt.Errorf("%s %s: the answer has no %s", res.Op.Request.Method, res.Op.Request.Path, names[name]))
			continue
		}
		r.ids[name] = v
	}
}

// lookup follows a dotted path ("servicePrincipal.appRoles.0.id") into a
// JSON document to a string.
func lookup(doc map[string]any, path string) (string, bool) {
	var cur any = doc
	for _, part := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			cur = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return "", false
			}
			cur = x[i]
		default:
			return "", false
		}
	}
	s, ok := cur.(string)
	return s, ok && s != ""
}

// await waits until the resources of Await steps are readable: Graph
// answers 404 for a while after a create.
func (r *run) await(ctx context.Context, steps []pending) {
	if len(steps) == 0 {
		return
	}
	paths := make([]string, len(steps))
	for i, s := range steps {
		paths[i] = s.req.Path
	}
	var docs map[string]entra.Document
	err := r.until(ctx, func() bool {
		var err error
		docs, err = r.b.Documents(ctx, paths)
		return err == nil && len(docs) == len(paths)
	})
	for _, s := range steps {
		if docs[s.req.Path] == nil {
			r.fail(s.addr, fmt.Errorf("GET %s: not readable after %s (replication lag); re-run apply to continue: %v", s.req.Path, r.opts.ReadableTimeout, err))
		}
	}
	r.done += len(steps)
	r.opts.Progress.Step(r.done, "wait for new objects")
}

// merge reads the resources of Merge steps and returns the requests that
// write them back merged.
func (r *run) merge(ctx context.Context, steps []pending) []pending {
	if len(steps) == 0 {
		return nil
	}
	paths := make([]string, len(steps))
	for i, s := range steps {
		paths[i] = s.req.Path
	}
	docs, err := r.b.Documents(ctx, paths)
	var out []pending
	for _, s := range steps {
		live := docs[s.req.Path]
		switch {
		case err != nil:
			r.fail(s.addr, fmt.Errorf("GET %s: %w", s.req.Path, err))
			continue
		case live == nil:
			r.fail(s.addr, fmt.Errorf("GET %s: not found, so there is nothing to merge into", s.req.Path))
			continue
		}
		var body map[string]any
		switch s.step.Merge {
		case plan.MergeSynchronizationSchema:
			o, err := syncschema.FromBody(s.req.Body)
			if err == nil {
				body, _, err = syncschema.Apply(live, o)
			}
			if err != nil {
				r.fail(s.addr, fmt.Errorf("%s %s: %w", s.req.Method, s.req.Path, err))
				continue
			}
		case plan.MergeNone:
			body = s.req.Body
		default:
			r.fail(s.addr, fmt.Errorf("%s %s: unknown merge %q", s.req.Method, s.req.Path, s.step.Merge))
			continue
		}
		s.req.Body = body
		out = append(out, s)
	}
	return out
}

func (r *run) objectResults() []Result {
	var out []Result
	for _, c := range r.p.Objects {
		res := Result{Address: c.Address, Action: c.Action, Status: Success, Errors: r.errs[c.Address], Notes: r.notes[c.Address]}
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
// the cross-tenant policy, a cross-tenant synchronization configuration
// app (one instantiated from its template, as the tenant says now, or one
// this apply creates) or this configuration's ownership record, and a
// DELETE of an object only one the live record says this configuration
// created.
func staleObjects(ctx context.Context, r entra.Reader, p *plan.Plan) ([]string, error) {
	if len(p.Objects) == 0 {
		return nil, nil
	}
	var paths []string
	add := func(path string) {
		if !slices.Contains(paths, path) {
			paths = append(paths, path)
		}
	}
	for _, c := range p.Objects {
		for _, rd := range c.Reads {
			add(rd.Path)
		}
		for _, s := range c.Steps {
			if sp := servicePrincipalOf(s.Request.Path); sp != "" && !refPattern.MatchString(sp) {
				add("servicePrincipals/" + sp)
			}
		}
	}
	docs, err := r.Documents(ctx, paths)
	if err != nil {
		return nil, err
	}
	// Every configuration's record, so that a step never touches what
	// another configuration manages.
	exts, err := r.Collection(ctx, plan.OwnershipRecords(p.Tenant))
	if err != nil {
		return nil, err
	}
	own := plan.ParseOwnership(exts, p.Tenant, p.Configuration)
	var out []string
	for _, c := range p.Objects {
		for _, rd := range c.Reads {
			if plan.FingerprintDocument(docs[rd.Path], rd.Keep...) != rd.Fingerprint {
				out = append(out, fmt.Sprintf("%s: %s changed since the plan was made", c.Address, rd.Path))
			}
		}
		for _, s := range c.Steps {
			if why := refuseStep(p, own, docs, s); why != "" {
				out = append(out, fmt.Sprintf("%s: refusing %s %s: %s", c.Address, s.Request.Method, s.Request.Path, why))
			}
		}
	}
	return out, nil
}

// objectPaths are the paths object steps may write: the cross-tenant
// access policy.
const objectPaths = "policies/crossTenantAccessPolicy/"

// foreignPartner is the other configuration that manages the partner a
// policies/crossTenantAccessPolicy/partners/{tenantId}[/…] path names.
func foreignPartner(own *plan.Ownership, path string) string {
	rest, ok := strings.CutPrefix(path, objectPaths+"partners/")
	if !ok {
		return ""
	}
	tid, _, _ := strings.Cut(rest, "/")
	return own.ForeignOwner("partners", tid)
}

// servicePrincipalOf is the id in a servicePrincipals/{id}[/…] path.
func servicePrincipalOf(path string) string {
	rest, ok := strings.CutPrefix(path, "servicePrincipals/")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func refuseStep(p *plan.Plan, own *plan.Ownership, docs map[string]entra.Document, s plan.Step) string {
	path := s.Request.Path
	recordPath := plan.OwnershipPath(p.Tenant, p.Configuration)
	sp := servicePrincipalOf(path)
	switch {
	case path == recordPath || (path == plan.OwnershipRecords(p.Tenant) && s.Request.Method == "POST"):
		if s.Request.Method == "DELETE" {
			return "the ownership record is never deleted"
		}
		return ""
	case path == "applicationTemplates/"+entra.CrossTenantSyncTemplate+"/instantiate" && s.Request.Method == "POST":
		return ""
	case sp != "":
		isRef := refPattern.MatchString(sp) && refPattern.FindString(sp) == sp
		if !isRef && !strings.EqualFold(fmt.Sprint(docs["servicePrincipals/"+sp]["applicationTemplateId"]), entra.CrossTenantSyncTemplate) {
			return "a plan's steps only change cross-tenant synchronization configuration apps, and this service principal is not one"
		}
		if owner := own.ForeignOwner("syncJobs", sp); owner != "" {
			return fmt.Sprintf("configuration %q manages it", owner)
		}
		if s.Request.Method != "DELETE" || path != "servicePrincipals/"+sp {
			return ""
		}
	case !strings.HasPrefix(path, objectPaths):
		return "a plan's object steps only write the cross-tenant access policy and cross-tenant synchronization"
	case foreignPartner(own, path) != "":
		return fmt.Sprintf("configuration %q manages it", foreignPartner(own, path))
	case s.Request.Method != "DELETE":
		return ""
	}
	if s.Deletes == nil {
		return "a delete must name the object it removes"
	}
	claim, ok := own.Claimed(s.Deletes.Kind, s.Deletes.ID)
	if !ok || claim.Origin != entra.OriginCreated || !strings.Contains(strings.ToLower(path), strings.ToLower(s.Deletes.ID)) {
		return "the ownership record does not say this configuration created it"
	}
	return ""
}

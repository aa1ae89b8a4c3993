package plan

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// Every managed kind is a [Kind]: one place that reads its live state,
// diffs it against the declaration and emits changes, run by [Make].
// Groups ([Groups]) emit [GroupChange]s, which apply writes in bulk
// across groups. The other kinds are resources Graph addresses by path
// and returns as documents (cross-tenant partners, the default
// cross-tenant policy, synchronization jobs); they emit [ObjectChange]s:
// requests in phases. What every kind shares is written once, here and
// in apply: ordering by address and phase, fingerprints of what was read,
// the ownership record and its stamps, the prune guard, the summary and
// rendering.

// Phase orders an object's requests within an apply. Apply runs the
// phases in this order, and within a phase each change's steps in order.
type Phase string

// The phases.
const (
	// PhaseClaim grows the ownership record before anything is created,
	// so an apply interrupted after a create still knows the object is
	// its own.
	PhaseClaim Phase = "claim"
	// PhaseWrite creates and updates objects, after groups are created
	// (a partner may name a new group as a target) and before groups are
	// deleted (an update may drop a group that is about to go).
	PhaseWrite Phase = "write"
	// PhaseRemove deletes objects, children first.
	PhaseRemove Phase = "remove"
	// PhaseRelease shrinks the ownership record once deletes are done.
	PhaseRelease Phase = "release"
)

// Phases lists the phases in apply order.
var Phases = []Phase{PhaseClaim, PhaseWrite, PhaseRemove, PhaseRelease}

// ObjectChange is the change to one object that is a document.
type ObjectChange struct {
	Address string `json:"address"`
	Action  Action `json:"action"`
	// Name is what people recognise the object by (a partner's tenant id).
	Name string `json:"name,omitempty"`
	// Fields are the settings that change, by dotted path.
	Fields []FieldChange `json:"fields,omitempty"`
	// Steps are the requests apply sends.
	Steps []Step `json:"steps,omitempty"`
	// Reads fingerprint the live documents the change was computed from;
	// apply re-reads them and refuses a plan they no longer match.
	Reads []DocumentRead `json:"reads,omitempty"`
	// Import is a profile mapping's bulk import (no Steps).
	Import *ProfileImport `json:"import,omitempty"`
	// Guard is set when the change needs --allow-mass-removal.
	Guard string `json:"guard,omitempty"`
	// Notes are what a reviewer should know.
	Notes []string `json:"notes,omitempty"`
}

// FieldChange is one setting's value before and after; nil is null
// (for a partner: inherit the default).
type FieldChange struct {
	Path   string `json:"path"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// Step is one request of a change.
type Step struct {
	Phase Phase `json:"phase"`
	// What says what the request does, for the plan's reader.
	What    string        `json:"what"`
	Request entra.Request `json:"request"`
	// Deletes names the object a DELETE removes: apply refuses the step
	// unless the live ownership record says this configuration created it.
	Deletes *Claim `json:"deletes,omitempty"`
	// Save names values of the answer that later steps use: name → dotted
	// path into the answer's body ("servicePrincipal.appRoles.0.id").
	// Later requests name them with [Ref].
	Save map[string]string `json:"save,omitempty"`
	// Await makes a GET step wait until its resource is readable (Graph
	// answers 404 for a while after a create while the object replicates).
	Await bool `json:"await,omitempty"`
	// Merge makes the request's body a change to apply to the resource as
	// it is when apply reaches the step: apply reads the resource, merges
	// and sends the result. Used where Graph replaces a whole document
	// that the plan could not read (a job's schema that does not exist yet).
	Merge Merge `json:"merge,omitempty"`
}

// Merge names how a step's body is merged into its resource.
type Merge string

// The merges.
const (
	// MergeNone sends the body as it is.
	MergeNone Merge = ""
	// MergeSynchronizationSchema applies a [syncschema.Overrides] body to
	// a synchronization job's schema.
	MergeSynchronizationSchema Merge = "synchronizationSchema"
)

// DocumentRead is one live document and its fingerprint ("absent" when it
// did not exist).
type DocumentRead struct {
	Path        string `json:"path"`
	Fingerprint string `json:"fingerprint"`
	// Keep limits the fingerprint to these top-level properties (of each
	// item, for a collection read as {"value": [...]}), for documents
	// part of which changes by itself: a job's run status.
	Keep []string `json:"keep,omitempty"`
}

// Read fingerprints a document as read, only the properties keep names
// when there are any.
func Read(path string, doc entra.Document, keep ...string) DocumentRead {
	return DocumentRead{Path: path, Fingerprint: FingerprintDocument(doc, keep...), Keep: keep}
}

// FingerprintDocument is a digest of a document's JSON (keys sorted), only
// the properties keep names when there are any; "absent" for nil.
func FingerprintDocument(doc entra.Document, keep ...string) string {
	if doc == nil {
		return "absent"
	}
	if len(keep) > 0 {
		doc = project(doc, keep)
	}
	data, _ := json.Marshal(doc)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Kind plans one family of document objects.
type Kind interface {
	// Plan reads what the kind needs through env.Reader and returns the
	// changes and the claims the ownership record must hold after apply.
	Plan(ctx context.Context, env *Env) (KindPlan, diag.Diagnostics, error)
}

// KindPlan is what a kind planned.
type KindPlan struct {
	// Addresses are every address the kind declares or manages, planned
	// or not: what --target may name.
	Addresses []string
	// Groups and Orphans are the group kind's; Changes the other kinds'.
	Groups  []GroupChange
	Orphans []Orphan
	Changes []ObjectChange
	// Claims are this configuration's claims of the kind after apply.
	Claims []Claim
	// Notes go to the plan's notes (objects no longer declared, …).
	Notes []string
}

// Env is what a kind plans with.
type Env struct {
	Reader        entra.Reader
	Desired       *model.Desired
	Locate        diag.Locator
	Options       Options
	Configuration string
	Tenant        string
	// Commit is the configuration commit planned ("" for a working tree).
	Commit string
	// Ownership is every configuration's ownership record in the tenant
	// ([Make] reads it when nil).
	Ownership *Ownership
	// GroupRef is the id of the group a declared key names, or a
	// placeholder ([AddressRef]) for a group this plan creates; false when
	// the key names no group. [Groups] sets it.
	GroupRef func(key string) (string, bool)
	// Progress is told how reading advances, stage by stage; nil reports
	// nothing.
	Progress func(stage string, done, total int)
}

// Targeted reports whether an address is in the plan's targets.
func (e *Env) Targeted(addr string) bool {
	return len(e.Options.Targets) == 0 || slices.Contains(e.Options.Targets, addr)
}

// Ref is how a request names a value apply learns on the way: the id of
// a group this plan creates (named by its address) or a value a step
// saved. Apply replaces it with the value before sending, in the path
// and in any body string that is exactly the placeholder.
func Ref(name string) string { return "${" + name + "}" }

// AddressRef is how a request body names the id of a group this plan
// creates.
func AddressRef(addr string) string { return Ref(addr) }

// project keeps the named top-level properties of doc, or of each item
// of a collection document.
func project(doc entra.Document, keep []string) entra.Document {
	pick := func(d map[string]any) map[string]any {
		out := map[string]any{}
		for _, k := range keep {
			if v, ok := d[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	items, isList := doc["value"].([]any)
	if !isList {
		return pick(doc)
	}
	out := make([]any, len(items))
	for i, it := range items {
		if m, ok := it.(map[string]any); ok {
			out[i] = pick(m)
		} else {
			out[i] = it
		}
	}
	return entra.Document{"value": out}
}

// Make is the one pipeline every kind goes through: it runs the kinds in
// order (groups first: the others name declared groups through
// [Env.GroupRef]), adds the ownership record's change, orders the
// changes by address in apply order, guards prunes and counts. The first
// kind whose diagnostics hold an error stops it with a nil plan, and so
// does a --target that names nothing any kind declares or manages.
func Make(ctx context.Context, env *Env, kinds ...Kind) (*Plan, diag.Diagnostics, error) {
	d := env.Desired
	env.Options.Prune = env.Options.Prune || d.Prune
	ownership := func() error { return nil }
	if env.Ownership == nil {
		// The ownership records are read beside the first kinds' reads,
		// in their first round trip; a kind that needs them waits.
		ctxs := entra.Together(ctx, 2)
		ctx = ctxs[1]
		defer entra.Arrive(ctx)
		var own *Ownership
		var ownErr error
		read := make(chan struct{})
		go func() {
			defer close(read)
			defer entra.Arrive(ctxs[0])
			own, ownErr = ReadOwnership(ctxs[0], env.Reader, env.Tenant, env.Configuration)
		}()
		ownership = func() error {
			entra.Arrive(ctx)
			<-read
			env.Ownership = own
			return ownErr
		}
	}
	if env.GroupRef == nil {
		env.GroupRef = func(string) (string, bool) { return "", false }
	}
	p := &Plan{FormatVersion: FormatVersion, Tenant: d.Tenant.ID, Configuration: d.Configuration, SourceCommit: env.Commit,
		Options: env.Options, Groups: []GroupChange{}}
	var ds diag.Diagnostics
	var claims []Claim
	var known []string
	stamp := Stamp{Commit: env.Commit}
	for _, k := range kinds {
		if _, free := k.(interface{ withoutOwnership() }); !free && env.Ownership == nil {
			if err := ownership(); err != nil {
				return nil, nil, err
			}
		}
		kp, kds, err := k.Plan(ctx, env)
		ds = append(ds, kds...)
		if err != nil || kds.HasErrors() {
			return nil, ds, err
		}
		known = append(known, kp.Addresses...)
		p.Groups = append(p.Groups, kp.Groups...)
		p.Orphans = append(p.Orphans, kp.Orphans...)
		p.Objects = append(p.Objects, kp.Changes...)
		p.Notes = append(p.Notes, kp.Notes...)
		claims = append(claims, kp.Claims...)
		for _, c := range kp.Changes {
			switch c.Action {
			case Create, Update, Adopt:
				if len(c.Steps) > 0 {
					stamp.Changed = append(stamp.Changed, c.Address)
				}
			case Delete, Release:
				stamp.Dropped = append(stamp.Dropped, c.Address)
			case NoOp:
			}
		}
	}
	if err := checkTargets(env.Options.Targets, known); err != nil {
		return nil, ds, err
	}
	if err := ownership(); err != nil {
		return nil, nil, err
	}
	rc, err := env.Ownership.change(claims, stamp)
	if err != nil {
		return nil, ds, err
	}
	if rc != nil {
		p.Objects = append(p.Objects, *rc)
	}
	slices.SortStableFunc(p.Groups, func(a, b GroupChange) int { return cmp.Compare(a.Address, b.Address) })
	slices.SortStableFunc(p.Objects, func(a, b ObjectChange) int { return compareAddresses(a.Address, b.Address) })
	GuardPrunes(p)
	p.Summary = summarize(p)
	return p, ds, nil
}

// checkTargets refuses a --target that names nothing declared or managed:
// a typo must not plan "no changes".
func checkTargets(targets, known []string) error {
	slices.Sort(known)
	known = slices.Compact(known)
	for _, t := range targets {
		if slices.Contains(known, t) {
			continue
		}
		return &TargetError{Target: t, Near: model.Closest(t, known)}
	}
	return nil
}

// TargetError is a --target that names nothing declared or managed.
type TargetError struct {
	Target string
	// Near is the closest address that exists, if any is close.
	Near string
}

func (e *TargetError) Error() string {
	msg := fmt.Sprintf("--target %s names nothing this configuration declares or manages", e.Target)
	if e.Near != "" {
		msg += fmt.Sprintf("; did you mean %s?", e.Near)
	}
	return msg
}

// compareAddresses orders by kind in apply order, then key; what is not
// an address (the ownership record) last.
func compareAddresses(a, b string) int {
	pa, ea := model.ParseAddress(a)
	pb, eb := model.ParseAddress(b)
	switch {
	case ea != nil && eb != nil:
		return cmp.Compare(a, b)
	case ea != nil:
		return 1
	case eb != nil:
		return -1
	}
	return pa.Compare(pb)
}

// GuardPrunes stops a prune of many objects at once, groups and documents
// counted together: every delete gets a guard when there are more than
// maxPruneDeletes.
func GuardPrunes(p *Plan) {
	n := 0
	for _, c := range p.Groups {
		if c.Action == Delete {
			n++
		}
	}
	for _, c := range p.Objects {
		if c.Action == Delete {
			n++
		}
	}
	if n <= maxPruneDeletes {
		return
	}
	why := fmt.Sprintf("prune would delete %d objects (more than %d)", n, maxPruneDeletes)
	for i := range p.Groups {
		if p.Groups[i].Action == Delete && p.Groups[i].Guard == "" {
			p.Groups[i].Guard = why
		}
	}
	for i := range p.Objects {
		if p.Objects[i].Action == Delete && p.Objects[i].Guard == "" {
			p.Objects[i].Guard = why
		}
	}
}

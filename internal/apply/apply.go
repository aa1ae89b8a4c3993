package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/profiles"
)

// Status is the outcome of one change.
type Status string

// The outcomes.
const (
	Success Status = "Success"
	Failed  Status = "Failed"
	Skipped Status = "Skipped"
)

// Result is what happened to one planned change.
type Result struct {
	Address string      `json:"address"`
	Action  plan.Action `json:"action"`
	Status  Status      `json:"status"`
	// GroupID is the group's id (the new one for a create).
	GroupID string   `json:"group_id,omitempty"`
	Errors  []string `json:"errors,omitempty"`
	// Notes say what became of work that goes on outside the tenant's
	// directory (a profile import's job).
	Notes []string `json:"notes,omitempty"`
}

// Report is the outcome of an apply.
type Report struct {
	Results []Result `json:"results"`
	// Waited is how long new groups took to become readable.
	Waited time.Duration `json:"waited_ns"`
}

// Failed reports whether any change failed.
func (r *Report) Failed() bool {
	return slices.ContainsFunc(r.Results, func(x Result) bool { return x.Status == Failed })
}

// Progress is told how far apply is; the CLI draws a bar with it.
type Progress interface {
	Start(total int)
	Step(done int, phase string)
	Finish()
}

type noProgress struct{}

func (noProgress) Start(int)        {}
func (noProgress) Step(int, string) {}
func (noProgress) Finish()          {}

// Options control an apply.
type Options struct {
	// AllowMassRemoval passes the removal guards.
	AllowMassRemoval bool
	// Progress receives progress; nil for none.
	Progress Progress
	// Now stamps markers; defaults to time.Now.
	Now func() time.Time
	// ReadableTimeout bounds the wait for new groups to replicate
	// (Graph's guidance on replication delay after creating an object); ReadablePoll is the first poll interval, doubled
	// each time.
	ReadableTimeout, ReadablePoll time.Duration
	// SharePoint runs profile imports; a plan with one fails it when nil.
	SharePoint entra.SharePoint
	// Imports shape profile imports (--no-wait, polling); apply fills in
	// the tenant, configuration, commit and clock.
	Imports profiles.RunOptions
}

// ErrGuard is returned, before any write, when a change would remove too
// many members and guards are not overridden.
var ErrGuard = errors.New("apply: removal guard")

// GuardError lists the changes that tripped a guard, as "address: guard".
type GuardError struct{ Tripped []string }

func (e *GuardError) Error() string {
	return "refusing to apply: " + strings.Join(e.Tripped, "; ") + " (review the plan; --allow-mass-removal applies it anyway)"
}

func (e *GuardError) Unwrap() error { return ErrGuard }

// ErrWrongTenant is returned, before any read of the plan's objects or any
// write, when the tenant reached is not the one the plan or configuration
// is for.
var ErrWrongTenant = errors.New("wrong tenant")

// CheckTenant reads the id of the tenant actually reached and refuses
// anything but want, naming both: a token for one tenant and a
// configuration for another must never meet.
func CheckTenant(ctx context.Context, r entra.Reader, want string) error {
	if want == "" {
		return fmt.Errorf("%w: the plan names no tenant", ErrWrongTenant)
	}
	got, err := r.TenantID(ctx)
	if err != nil {
		return fmt.Errorf("reading the tenant reached (GET /organization): %w", err)
	}
	if !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: the configuration is for tenant %s, but the tenant reached is %s; nothing was read or changed", ErrWrongTenant, want, got)
	}
	return nil
}

// Run applies p. It returns an error only when it could not start; failed
// changes are in the report.
func Run(ctx context.Context, p *plan.Plan, b entra.Backend, opts Options) (*Report, error) {
	if p.FormatVersion != plan.FormatVersion {
		return nil, fmt.Errorf("apply: plan format %q, this entrasync writes and reads %q", p.FormatVersion, plan.FormatVersion)
	}
	if err := CheckTenant(ctx, b, p.Tenant); err != nil {
		return nil, err
	}
	if !opts.AllowMassRemoval {
		var tripped []string
		for _, c := range p.Groups {
			if c.Guard != "" {
				tripped = append(tripped, c.Address+": "+c.Guard)
			}
		}
		for _, c := range p.Objects {
			if c.Guard != "" {
				tripped = append(tripped, c.Address+": "+c.Guard)
			}
		}
		if len(tripped) > 0 {
			return nil, &GuardError{Tripped: tripped}
		}
	}
	if opts.Progress == nil {
		opts.Progress = noProgress{}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadableTimeout == 0 {
		opts.ReadableTimeout = 2 * time.Minute
	}
	if opts.ReadablePoll == 0 {
		opts.ReadablePoll = time.Second
	}
	r := &run{p: p, b: b, opts: opts, ids: map[string]string{}, errs: map[string][]string{}, notes: map[string][]string{}}
	r.ids[plan.ApplyTime] = opts.Now().UTC().Format(time.RFC3339)
	return r.do(ctx)
}

type run struct {
	p    *plan.Plan
	b    entra.Backend
	opts Options
	// ids maps addresses to group ids, including groups created now.
	ids   map[string]string
	errs  map[string][]string
	notes map[string][]string
	done  int
	// names are the placeholders this plan defines (see defined).
	names map[string]bool
}

func (r *run) fail(addr string, err error) {
	r.errs[addr] = append(r.errs[addr], err.Error())
}

// batch is one phase's operations and the address each belongs to.
type batch struct {
	ops   []entra.Op
	addrs []string
}

func (b *batch) add(op entra.Op, addr string) {
	b.ops = append(b.ops, op)
	b.addrs = append(b.addrs, addr)
}

// phase sends a phase's operations in one call, so the writer can pack
// them across groups, and records failures by address.
func (r *run) phase(ctx context.Context, name string, b batch) []entra.Result {
	if len(b.ops) == 0 {
		return nil
	}
	addrs := b.addrs
	// The bar moves as the writer's answers arrive, and lands where the
	// results say once the phase is done.
	base := r.done
	var mu sync.Mutex
	results := r.b.Apply(entra.WithProgress(ctx, func(n int) {
		mu.Lock()
		defer mu.Unlock()
		r.done += n
		r.opts.Progress.Step(r.done, name)
	}), b.ops)
	mu.Lock()
	defer mu.Unlock()
	r.done = base
	defer func() { r.opts.Progress.Step(r.done, name) }()
	for i, res := range results {
		switch {
		case res.Err != nil && res.Op.Request != nil:
			r.fail(addrs[i], fmt.Errorf("%s %s: %w", res.Op.Request.Method, res.Op.Request.Path, res.Err))
		case res.Err != nil:
			r.fail(addrs[i], fmt.Errorf("%s: %w", res.Op.Kind, res.Err))
		case len(res.Failed) > 0:
			for _, id := range slices.Sorted(func(yield func(string) bool) {
				for id := range res.Failed {
					if !yield(id) {
						return
					}
				}
			}) {
				r.fail(addrs[i], fmt.Errorf("%s %s: %w", res.Op.Kind, id, res.Failed[id]))
			}
		}
		r.done += max(1, len(res.Op.IDs))
	}
	return results
}

// recordKey is the key under which r.ids holds a sources record's id.
func recordKey(addr string) string { return "sources:" + addr }

func (r *run) do(ctx context.Context) (*Report, error) {
	total := 0
	for _, c := range r.p.Groups {
		total += 2
		for _, s := range []*plan.SetChange{c.Members, c.Owners, c.Sources.Set()} {
			if s != nil {
				total += len(s.Add) + len(s.Remove)
			}
		}
		r.ids[c.Address] = c.ID
		if c.Sources != nil {
			r.ids[recordKey(c.Address)] = c.Sources.ID
		}
	}
	for _, c := range r.p.Objects {
		total += len(c.Steps)
		if c.Import != nil && c.Action == plan.Update {
			total++
		}
	}
	r.opts.Progress.Start(total)
	defer r.opts.Progress.Finish()
	rep := &Report{}

	// 1. Create groups, and the sources records incremental groups with
	// computed sources need.
	var creates batch
	for _, c := range r.p.Groups {
		if c.Action == plan.Create {
			creates.add(entra.Op{Kind: entra.OpCreateGroup, Group: groupOf(c)}, c.Address)
		}
	}
	for _, c := range r.p.Groups {
		if c.Sources != nil && c.Sources.Action == plan.Create {
			creates.add(entra.Op{Kind: entra.OpCreateGroup, Group: recordGroup(r.p.Configuration, c.Address)}, recordKey(c.Address))
		}
	}
	var created []string
	for i, res := range r.phase(ctx, "create groups", creates) {
		if res.Err == nil {
			r.ids[creates.addrs[i]] = res.CreatedID
			created = append(created, res.CreatedID)
		}
	}

	// 2. Wait until new groups are readable: Graph replicates for a while
	// and answers 404 meanwhile (Graph's guidance on replication delay after creating an object).
	start := time.Now()
	if err := r.waitReadable(ctx, created); err != nil {
		// Nothing more is written to them now; the next run recognises
		// them by their uniqueName and finishes them.
		for _, a := range creates.addrs {
			if r.ids[a] != "" {
				r.fail(a, err)
				r.ids[a] = ""
			}
		}
	}
	rep.Waited = time.Since(start)

	// 3. Mark new groups at once: a group created without its marker would
	// look like somebody else's on the next run, and a re-run after an
	// interruption would have to recognise it by its uniqueName. (Graph
	// cannot create a group and its open extension in one request.) For a
	// new group this is exact: it has nothing to remove, and adds are
	// always declared minus live.
	marked := map[string]bool{}
	var marks batch
	for _, key := range creates.addrs {
		if id := r.ids[key]; id != "" && len(r.errs[key]) == 0 {
			marks.add(entra.Op{Kind: entra.OpSetMarker, GroupID: id, Marker: r.markerFor(key), NewMarker: true}, key)
			marked[key] = true
		}
	}
	r.markNew(ctx, marks)

	// 4. Attributes, owners, member adds, member removes. A sources record
	// gains members before the group does and loses them after: whatever
	// fails in between, every member entrasync added from a source is in
	// the record, so a later run can still remove it.
	r.phase(ctx, "update groups", r.ops(func(c plan.GroupChange) []entra.Op {
		if c.Action != plan.Update && c.Action != plan.Adopt {
			return nil
		}
		g, fields := groupOf(c), []string{}
		for _, a := range c.Attributes {
			if a.Name != "marker" {
				fields = append(fields, a.Name)
			}
		}
		if len(fields) == 0 {
			return nil
		}
		return []entra.Op{{Kind: entra.OpUpdateGroup, Group: g, Fields: fields}}
	}))
	// Owner adds strictly before owner removes: Graph refuses to remove a
	// group's last owner, so replacing one owner must add the new one first.
	owners := func(c plan.GroupChange) *plan.SetChange { return c.Owners }
	members := func(c plan.GroupChange) *plan.SetChange { return c.Members }
	sources := func(c plan.GroupChange) *plan.SetChange { return c.Sources.Set() }
	r.phase(ctx, "add owners", r.setOps(groupKey, owners, entra.OpAddOwners, ""))
	r.phase(ctx, "remove owners", r.setOps(groupKey, owners, "", entra.OpRemoveOwners))
	r.phase(ctx, "record sources", r.setOps(recordKey, sources, entra.OpAddMembers, ""))
	r.phase(ctx, "add members", r.setOps(groupKey, members, entra.OpAddMembers, ""))
	r.phase(ctx, "remove members", r.setOps(groupKey, members, "", entra.OpRemoveMembers))
	r.phase(ctx, "record sources", r.setOps(recordKey, sources, "", entra.OpRemoveMembers))

	// 5. The other kinds' claims and writes: after groups exist (a partner
	// may name a new group), before groups are deleted.
	r.objects(ctx, plan.PhaseClaim, plan.PhaseWrite)
	r.imports(ctx)

	// 6. Deletes (prune), and records no longer needed.
	r.phase(ctx, "delete groups", r.ops(func(c plan.GroupChange) []entra.Op {
		if c.Action != plan.Delete {
			return nil
		}
		return []entra.Op{{Kind: entra.OpDeleteGroup}}
	}))
	r.phase(ctx, "release groups", r.ops(func(c plan.GroupChange) []entra.Op {
		if c.Action != plan.Release {
			return nil
		}
		return []entra.Op{{Kind: entra.OpRemoveMarker}}
	}))
	var drops batch
	for _, c := range r.p.Groups {
		if c.Sources != nil && c.Sources.Action == plan.Delete && c.Sources.ID != "" && len(r.errs[c.Address]) == 0 {
			drops.add(entra.Op{Kind: entra.OpDeleteGroup, GroupID: c.Sources.ID}, c.Address)
		}
	}
	r.phase(ctx, "delete records", drops)

	// 7. The other kinds' deletes, and the ownership record forgets them.
	r.objects(ctx, plan.PhaseRemove, plan.PhaseRelease)

	// 8. Markers, last, and only for groups whose writes all succeeded; a
	// record follows its group's key rename.
	var markers batch
	for _, c := range r.p.Groups {
		// A group whose record failed keeps its marker too: the marker
		// must not claim a record that does not exist.
		if c.Action == plan.Delete || c.Action == plan.Release || len(r.errs[c.Address])+len(r.errs[recordKey(c.Address)]) > 0 {
			continue
		}
		if id := r.ids[c.Address]; id != "" && c.Marker != nil && !marked[c.Address] {
			markers.add(entra.Op{Kind: entra.OpSetMarker, GroupID: id, Marker: r.markerFor(c.Address)}, c.Address)
		}
		if id := r.ids[recordKey(c.Address)]; id != "" && c.Sources.Rebind && !marked[recordKey(c.Address)] {
			markers.add(entra.Op{Kind: entra.OpSetMarker, GroupID: id, Marker: r.markerFor(recordKey(c.Address))}, c.Address)
		}
	}
	r.phase(ctx, "markers", markers)

	for _, c := range r.p.Groups {
		errs := append(r.errs[c.Address], r.errs[recordKey(c.Address)]...)
		res := Result{Address: c.Address, Action: c.Action, GroupID: r.ids[c.Address], Status: Success, Errors: errs}
		switch {
		case len(res.Errors) > 0:
			res.Status = Failed
		case c.Action == plan.NoOp:
			res.Status = Skipped
		}
		rep.Results = append(rep.Results, res)
	}
	rep.Results = append(rep.Results, r.objectResults()...)
	return rep, nil
}

func groupKey(addr string) string { return addr }

// markTries bounds how often a new group's marker write is tried.
const markTries = 4

// markNew writes the markers of new groups, trying a failed one again
// after a pause (the group may still be replicating where the write
// lands). A group that still cannot be marked is left as it is, never
// deleted: the next apply recognises it as its own by its uniqueName and
// finishes it. Its other writes wait for that run.
func (r *run) markNew(ctx context.Context, marks batch) {
	wait := r.opts.ReadablePoll
	for try := 1; len(marks.ops) > 0; try++ {
		results := r.b.Apply(ctx, marks.ops)
		var again batch
		for i, res := range results {
			key := marks.addrs[i]
			switch {
			case res.Err == nil:
				r.done++
				r.opts.Progress.Step(r.done, "mark new groups")
			case try < markTries && ctx.Err() == nil:
				again.add(marks.ops[i], key)
			default:
				r.fail(key, fmt.Errorf("group %s was created but could not be marked (%w); the next apply recognises it as its own by its uniqueName and finishes it",
					r.ids[key], res.Err))
				r.ids[key] = ""
			}
		}
		if len(again.ops) > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait *= 2
		}
		marks = again
	}
}

// markerFor is the marker of a group (key: its address) or of a sources
// record (key: recordKey(address)).
func (r *run) markerFor(key string) *entra.Marker {
	now := r.opts.Now().UTC()
	if addr, ok := strings.CutPrefix(key, "sources:"); ok {
		return &entra.Marker{Tenant: r.p.Tenant, Configuration: r.p.Configuration, Origin: entra.OriginCreated,
			Address: addr, Role: entra.RoleSources, AppliedAt: now}
	}
	c := r.p.Groups[slices.IndexFunc(r.p.Groups, func(c plan.GroupChange) bool { return c.Address == key })]
	m := *c.Marker
	// Whose and where come from the plan itself, never from the marker a
	// plan file carries.
	m.Tenant, m.Configuration, m.Address, m.AppliedAt = r.p.Tenant, r.p.Configuration, c.Address, now
	return &m
}

// recordGroup is the sources record created for the group at addr: a
// security group, so it can hold users, devices, service principals and
// groups alike. Nothing is assigned to it, so its members gain no access.
func recordGroup(configuration, addr string) *entra.Group {
	sum := sha256.Sum256([]byte(addr))
	return &entra.Group{Kind: model.GroupSecurity, DisplayName: "entrasync sources of " + addr,
		MailNickname: "entrasync-sources-" + hex.EncodeToString(sum[:8]), UniqueName: plan.RecordUniqueName(configuration, addr),
		Description: "Kept by entrasync: what the computed sources of " + addr + " resolved to at the last apply. Do not assign it to anything."}
}

// ops builds one phase's operations for every change with a group id.
func (r *run) ops(build func(plan.GroupChange) []entra.Op) batch {
	var b batch
	for _, c := range r.p.Groups {
		id := r.ids[c.Address]
		if id == "" {
			continue // its create failed
		}
		for _, op := range build(c) {
			op.GroupID = id
			b.add(op, c.Address)
		}
	}
	return b
}

// setOps turns member or owner changes into add and remove operations on
// the group that key names (the group itself, or its sources record).
// Members that are groups created by this plan get their new ids here.
func (r *run) setOps(key func(addr string) string, set func(plan.GroupChange) *plan.SetChange, add, remove entra.OpKind) batch {
	var b batch
	for _, c := range r.p.Groups {
		s := set(c)
		id := r.ids[key(c.Address)]
		if s == nil || id == "" {
			continue
		}
		if add != "" && len(s.Add) > 0 {
			var ids []string
			for _, m := range s.Add {
				mid := m.ID
				if mid == "" {
					mid = r.ids[m.Address]
				}
				if mid == "" {
					r.fail(c.Address, fmt.Errorf("member %s was not created", m.Address))
					continue
				}
				ids = append(ids, mid)
			}
			if len(ids) > 0 {
				b.add(entra.Op{Kind: add, GroupID: id, IDs: ids}, c.Address)
			}
		}
		if remove != "" && len(s.Remove) > 0 {
			ids := make([]string, len(s.Remove))
			for i, m := range s.Remove {
				ids[i] = m.ID
			}
			b.add(entra.Op{Kind: remove, GroupID: id, IDs: ids}, c.Address)
		}
	}
	return b
}

func (r *run) waitReadable(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	if err := r.until(ctx, func() bool {
		missing, err := r.b.Unreadable(ctx, ids)
		return err == nil && len(missing) == 0
	}); err != nil {
		return fmt.Errorf("new groups were not readable after %s (replication lag); re-run apply to continue", r.opts.ReadableTimeout)
	}
	return nil
}

// until polls ready, waiting ReadablePoll and doubling, until it holds or
// ReadableTimeout passes.
func (r *run) until(ctx context.Context, ready func() bool) error {
	deadline := time.Now().Add(r.opts.ReadableTimeout)
	wait := r.opts.ReadablePoll
	for {
		if ready() {
			return nil
		}
		if time.Now().Add(wait).After(deadline) {
			return errors.New("timed out")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

func groupOf(c plan.GroupChange) *entra.Group {
	g := &entra.Group{ID: c.ID, Kind: c.Kind}
	for _, a := range c.Attributes {
		switch a.Name {
		case "displayName":
			g.DisplayName, _ = a.After.(string)
		case "description":
			g.Description, _ = a.After.(string)
		case "mailNickname":
			g.MailNickname, _ = a.After.(string)
		case "uniqueName":
			g.UniqueName, _ = a.After.(string)
		case "visibility":
			g.Visibility, _ = a.After.(string)
		case "isAssignableToRole":
			g.IsAssignableToRole, _ = a.After.(bool)
		case "dynamicRule":
			g.DynamicRule, _ = a.After.(string)
		case "dynamicRulePaused":
			g.DynamicRulePaused, _ = a.After.(bool)
		}
	}
	return g
}

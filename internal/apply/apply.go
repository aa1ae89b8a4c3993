package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/plan"
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
	// (graph-api.md §5); ReadablePoll is the first poll interval, doubled
	// each time.
	ReadableTimeout, ReadablePoll time.Duration
}

// ErrGuard is returned, before any write, when a change would remove too
// many members and guards are not overridden.
var ErrGuard = errors.New("apply: removal guard")

// GuardError lists the changes that tripped a guard.
type GuardError struct{ Changes []plan.GroupChange }

func (e *GuardError) Error() string {
	var lines []string
	for _, c := range e.Changes {
		lines = append(lines, fmt.Sprintf("%s: %s", c.Address, c.Guard))
	}
	return "refusing to apply: " + strings.Join(lines, "; ") + " (review the plan; --allow-mass-removal applies it anyway)"
}

func (e *GuardError) Unwrap() error { return ErrGuard }

// Run applies p. It returns an error only when it could not start; failed
// changes are in the report.
func Run(ctx context.Context, p *plan.Plan, b entra.Backend, opts Options) (*Report, error) {
	if p.FormatVersion != plan.FormatVersion {
		return nil, fmt.Errorf("apply: plan format %q, this entrasync writes and reads %q", p.FormatVersion, plan.FormatVersion)
	}
	if !opts.AllowMassRemoval {
		var tripped []plan.GroupChange
		for _, c := range p.Groups {
			if c.Guard != "" {
				tripped = append(tripped, c)
			}
		}
		if len(tripped) > 0 {
			return nil, &GuardError{Changes: tripped}
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
	r := &run{p: p, b: b, opts: opts, ids: map[string]string{}, errs: map[string][]string{}}
	return r.do(ctx)
}

type run struct {
	p    *plan.Plan
	b    entra.Backend
	opts Options
	// ids maps addresses to group ids, including groups created now.
	ids  map[string]string
	errs map[string][]string
	done int
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
	results := r.b.Apply(ctx, b.ops)
	for i, res := range results {
		switch {
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
		r.opts.Progress.Step(r.done, name)
	}
	return results
}

func (r *run) do(ctx context.Context) (*Report, error) {
	total := 0
	for _, c := range r.p.Groups {
		total += 2
		if c.Members != nil {
			total += len(c.Members.Add) + len(c.Members.Remove)
		}
		if c.Owners != nil {
			total += len(c.Owners.Add) + len(c.Owners.Remove)
		}
		r.ids[c.Address] = c.ID
	}
	r.opts.Progress.Start(total)
	defer r.opts.Progress.Finish()
	rep := &Report{}

	// 1. Create groups.
	var creates batch
	for _, c := range r.p.Groups {
		if c.Action == plan.Create {
			creates.add(entra.Op{Kind: entra.OpCreateGroup, Group: groupOf(c)}, c.Address)
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
	// and answers 404 meanwhile (graph-api.md §5).
	start := time.Now()
	if err := r.waitReadable(ctx, created); err != nil {
		for _, a := range creates.addrs {
			r.fail(a, err)
		}
	}
	rep.Waited = time.Since(start)

	// 3. Mark new groups at once: a group created without its marker would
	// look like somebody else's on the next run, and a re-run after an
	// interruption could not adopt it. (Graph cannot create a group and
	// its open extension in one request.) For a new group this is exact:
	// it has nothing to remove, and adds are always declared minus live.
	marked := map[string]bool{}
	var marks batch
	for _, addr := range creates.addrs {
		if id := r.ids[addr]; id != "" && len(r.errs[addr]) == 0 {
			c := r.p.Groups[slices.IndexFunc(r.p.Groups, func(c plan.GroupChange) bool { return c.Address == addr })]
			marks.add(entra.Op{Kind: entra.OpSetMarker, GroupID: id, Marker: r.marker(c)}, addr)
			marked[addr] = true
		}
	}
	var rollback batch
	for i, res := range r.phase(ctx, "mark new groups", marks) {
		if res.Err != nil {
			// Undo the create: an empty group nobody can claim is worse than
			// none, and the next run creates it again.
			rollback.add(entra.Op{Kind: entra.OpDeleteGroup, GroupID: r.ids[marks.addrs[i]]}, marks.addrs[i])
		}
	}
	for i, res := range r.phase(ctx, "undo unmarked creates", rollback) {
		addr, id := rollback.addrs[i], rollback.ops[i].GroupID
		if res.Err != nil {
			r.fail(addr, fmt.Errorf("group %s was created but could not be marked or deleted; add adopt: \"id:%s\" to groups.%s to take it over",
				id, id, strings.TrimPrefix(addr, "groups.")))
		} else {
			r.fail(addr, fmt.Errorf("group %s was created but could not be marked, so it was deleted again; re-run apply", id))
		}
		r.ids[addr] = ""
	}

	// 4. Attributes, owners, member adds, member removes.
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
	r.phase(ctx, "add owners", r.setOps(owners, entra.OpAddOwners, ""))
	r.phase(ctx, "remove owners", r.setOps(owners, "", entra.OpRemoveOwners))
	r.phase(ctx, "add members", r.setOps(func(c plan.GroupChange) *plan.SetChange { return c.Members }, entra.OpAddMembers, ""))
	r.phase(ctx, "remove members", r.setOps(func(c plan.GroupChange) *plan.SetChange { return c.Members }, "", entra.OpRemoveMembers))

	// 5. Deletes (prune).
	r.phase(ctx, "delete groups", r.ops(func(c plan.GroupChange) []entra.Op {
		if c.Action != plan.Delete {
			return nil
		}
		return []entra.Op{{Kind: entra.OpDeleteGroup}}
	}))

	// 6. Markers, last, and only for groups whose writes all succeeded.
	r.phase(ctx, "markers", r.ops(func(c plan.GroupChange) []entra.Op {
		if c.Action == plan.Delete || c.Action == plan.NoOp || marked[c.Address] || len(r.errs[c.Address]) > 0 {
			return nil
		}
		if !slices.ContainsFunc(c.Attributes, func(a plan.AttrChange) bool { return a.Name == "marker" }) {
			return nil
		}
		return []entra.Op{{Kind: entra.OpSetMarker, Marker: r.marker(c)}}
	}))

	for _, c := range r.p.Groups {
		res := Result{Address: c.Address, Action: c.Action, GroupID: r.ids[c.Address], Status: Success, Errors: r.errs[c.Address]}
		switch {
		case len(res.Errors) > 0:
			res.Status = Failed
		case c.Action == plan.NoOp:
			res.Status = Skipped
		}
		rep.Results = append(rep.Results, res)
	}
	return rep, nil
}

func (r *run) marker(c plan.GroupChange) *entra.Marker {
	return &entra.Marker{Address: c.Address, Commit: r.p.SourceCommit, Mode: c.Mode, AppliedAt: r.opts.Now().UTC()}
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

// setOps turns member or owner changes into add and remove operations.
// Members that are groups created by this plan get their new ids here.
func (r *run) setOps(set func(plan.GroupChange) *plan.SetChange, add, remove entra.OpKind) batch {
	return r.ops(func(c plan.GroupChange) []entra.Op {
		s := set(c)
		if s == nil {
			return nil
		}
		var ops []entra.Op
		if add != "" && len(s.Add) > 0 {
			var ids []string
			for _, m := range s.Add {
				id := m.ID
				if id == "" {
					id = r.ids[m.Address]
				}
				if id == "" {
					r.fail(c.Address, fmt.Errorf("member %s was not created", m.Address))
					continue
				}
				ids = append(ids, id)
			}
			if len(ids) > 0 {
				ops = append(ops, entra.Op{Kind: add, IDs: ids})
			}
		}
		if remove != "" && len(s.Remove) > 0 {
			ids := make([]string, len(s.Remove))
			for i, m := range s.Remove {
				ids[i] = m.ID
			}
			ops = append(ops, entra.Op{Kind: remove, IDs: ids})
		}
		return ops
	})
}

func (r *run) waitReadable(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	deadline := time.Now().Add(r.opts.ReadableTimeout)
	wait := r.opts.ReadablePoll
	for {
		found, err := r.b.Groups(ctx, entra.GroupQuery{IDs: ids})
		if err == nil && len(found) == len(ids) {
			return nil
		}
		if time.Now().Add(wait).After(deadline) {
			return fmt.Errorf("new groups were not readable after %s (replication lag); re-run apply to continue", r.opts.ReadableTimeout)
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

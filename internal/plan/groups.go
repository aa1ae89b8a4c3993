package plan

import (
	"context"
	"slices"

	"github.com/entrasync/entrasync/internal/diag"
)

// Groups is the group kind. It reads what the declared groups need in
// bulk ([ReadLive]) and computes their changes ([Compute]); its changes
// are [GroupChange]s rather than documents because apply writes members
// of many groups in one $batch. It runs first: the other kinds name
// declared groups through [Env.GroupRef], which it sets.
type Groups struct {
	// LastDeclared finds the groups as declared at the markers' commits
	// (see [Inputs]); nil when there is no history.
	LastDeclared History
}

// withoutOwnership: the group kind's own markers say what it manages, so
// it plans while the ownership records are still being read.
func (Groups) withoutOwnership() {}

// Plan implements [Kind].
func (g Groups) Plan(ctx context.Context, env *Env) (KindPlan, diag.Diagnostics, error) {
	live, ds, err := ReadLive(ctx, env.Reader, env.Desired, Inputs{Locate: env.Locate, LastDeclared: g.LastDeclared, Progress: env.Progress, Full: env.Options.Full, Targets: env.Options.Targets})
	if err != nil || ds.HasErrors() {
		return KindPlan{}, ds, err
	}
	var kp KindPlan
	for key := range env.Desired.Groups {
		kp.Addresses = append(kp.Addresses, groupAddress(key))
	}
	for _, m := range live.Marked {
		kp.Addresses = append(kp.Addresses, m.Marker.Address)
	}
	p, cds := Compute(Input{Desired: env.Desired, Live: live, Commit: env.Commit, Locate: env.Locate}, env.Options)
	ds = append(ds, cds...)
	kp.Groups, kp.Orphans, kp.Notes = p.Groups, p.Orphans, p.Notes
	env.GroupRef = groupRef(p.Groups, live)
	return kp, ds, nil
}

// groupRef names a declared group's id for the other kinds: the live id
// of a group that exists, a placeholder apply fills in for one this plan
// creates.
func groupRef(changes []GroupChange, live *Live) func(string) (string, bool) {
	return func(key string) (string, bool) {
		addr := groupAddress(key)
		if i := slices.IndexFunc(changes, func(c GroupChange) bool { return c.Address == addr }); i >= 0 {
			c := changes[i]
			if c.Action == Create {
				return AddressRef(addr), true
			}
			return c.ID, c.ID != ""
		}
		if g := live.Groups[key]; g != nil {
			return g.ID, true
		}
		return "", false
	}
}

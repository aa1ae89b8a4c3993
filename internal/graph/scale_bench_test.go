package graph

import (
	"context"
	"slices"
	"testing"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/sim"
)

// The L tenant: 100,000 users and 5,000 managed groups of 200 members
// (1,000,000 memberships), declared exactly, then 5% of the groups
// changed: in every twentieth group, 10 members out and 10 others in.
const (
	lUsers, lGroups, lMembers = 100_000, 5_000, 200
	lChangedEvery, lMoved     = 20, 10
)

// changeFivePercent moves lMoved members out of and lMoved other users
// into every lChangedEvery-th declared group.
func changeFivePercent(st *sim.State, d *model.Desired) {
	keys := model.SortedKeys(d.Groups)
	for i, k := range keys {
		if i%lChangedEvery != 0 {
			continue
		}
		g := d.Groups[k]
		users := slices.Clone(g.Membership.Users[lMoved:])
		for j := 0; len(users) < len(g.Membership.Users); j++ {
			u := st.Users[(i*7919+j)%len(st.Users)].UserPrincipalName
			if !slices.Contains(g.Membership.Users, u) && !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		m := *g.Membership
		m.Users = users
		g.Membership = &m
		d.Groups[k] = g
	}
}

// lBounds are the fewest round trips of the L plan and of its apply. Plan:
// see planBound (the ownership records beside the group listing). Apply:
// the tenant check, then per changed group one PATCH adding its 10
// members and 10 DELETEs, 20 requests to a $batch (the markers already
// name the commit planned, so they are not written).
func lBounds(refs int) (planRT, applyRT int) {
	changed := ceilDiv(lGroups, lChangedEvery)
	return planBound(lGroups, lUsers, refs, lGroups, 1), 1 + ceilDiv(changed*(1+lMoved), batchSize)
}

// BenchmarkPlanApplyL plans the 5% change of the L tenant cold (the
// emulator in this process, no latency) and applies it, and reports the
// round trips of each against its bound.
func BenchmarkPlanApplyL(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a tenant of 100,000 users and 5,000 groups")
	}
	var planRT, applyRT int64
	var pb, ab int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, d, refs := markedTenant(sim.SeedOptions{Users: lUsers, Groups: lGroups, MembersPerGroup: lMembers, Seed: 1})
		changeFivePercent(st, d)
		tenant := st.TenantID
		pb, ab = lBounds(refs)
		bk, srv := simBackend(b, st, sim.Options{})
		srv.ResetStats()
		b.StartTimer()
		// The markers name the commit planned: without history (no
		// LastDeclared), a marker of another commit is re-stamped.
		env := &plan.Env{Reader: bk, Desired: d, Tenant: tenant, Commit: "c1"}
		p, ds, err := plan.Make(context.Background(), env, plan.Groups{}, crosstenant.Partners{}, crosstenant.Default{}, crosstenant.SyncJobs{})
		if err != nil || ds.HasErrors() {
			b.Fatalf("plan: %v %v", err, ds.Err())
		}
		want := ceilDiv(lGroups, lChangedEvery)
		if p.Summary.Update != want || p.Summary.NoOp != lGroups-want {
			b.Fatalf("plan: %+v, want %d groups changed", p.Summary, want)
		}
		planRT = srv.Stats().HTTPRequests
		srv.ResetStats()
		rep, err := apply.Run(context.Background(), p, bk, apply.Options{})
		if err != nil || rep.Failed() {
			b.Fatalf("apply: %v %+v", err, rep)
		}
		applyRT = srv.Stats().HTTPRequests
	}
	b.ReportMetric(float64(planRT), "plan-roundtrips")
	b.ReportMetric(float64(pb), "plan-bound")
	b.ReportMetric(float64(planRT)/float64(pb), "plan-ratio-to-bound")
	b.ReportMetric(float64(applyRT), "apply-roundtrips")
	b.ReportMetric(float64(ab), "apply-bound")
	b.ReportMetric(float64(applyRT)/float64(ab), "apply-ratio-to-bound")
}

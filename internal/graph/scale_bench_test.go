package graph

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

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

// changeGroups moves `moved` members out of and as many other users into
// every `every`-th declared group (changeGroups(st, d, lChangedEvery,
// lMoved) is the 5% change).
func changeGroups(st *sim.State, d *model.Desired, every, moved int) {
	keys := model.SortedKeys(d.Groups)
	for i, k := range keys {
		if i%every != 0 {
			continue
		}
		g := d.Groups[k]
		users := slices.Clone(g.Membership.Users[moved:])
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
// see planBound (the ownership records beside the group listing; every
// group is full-mode, so its service principals are read too). Apply:
// the tenant check, then per changed group one PATCH adding its 10
// members and 10 DELETEs, 20 requests to a $batch (the markers already
// name the commit planned, so they are not written).
func lBounds(refs int) (planRT, applyRT int) {
	changed := ceilDiv(lGroups, lChangedEvery)
	return planBound(lGroups, lUsers, refs, 2*lGroups, 1), 1 + ceilDiv(changed*(1+lMoved), batchSize)
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
		changeGroups(st, d, lChangedEvery, lMoved)
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

// The paced apply: in every 16th group of the L tenant 13 members out and
// 13 in, 313 groups × (13 DELETEs + 1 PATCH) = 4,382 writes, beyond the
// 3,000 Graph lets through at once. Planned without throttling, then
// applied with Graph's quotas on in the emulator.
const pacedEvery, pacedMoved = 16, 13

var (
	pacedOnce sync.Once
	paced     struct {
		writes, throttled, roundTrips int64
		elapsed                       time.Duration
	}
)

// BenchmarkApplyPacedL measures how close a long apply runs to Graph's
// write quota (3,000 writes per 150 s per app and tenant, refilled at 20
// per second): quota-use is the writes made over the most the quota
// allows in the same time (its 3,000 burst plus 20 a second), so 1.0
// means at the quota. 429s are those the emulator answered; none reaches
// the caller (the apply fails the benchmark if one did). Measured once
// (about 80 s) and reported for each iteration.
func BenchmarkApplyPacedL(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds the L tenant and writes for over a minute")
	}
	pacedOnce.Do(func() {
		st, d, _ := markedTenant(sim.SeedOptions{Users: lUsers, Groups: lGroups, MembersPerGroup: lMembers, Seed: 1})
		changeGroups(st, d, pacedEvery, pacedMoved)
		bk, srv := simBackend(b, st, sim.Options{})
		env := &plan.Env{Reader: bk, Desired: d, Tenant: st.TenantID, Commit: "c1"}
		p, ds, err := plan.Make(context.Background(), env, plan.Groups{}, crosstenant.Partners{}, crosstenant.Default{}, crosstenant.SyncJobs{})
		if err != nil || ds.HasErrors() {
			b.Fatalf("plan: %v %v", err, ds.Err())
		}
		on := true
		srv.Configure(sim.Config{Throttle: &on})
		srv.ResetStats()
		start := time.Now()
		rep, err := apply.Run(context.Background(), p, bk, apply.Options{})
		paced.elapsed = time.Since(start)
		if err != nil || rep.Failed() {
			b.Fatalf("apply: %v %+v", err, rep)
		}
		stats := srv.Stats()
		paced.writes, paced.throttled, paced.roundTrips = stats.Writes, stats.Throttled, stats.HTTPRequests
		if want := int64(ceilDiv(lGroups, pacedEvery) * (pacedMoved + 1)); paced.writes != want {
			b.Fatalf("%d writes, want %d", paced.writes, want)
		}
	})
	for i := 0; i < b.N; i++ {
		allowed := writeQuota + paced.elapsed.Seconds()*writeQuota/writeQuotaWindow.Seconds()
		b.ReportMetric(float64(paced.writes), "writes")
		b.ReportMetric(paced.elapsed.Seconds(), "apply-seconds")
		b.ReportMetric(float64(paced.writes)/allowed, "quota-use")
		b.ReportMetric(float64(paced.throttled), "429s")
		b.ReportMetric(float64(paced.roundTrips), "apply-roundtrips")
	}
}

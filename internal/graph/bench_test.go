package graph

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/time/rate"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/sim"
)

// Lower bounds of HTTP round trips, from Graph's limits (Graph docs: Update group; JSON batching; known issues: query parameter limits):
// 20 binds per PATCH and 20 requests per $batch make 400 member adds per
// round trip; a removal is one request, 20 per round trip.
func addBound(n int) int    { return ceilDiv(n, 400) }
func removeBound(n int) int { return ceilDiv(n, 20) }

// planBound is the fewest round trips reading a plan can take: its
// requests, 20 to a $batch, and never fewer than its longest run of reads
// that wait on one another. Requests: the group listing (markers
// expanded, 999 to a page), extra requests beside it (the ownership
// records), the members (and owners) of the groups read, one request
// each and one more per full-mode group for its service principals
// (Graph v1.0 lists them only through the type cast), and the users by
// the cheaper way: in (…) lookups (15 references
// a request, all at once), or a count and then the listing, 999 to a
// page, one page after another.
func planBound(groups, users, refs, relations, extra int) int {
	groupPages := ceilDiv(groups, 999)
	bound := func(userRequests, userChain int) int {
		requests := groupPages + extra + userRequests + relations
		return max(ceilDiv(requests, batchSize), groupPages+min(relations, 1), userChain)
	}
	byLookup := bound(ceilDiv(refs, maxInValues), 1)
	if refs <= listUsersAbove {
		return byLookup
	}
	userPages := ceilDiv(users, 999)
	return min(byLookup, bound(1+userPages, 1+userPages))
}

func writeState(users, members int) (*sim.State, []string) {
	st := sim.Seed(sim.SeedOptions{Users: users, Groups: 1, MembersPerGroup: members, Seed: 1})
	ids := make([]string, users)
	for i, u := range st.Users {
		ids[i] = u.ID
	}
	return st, ids
}

// writeRoundTrips applies one operation on a fresh emulator and counts
// the HTTP round trips it took.
func writeRoundTrips(tb testing.TB, st *sim.State, op func(group string) entra.Op) (int64, *sim.Server) {
	b, srv := simBackend(tb, st, sim.Options{})
	srv.ResetStats()
	res := b.Apply(context.Background(), []entra.Op{op(st.Groups[0].ID)})
	if res[0].Err != nil || len(res[0].Failed) > 0 {
		tb.Fatalf("apply: %v %v", res[0].Err, res[0].Failed)
	}
	return srv.Stats().HTTPRequests, srv
}

func add4000(tb testing.TB) (int64, *sim.Server) {
	st, ids := writeState(4000, 0)
	return writeRoundTrips(tb, st, func(g string) entra.Op { return entra.Op{Kind: entra.OpAddMembers, GroupID: g, IDs: ids} })
}

func remove400(tb testing.TB) (int64, *sim.Server) {
	st, _ := writeState(1000, 400)
	members := st.Groups[0].Members
	return writeRoundTrips(tb, st, func(g string) entra.Op {
		return entra.Op{Kind: entra.OpRemoveMembers, GroupID: g, IDs: members}
	})
}

func TestWriteRoundTripBounds(t *testing.T) {
	rt, srv := add4000(t)
	if rt > int64(addBound(4000)) || len(srv.Snapshot().Groups[0].Members) != 4000 {
		t.Errorf("4,000 adds: %d round trips, %d members; want ≤ %d and 4000", rt, len(srv.Snapshot().Groups[0].Members), addBound(4000))
	}
	rt, srv = remove400(t)
	if rt > int64(removeBound(400)) || len(srv.Snapshot().Groups[0].Members) != 0 {
		t.Errorf("400 removals: %d round trips; want ≤ %d", rt, removeBound(400))
	}
}

func BenchmarkAdd4000Members(b *testing.B) {
	var rt int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, ids := writeState(4000, 0)
		bk, srv := simBackend(b, st, sim.Options{})
		srv.ResetStats()
		b.StartTimer()
		res := bk.Apply(context.Background(), []entra.Op{{Kind: entra.OpAddMembers, GroupID: st.Groups[0].ID, IDs: ids}})
		if res[0].Err != nil || len(res[0].Failed) > 0 {
			b.Fatalf("apply: %v %v", res[0].Err, res[0].Failed)
		}
		rt = srv.Stats().HTTPRequests
	}
	b.ReportMetric(float64(rt), "round-trips")
	b.ReportMetric(float64(rt)/float64(addBound(4000)), "ratio-to-bound")
}

func BenchmarkRemove400Members(b *testing.B) {
	var rt int64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st, _ := writeState(1000, 400)
		// NewServer owns the state from then on: take the ids first.
		group, members := st.Groups[0].ID, st.Groups[0].Members
		bk, srv := simBackend(b, st, sim.Options{})
		srv.ResetStats()
		b.StartTimer()
		res := bk.Apply(context.Background(), []entra.Op{{Kind: entra.OpRemoveMembers, GroupID: group, IDs: members}})
		if len(members) != 400 || res[0].Err != nil || len(res[0].Failed) > 0 {
			b.Fatalf("removed %d: %v %v", len(members), res[0].Err, res[0].Failed)
		}
		rt = srv.Stats().HTTPRequests
	}
	b.ReportMetric(float64(rt), "round-trips")
	b.ReportMetric(float64(rt)/float64(removeBound(400)), "ratio-to-bound")
}

// plannedTenant is 200 managed groups of 500 members among 10,000 users,
// and a configuration that declares exactly those members.
func plannedTenant() (*sim.State, *model.Desired, int) {
	return markedTenant(sim.SeedOptions{Users: 10_000, Groups: 200, MembersPerGroup: 500, Seed: 3})
}

// incremental turns every group of a marked tenant and its configuration
// to incremental mode (the default).
func incremental(st *sim.State, d *model.Desired) {
	for _, g := range st.Groups {
		g.Extensions[entra.MarkerExtension]["mode"] = "incremental"
	}
	for k, g := range d.Groups {
		m := *g.Membership
		m.Mode = model.ModeIncremental
		g.Membership = &m
		d.Groups[k] = g
	}
}

// markedTenant seeds a tenant whose groups all carry entrasync's marker,
// and a configuration that declares exactly their members; it also
// returns how many distinct users the configuration names.
func markedTenant(opts sim.SeedOptions) (*sim.State, *model.Desired, int) {
	st := sim.Seed(opts)
	upn := map[string]string{}
	for _, u := range st.Users {
		upn[u.ID] = u.UserPrincipalName
	}
	d := &model.Desired{Tenant: model.Tenant{ID: st.TenantID}, Groups: map[string]model.Group{}}
	refs := map[string]bool{}
	for i, g := range st.Groups {
		key := fmt.Sprintf("g%04d", i)
		g.Extensions = map[string]map[string]any{entra.MarkerExtension: {"address": "groups." + key, "commit": "c1", "mode": "full", "sources": "none", "owners": "none", "tenant": st.TenantID, "origin": "created"}}
		users := make([]string, len(g.Members))
		for j, m := range g.Members {
			users[j] = upn[m]
			refs[upn[m]] = true
		}
		d.Groups[key] = model.Group{DisplayName: g.DisplayName, Kind: model.GroupSecurity, MailNickname: g.MailNickname,
			Membership: &model.Membership{Mode: model.ModeFull, Users: users}}
	}
	return st, d, len(refs)
}

func planRoundTrips(tb testing.TB, bk *Backend, srv *sim.Server, d *model.Desired) (int64, *plan.Plan) {
	srv.ResetStats()
	// The markers name c1, at which the configuration was d.
	history := plan.HistoryOf(func(string) (*model.Desired, bool, error) { return d, true, nil })
	live, ds, err := plan.ReadLive(context.Background(), bk, d, plan.Inputs{LastDeclared: history})
	if err != nil || ds.HasErrors() {
		tb.Fatalf("read: %v %v", err, ds.Err())
	}
	p, _ := plan.Compute(plan.Input{Desired: d, Live: live, Commit: "c1"}, plan.Options{})
	return srv.Stats().HTTPRequests, p
}

// In full mode every group's service principals cost one more request;
// an incremental group that names none costs none.
func TestPlanRoundTripBound(t *testing.T) {
	if testing.Short() {
		t.Skip("plans 200 groups of 500 members")
	}
	for _, mode := range []model.MembershipMode{model.ModeFull, model.ModeIncremental} {
		t.Run(string(mode), func(t *testing.T) {
			st, d, refs := plannedTenant()
			relations := 2 * 200
			if mode == model.ModeIncremental {
				incremental(st, d)
				relations = 200
			}
			bk, srv := simBackend(t, st, sim.Options{})
			rt, p := planRoundTrips(t, bk, srv, d)
			bound := planBound(200, 10_000, refs, relations, 0)
			if float64(rt) > 1.1*float64(bound) {
				t.Errorf("planning 200×500: %d round trips, lower bound %d (ratio %.2f > 1.1)", rt, bound, float64(rt)/float64(bound))
			}
			if p.HasChanges() || p.Summary.NoOp != 200 {
				t.Errorf("the tenant matches the configuration, but the plan has changes: %+v", p.Summary)
			}
		})
	}
}

func BenchmarkPlan200Groups500Members(b *testing.B) {
	st, d, refs := plannedTenant()
	benchmarkPlan(b, st, d, planBound(200, 10_000, refs, 2*200, 0))
}

// BenchmarkPlan200Groups500MembersIncremental is the same tenant with
// every group in incremental mode, as groups are by default.
func BenchmarkPlan200Groups500MembersIncremental(b *testing.B) {
	st, d, refs := plannedTenant()
	incremental(st, d)
	benchmarkPlan(b, st, d, planBound(200, 10_000, refs, 200, 0))
}

func benchmarkPlan(b *testing.B, st *sim.State, d *model.Desired, bound int) {
	bk, srv := simBackend(b, st, sim.Options{})
	var rt int64
	for b.Loop() {
		rt, _ = planRoundTrips(b, bk, srv, d)
	}
	b.ReportMetric(float64(rt), "round-trips")
	b.ReportMetric(float64(bound), "lower-bound")
	b.ReportMetric(float64(rt)/float64(bound), "ratio-to-bound")
}

// The client keeps under Graph's write quota: past the burst, writes are
// paced at 3,000 per 150 s instead of being sent to collect 429s.
func TestWritesArePacedUnderTheQuota(t *testing.T) {
	st, ids := writeState(60, 0)
	b, srv := simBackend(t, st, sim.Options{})
	b.writes = rate.NewLimiter(rate.Limit(float64(writeQuota)/writeQuotaWindow.Seconds()), 40)
	res := b.Apply(context.Background(), []entra.Op{{Kind: entra.OpAddMembers, GroupID: st.Groups[0].ID, IDs: ids}})
	if res[0].Err != nil || len(srv.Snapshot().Groups[0].Members) != 60 {
		t.Fatalf("apply: %v", res[0].Err)
	}
	// 3 PATCHes of 20 members: the limiter counts requests that write.
	if got := b.writes.Tokens(); got > 38 || got < 36 {
		t.Fatalf("limiter has %.1f tokens left, want about 37 (40 - 3 writes)", got)
	}
}

// Pacing never runs ahead of Graph: writes past the burst, with Graph's
// quotas on in the emulator, draw no 429 (the limiter's bucket starts
// refilling when a write leaves, Graph's when it arrives). Not in -short:
// it writes for about 6 s.
func TestPacedWritesAreNotThrottled(t *testing.T) {
	if testing.Short() {
		t.Skip("writes past the 3,000 burst at 20 a second")
	}
	const n = writeQuota + 100
	st, ids := writeState(n, n)
	b, srv := simBackend(t, st, sim.Options{Throttle: true})
	res := b.Apply(context.Background(), []entra.Op{{Kind: entra.OpRemoveMembers, GroupID: st.Groups[0].ID, IDs: ids}})
	if res[0].Err != nil || len(res[0].Failed) > 0 {
		t.Fatalf("apply: %v %v", res[0].Err, res[0].Failed)
	}
	if s := srv.Stats(); s.Writes != n || s.Throttled != 0 {
		t.Fatalf("%d writes, %d answered 429; want %d and none", s.Writes, s.Throttled, n)
	}
}

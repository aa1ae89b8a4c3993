package graph

import (
	"context"
	"testing"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/sim"
)

// targetedTenant is plannedTenant's 200 managed groups of 500 members and
// a new group of 4,000 members declared beside them.
func targetedTenant() (*sim.State, *model.Desired) {
	st, d, _ := plannedTenant()
	var users []string
	for _, u := range st.Users[:4000] {
		users = append(users, u.UserPrincipalName)
	}
	d.Groups["gnew"] = model.Group{DisplayName: "New", Kind: model.GroupSecurity, MailNickname: "gnew",
		Membership: &model.Membership{Mode: model.ModeFull, Users: users}}
	return st, d
}

// targetedBound is the fewest round trips a --target plan and apply of
// the new group can take. Plan: the group listing, the ownership records
// and the 4,000 users (the count and 11 pages of a listing of the 10,000:
// 12), with no members to read. Apply: the tenant check, create, a
// readable check, the marker and the 4,000 adds (10). (The CLI's lock adds
// two writes, outside apply.Run.)
func targetedBound() (plan, apply int) {
	return planBound(201, 10_000, 4000, 0, 1), 1 + 1 + 1 + 1 + addBound(4000)
}

func targetedRoundTrips(tb testing.TB) (planRT, applyRT int64, routes []sim.RouteStats) {
	st, d := targetedTenant()
	bk, srv := simBackend(tb, st, sim.Options{})
	srv.ResetStats()
	env := &plan.Env{Reader: bk, Desired: d, Options: plan.Options{Targets: []string{"groups.gnew"}}, Tenant: st.TenantID, Commit: "c2"}
	p, ds, err := plan.Make(context.Background(), env, plan.Groups{}, crosstenant.Partners{}, crosstenant.Default{}, crosstenant.SyncJobs{})
	if err != nil || ds.HasErrors() {
		tb.Fatalf("plan: %v %v", err, ds.Err())
	}
	if len(p.Groups) != 1 || p.Groups[0].Action != plan.Create || p.Groups[0].Members.After != 4000 {
		tb.Fatalf("plan: %+v", p.Summary)
	}
	planRT = srv.Stats().HTTPRequests
	routes = srv.Stats().Routes
	srv.ResetStats()
	rep, err := apply.Run(context.Background(), p, bk, apply.Options{})
	if err != nil || rep.Failed() {
		tb.Fatalf("apply: %v %+v", err, rep)
	}
	return planRT, srv.Stats().HTTPRequests, routes
}

// TestTargetedPlanRoundTrips: a --target plan of one new group reads
// nothing of the 200 untargeted groups (their members were 10 round trips
// of 25), and the plan alone, and plan and apply together, stay within
// 1.1 of the bound: the ownership records, the group listing and the
// user count share the first round trip.
func TestTargetedPlanRoundTrips(t *testing.T) {
	if testing.Short() {
		t.Skip("plans against 200 groups of 500 members")
	}
	planRT, applyRT, routes := targetedRoundTrips(t)
	pb, ab := targetedBound()
	for _, r := range routes {
		if r.Route == "GET /v1.0/groups/{id}/members" || r.Route == "GET /v1.0/groups/{id}/owners" {
			t.Errorf("the targeted plan read %d untargeted groups' %s", r.Count, r.Route)
		}
	}
	if ratio := float64(planRT) / float64(pb); ratio > 1.1 {
		t.Errorf("--target one new group of 4,000: plan %d round trips, bound %d (ratio %.2f > 1.1)", planRT, pb, ratio)
	}
	if ratio := float64(planRT+applyRT) / float64(pb+ab); ratio > 1.1 {
		t.Errorf("--target one new group of 4,000: plan %d + apply %d round trips, bound %d + %d (ratio %.2f > 1.1)", planRT, applyRT, pb, ab, ratio)
	}
}

func BenchmarkTargetedNewGroup4000(b *testing.B) {
	var planRT, applyRT int64
	for i := 0; i < b.N; i++ {
		planRT, applyRT, _ = targetedRoundTrips(b)
	}
	pb, ab := targetedBound()
	b.ReportMetric(float64(planRT), "plan-roundtrips")
	b.ReportMetric(float64(applyRT), "apply-roundtrips")
	b.ReportMetric(float64(planRT)/float64(pb), "plan-ratio-to-bound")
	b.ReportMetric(float64(planRT+applyRT)/float64(pb+ab), "ratio-to-bound")
}

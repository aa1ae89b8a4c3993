package graph

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/sim"
)

// The fault matrix: an apply interrupted after every possible write, run
// under random faults, and run while new objects replicate, converges
// within three re-runs to exactly the state a clean apply reaches, with
// no duplicate, missing or collateral change. make test runs it at small
// scale; ENTRASYNC_FAULT_SEEDS (make reliability) widens it.

// matrixState is a tenant with users in departments and one group made by
// hand that the configuration adopts, and one it must never touch.
func matrixState() *sim.State {
	st := scenarioState()
	for i, u := range st.Users {
		u.Properties = map[string]any{"department": []string{"Finance", "Finance", "Sales", "HR"}[i]}
	}
	st.Groups = append(st.Groups, &sim.Group{ID: "10000000-0000-4000-8000-000000000002", DisplayName: "Bystander",
		MailNickname: "bystander", SecurityEnabled: true, Members: []string{st.Users[3].ID}})
	return st
}

// matrixConfig creates two groups (one nesting the other, one following a
// filter, with an owner), and adopts the hand-made group.
func matrixConfig() *model.Desired {
	return &model.Desired{Tenant: model.Tenant{ID: "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"}, Configuration: "default", Groups: map[string]model.Group{
		"finance": {DisplayName: "Finance", Kind: model.GroupSecurity, MailNickname: "finance", Owners: []string{"a@contoso.com"},
			Membership: &model.Membership{Mode: model.ModeIncremental, Users: []string{"d@contoso.com"},
				From: []model.Source{{Users: "department eq 'Finance'"}}}},
		"all": {DisplayName: "All", Kind: model.GroupSecurity, MailNickname: "all",
			Membership: &model.Membership{Mode: model.ModeFull, Users: []string{"c@contoso.com"}, Groups: []string{"finance"}}},
		"vpn": {DisplayName: "VPN Users", Kind: model.GroupSecurity, MailNickname: "vpn-users", Adopt: "mailNickname",
			Membership: &model.Membership{Mode: model.ModeFull, Users: []string{"b@contoso.com", "d@contoso.com"}}},
	}}
}

// outcome describes a tenant without ids: every group by mailNickname
// (a duplicate shows twice) with its members and owners by name.
func outcome(srv *sim.Server) string {
	st := srv.Snapshot()
	name := map[string]string{}
	for _, u := range st.Users {
		name[strings.ToLower(u.ID)] = u.UserPrincipalName
	}
	for _, g := range st.Groups {
		name[strings.ToLower(g.ID)] = g.DisplayName
	}
	names := func(ids []string) string {
		var out []string
		for _, id := range ids {
			out = append(out, name[strings.ToLower(id)])
		}
		slices.Sort(out)
		return strings.Join(out, ",")
	}
	var lines []string
	for _, g := range st.Groups {
		lines = append(lines, fmt.Sprintf("%s %q members=[%s] owners=[%s] marked=%t", g.MailNickname, g.DisplayName,
			names(g.Members), names(g.Owners), g.Extensions["dev.entrasync"] != nil))
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

// runOnce plans and applies; it reports whether the plan had changes and
// what failed, and fails the test only on what must never happen.
func runOnce(t *testing.T, b *Backend, d *model.Desired) (changes bool, failure string) {
	t.Helper()
	ctx := context.Background()
	live, ds, err := plan.ReadLive(ctx, b, d, plan.Inputs{LastDeclared: plan.HistoryOf(func(string) (*model.Desired, bool, error) { return d, true, nil })})
	if err != nil {
		return true, "read: " + err.Error()
	}
	if ds.HasErrors() {
		t.Fatalf("the re-run refused the tenant an interrupted apply left: %v", ds.Err())
	}
	p, ds := plan.Compute(plan.Input{Desired: d, Live: live, Commit: "c1"}, plan.Options{})
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	if !p.HasChanges() {
		return false, ""
	}
	for _, c := range p.Groups {
		if c.Action != plan.NoOp {
			failure += fmt.Sprintf("[planned %s %s %v] ", c.Address, c.Action, c.Attributes)
		}
	}
	rep, err := apply.Run(ctx, p, b, apply.Options{ReadablePoll: 5 * time.Millisecond, ReadableTimeout: time.Minute})
	if err != nil {
		return true, failure + err.Error()
	}
	if rep.Failed() {
		return true, failure + fmt.Sprint(rep.Results)
	}
	return true, failure
}

// converge runs until a plan has no changes, at most 1+reruns applies.
func converge(t *testing.T, b *Backend, d *model.Desired, reruns int) (string, bool) {
	t.Helper()
	var failures []string
	for run := 0; run <= reruns+1; run++ {
		changes, failure := runOnce(t, b, d)
		if !changes {
			return "", true
		}
		if failure != "" {
			failures = append(failures, failure)
		}
	}
	return strings.Join(failures, "\n"), false
}

func reference(t *testing.T) (string, int64) {
	t.Helper()
	b, srv := simBackend(t, matrixState(), sim.Options{})
	if msg, ok := converge(t, b, matrixConfig(), 0); !ok {
		t.Fatalf("a clean apply did not converge: %s", msg)
	}
	return outcome(srv), srv.Stats().Writes
}

func TestFaultMatrixInterruptedAfterEveryWrite(t *testing.T) {
	want, writes := reference(t)
	for n := 1; n < int(writes); n++ {
		b, srv := simBackend(t, matrixState(), sim.Options{FailWritesAfter: n})
		runOnce(t, b, matrixConfig()) // interrupted after n writes
		zero := 0
		srv.Configure(sim.Config{FailWritesAfter: &zero})
		if msg, ok := converge(t, b, matrixConfig(), 3); !ok {
			t.Fatalf("interrupted after %d of %d writes: not converged after three re-runs:\n%s", n, writes, msg)
		}
		if got := outcome(srv); got != want {
			t.Fatalf("interrupted after %d of %d writes, the tenant differs from a clean apply:\n%s\nwant:\n%s", n, writes, got, want)
		}
	}
}

func TestFaultMatrixRandomFaults(t *testing.T) {
	want, _ := reference(t)
	rates := []float64{0.2}
	seeds := 3
	if n, err := strconv.Atoi(os.Getenv("ENTRASYNC_FAULT_SEEDS")); err == nil {
		rates, seeds = []float64{0.05, 0.1, 0.2}, n
	}
	for _, rate := range rates {
		for seed := 1; seed <= seeds; seed++ {
			b, srv := simBackend(t, matrixState(), sim.Options{FaultRate: rate, Seed: uint64(seed)})
			// Faults stay on through the re-runs.
			if msg, ok := converge(t, b, matrixConfig(), 3); !ok {
				t.Fatalf("rate %.2f seed %d: not converged within three re-runs:\n%s", rate, seed, msg)
			}
			if got := outcome(srv); got != want {
				t.Fatalf("rate %.2f seed %d: the tenant differs from a clean apply:\n%s\nwant:\n%s", rate, seed, got, want)
			}
		}
	}
}

// A replication window of up to 30 seconds, on a clock that moves with
// every request, so the test takes no real time for it.
func TestFaultMatrixReplicationLag(t *testing.T) {
	want, _ := reference(t)
	for _, lag := range []time.Duration{time.Second, 10 * time.Second, 30 * time.Second} {
		var mu sync.Mutex
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now = now.Add(time.Second)
			return now
		}
		b, srv := simBackend(t, matrixState(), sim.Options{ReplicationLag: lag, Now: clock})
		if msg, ok := converge(t, b, matrixConfig(), 0); !ok {
			t.Fatalf("lag %s: one apply did not converge:\n%s", lag, msg)
		}
		if got := outcome(srv); got != want {
			t.Fatalf("lag %s: the tenant differs from a clean apply:\n%s\nwant:\n%s", lag, got, want)
		}
	}
}

// A token that expires in the middle of an apply: a clear "not
// authorized", not an SDK message about error factories; no retries of a
// refused token; and a re-run with a valid one converges.
func TestFaultMatrixTokenExpiry(t *testing.T) {
	want, _ := reference(t)
	var b *Backend
	var srv *sim.Server
	var expired atomic.Bool
	b, srv = faultyWith(t, matrixState(), func(w http.ResponseWriter, r *http.Request) bool {
		if !expired.Load() {
			return false
		}
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", error_description="The token is expired"`)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}`))
		return true
	})
	ctx := context.Background()
	d := matrixConfig()
	live, _, err := plan.ReadLive(ctx, b, d, plan.Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := plan.Compute(plan.Input{Desired: d, Live: live, Commit: "c1"}, plan.Options{})
	expired.Store(true)
	rep, err := apply.Run(ctx, p, b, apply.Options{ReadablePoll: time.Millisecond})
	msg := fmt.Sprint(err)
	if rep != nil {
		msg += fmt.Sprint(rep.Results)
	}
	if !strings.Contains(msg, "graph answered 401: not authorized") || strings.Contains(msg, "error factory") {
		t.Fatalf("token expiry: %s", msg)
	}
	expired.Store(false)
	if msg, ok := converge(t, b, d, 3); !ok {
		t.Fatalf("not converged after the token was renewed:\n%s", msg)
	}
	if got := outcome(srv); got != want {
		t.Fatalf("the tenant differs from a clean apply:\n%s\nwant:\n%s", got, want)
	}
}

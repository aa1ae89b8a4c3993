package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/gitsrc"
	"github.com/entrasync/entrasync/internal/sim"
)

// TestKilledApplyConverges kills the apply process (SIGKILL: no deferred
// release, no flush) the moment the emulator has carried out its k-th
// write, k drawn at random among all the writes of the apply (the lock's
// included), so the client never hears the answer to the write that
// landed. It re-runs the apply until it succeeds,
// and requires the tenant to end exactly as after an uninterrupted apply:
// the same groups, members, owners and markers, no apply lock left, and a
// plan with no changes. The emulator runs in this process, so it outlives
// every kill and keeps whatever half-done work the client left.
//
// make reliability runs it with ENTRASYNC_KILL_RUNS=20 (seeded by the run
// number); make test does not, since each run builds nothing but takes a
// few seconds.
func TestKilledApplyConverges(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("ENTRASYNC_KILL_RUNS"))
	if runs == 0 {
		t.Skip("set ENTRASYNC_KILL_RUNS (make reliability)")
	}
	bin, repo, baseline := killSetup(t)
	var writes killer
	reference := serve(t, clone(t, baseline), &writes)
	mustRun(t, bin, reference.url, repo, "apply", "--auto-approve")
	want := canonical(reference.srv.Snapshot())
	total := int(writes.n.Load())
	t.Logf("an uninterrupted apply makes %d writes", total)

	for run := range runs {
		rng := rand.New(rand.NewPCG(uint64(run), 1))
		at := 1 + rng.IntN(total)
		k := &killer{at: int64(at)}
		s := serve(t, clone(t, baseline), k)
		cmd := command(bin, s.url, repo, "apply", "--auto-approve")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		k.kill(cmd.Process)
		_ = cmd.Wait()
		if !k.killed.Load() {
			t.Fatalf("run %d: the apply ended before its write %d", run, at)
		}
		reruns := 0
		for ; reruns < 5; reruns++ {
			if err := command(bin, s.url, repo, "apply", "--auto-approve").Run(); err == nil {
				break
			}
		}
		if reruns == 5 {
			out, _ := command(bin, s.url, repo, "apply", "--auto-approve").CombinedOutput()
			t.Fatalf("run %d (killed at write %d): five re-runs did not succeed:\n%s", run, at, out)
		}
		if out, err := command(bin, s.url, repo, "plan", "--detailed-exitcode").CombinedOutput(); err != nil {
			t.Fatalf("run %d (killed at write %d): the plan after the re-run is not empty (%v):\n%s", run, at, err, out)
		}
		if diff := cmp.Diff(want, canonical(s.srv.Snapshot())); diff != "" {
			t.Fatalf("run %d (killed at write %d): the tenant differs from an uninterrupted apply (-want +got):\n%s", run, at, diff)
		}
		t.Logf("run %d: killed at write %d of %d, converged after %d re-run(s)", run, at, total, reruns+1)
	}
}

// killer is the emulator's write log: it counts the writes carried out,
// and kills the process once the count reaches at.
type killer struct {
	at     int64
	n      atomic.Int64
	proc   atomic.Pointer[os.Process]
	killed atomic.Bool
}

func (k *killer) Write(p []byte) (int, error) {
	if n := k.n.Add(1); n == k.at {
		// The writer is called before the answer goes out: the client dies
		// not knowing its write landed.
		for k.proc.Load() == nil {
			time.Sleep(time.Millisecond)
		}
		k.killed.Store(k.proc.Load().Signal(syscall.SIGKILL) == nil)
	}
	return len(p), nil
}

func (k *killer) kill(p *os.Process) { k.proc.Store(p) }

// TestConcurrentApplies starts two applies of the same change at once,
// several times: one takes the lock, the other waits for it (--lock-wait),
// then plans against the changed tenant and finds nothing left to do. The
// tenant ends as after one apply.
func TestConcurrentApplies(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("ENTRASYNC_KILL_RUNS"))
	if runs == 0 {
		t.Skip("set ENTRASYNC_KILL_RUNS (make reliability)")
	}
	bin, repo, baseline := killSetup(t)
	reference := serve(t, clone(t, baseline), io.Discard)
	mustRun(t, bin, reference.url, repo, "apply", "--auto-approve")
	want := canonical(reference.srv.Snapshot())
	for run := range min(runs, 5) {
		s := serve(t, clone(t, baseline), io.Discard)
		var outs [2][]byte
		var errs [2]error
		var wg sync.WaitGroup
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = command(bin, s.url, repo, "apply", "--auto-approve", "--lock-wait", "1m").CombinedOutput()
			}()
		}
		wg.Wait()
		for i := range 2 {
			if errs[i] != nil {
				t.Fatalf("run %d: apply %d failed (%v):\n%s", run, i, errs[i], outs[i])
			}
		}
		noChanges := 0
		for i := range 2 {
			if strings.Contains(string(outs[i]), "No changes.") {
				noChanges++
			}
		}
		if noChanges != 1 {
			t.Fatalf("run %d: %d of the two applies found nothing to do, want 1:\n%s\n---\n%s", run, noChanges, outs[0], outs[1])
		}
		if diff := cmp.Diff(want, canonical(s.srv.Snapshot())); diff != "" {
			t.Fatalf("run %d: the tenant differs from one apply (-want +got):\n%s", run, diff)
		}
	}
}

// killSetup builds entrasync, writes a configuration repository with two
// commits, and returns the tenant with the first one applied.
func killSetup(t *testing.T) (bin, repo string, baseline *sim.State) {
	bin = filepath.Join(t.TempDir(), "entrasync")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	base := sim.Seed(sim.SeedOptions{Users: 400, Seed: 7})
	repo = t.TempDir()
	writeConfig(t, repo, base.TenantID, 0)
	if _, err := gitsrc.CommitAll(repo, "before", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	// The tenant after the first commit is applied: every run starts here.
	start := serve(t, base, io.Discard)
	mustRun(t, bin, start.url, repo, "apply", "--auto-approve")
	baseline = start.srv.Snapshot()
	writeConfig(t, repo, base.TenantID, 1)
	if _, err := gitsrc.CommitAll(repo, "after", time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}

	return bin, repo, baseline
}

type served struct {
	srv *sim.Server
	url string
}

// serve runs the emulator with a little latency, as a network has.
func serve(t *testing.T, st *sim.State, log io.Writer) served {
	srv, err := sim.NewServer(st, sim.Options{Latency: time.Millisecond, WriteLog: log})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return served{srv: srv, url: ts.URL + "/v1.0"}
}

func clone(t *testing.T, st *sim.State) *sim.State {
	data, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var out sim.State
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func command(bin, url, repo string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, append(args, "--dir", filepath.Join(repo, "cfg"), "--rev", "HEAD", "--graph-url", url)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "ENTRASYNC_ACCESS_TOKEN=", "AZURE_CLIENT_ID=")
	return cmd
}

func mustRun(t *testing.T, bin, url, repo string, args ...string) {
	t.Helper()
	if out, err := command(bin, url, repo, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// writeConfig declares twelve groups. Version 0 adopts nothing and creates
// g00–g07 with 60 members each; version 1 moves 10 members of each of
// those, drops g07's owner list, and creates g08–g11: creates, marks, adds,
// removes and marker moves, in every phase of an apply.
func writeConfig(t *testing.T, dir, tenant string, version int) {
	var b strings.Builder
	fmt.Fprintf(&b, "package cfg\n\ntenant: id: %q\n", tenant)
	groups := 8
	if version == 1 {
		groups = 12
	}
	for g := range groups {
		first := g * 25
		if version == 1 && g < 8 {
			first += 10
		}
		var users []string
		for u := first; u < first+60; u++ {
			users = append(users, fmt.Sprintf("%q", fmt.Sprintf("user%06d@contoso.com", u)))
		}
		fmt.Fprintf(&b, "groups: g%02d: {\n\tdisplayName: \"Group %02d\"\n\tmailNickname: \"g%02d\"\n", g, g, g)
		if g == 7 && version == 0 || g == 3 {
			fmt.Fprintf(&b, "\towners: [%q]\n", "user000399@contoso.com")
		}
		fmt.Fprintf(&b, "\tmembership: {\n\t\tmode: %q\n\t\tusers: [%s]\n\t}\n}\n", []string{"incremental", "full"}[g%2], strings.Join(users, ", "))
	}
	if err := os.MkdirAll(filepath.Join(dir, "cfg"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cfg", "groups.cue"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// canonical is what must match between two tenants: per group (by
// mailNickname) its attributes, member and owner names, and its extensions
// without the times and ids that differ from run to run; and the
// organization's extensions by name (no lock may be left).
func canonical(st *sim.State) map[string]any {
	upn := map[string]string{}
	for _, u := range st.Users {
		upn[u.ID] = u.UserPrincipalName
	}
	names := func(ids []string) []string {
		out := []string{}
		for _, id := range ids {
			out = append(out, upn[id])
		}
		slices.Sort(out)
		return out
	}
	out := map[string]any{}
	for _, g := range st.Groups {
		exts := map[string]any{}
		for name, props := range g.Extensions {
			p := map[string]any{}
			for k, v := range props {
				if k != "appliedAt" {
					p[k] = v
				}
			}
			exts[name] = p
		}
		out["group "+g.MailNickname] = map[string]any{"displayName": g.DisplayName, "members": names(g.Members),
			"owners": names(g.Owners), "extensions": exts}
	}
	var orgExts []string
	for name := range st.OrganizationExtensions {
		orgExts = append(orgExts, name)
	}
	slices.Sort(orgExts)
	out["organization extensions"] = orgExts
	return out
}

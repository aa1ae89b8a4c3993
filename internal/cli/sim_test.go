package cli_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/cli"
	"github.com/entrasync/entrasync/internal/sim"
)

// TestSimServe runs `entrasync sim serve` in-process: it prints the Graph
// URL, the authority URL and the CA file, serves the state, and saves
// changes back to the file when stopped.
func TestSimServe(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "tenant.json")
	if err := sim.SaveState(state, sim.Seed(sim.SeedOptions{Users: 10, Groups: 1, MembersPerGroup: 2, Seed: 1})); err != nil {
		t.Fatal(err)
	}
	// A state file only its owner may read stays so.
	if err := os.Chmod(state, 0o600); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- cli.Main(ctx, []string{"sim", "serve", "--state", state}, cli.Streams{In: strings.NewReader(""), Out: pw, Err: os.Stderr}, cli.Deps{})
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var out []string
	for len(out) < 3 && lines.Scan() {
		out = append(out, lines.Text())
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	if len(out) != 3 || !strings.HasPrefix(out[0], "http://127.0.0.1:") || !strings.HasSuffix(out[0], "/v1.0") ||
		!strings.HasPrefix(out[1], "https://127.0.0.1:") || out[2] != state+".ca.pem" {
		t.Fatalf("serve printed %q", out)
	}
	if _, err := os.Stat(out[2]); err != nil {
		t.Fatalf("CA file: %v", err)
	}
	// While it serves, an edit of the file would be saved over: refused,
	// saying where the server is, and the file is left as it was.
	before, _ := os.ReadFile(state)
	var stderr strings.Builder
	code := cli.Main(context.Background(), []string{"sim", "set-user", "--state", state, "--user", "user000001@contoso.com", "--set", "department=Sales"},
		cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}, cli.Deps{})
	if code != 1 || !strings.Contains(stderr.String(), "is held by `entrasync sim serve` (pid ") || !strings.Contains(stderr.String(), out[0]) {
		t.Fatalf("add-member while served: exit %d, %s", code, stderr.String())
	}
	if after, _ := os.ReadFile(state); string(after) != string(before) {
		t.Fatal("the refused edit changed the file")
	}
	resp, err := http.Post(out[0]+"/groups", "application/json",
		strings.NewReader(`{"displayName":"New","mailEnabled":false,"mailNickname":"new","securityEnabled":true}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := os.Stat(sim.HoldPath(state)); !os.IsNotExist(err) {
		t.Fatalf("the hold outlived the server: %v", err)
	}
	if info, _ := os.Stat(state); info.Mode().Perm() != 0o600 {
		t.Fatalf("saving changed the file's mode to %v", info.Mode().Perm())
	}
	st, err := sim.LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Groups) != 2 {
		t.Fatalf("saved state has %d groups, want 2", len(st.Groups))
	}
	data, _ := json.Marshal(st.Groups[1])
	if !strings.Contains(string(data), `"mailNickname":"new"`) {
		t.Fatalf("saved group: %s", data)
	}
}

// TestStaleHoldIsIgnored: a server killed before it could remove its hold
// does not block edits of the file forever.
func TestStaleHoldIsIgnored(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "tenant.json")
	if err := sim.SaveState(state, sim.Seed(sim.SeedOptions{Users: 10, Groups: 1, MembersPerGroup: 2, Seed: 1})); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sim.HoldPath(state), []byte(`{"pid":1,"url":"http://127.0.0.1:1/v1.0"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	code := cli.Main(context.Background(), []string{"sim", "set-user", "--state", state, "--user", "user000001@contoso.com", "--set", "department=Sales"},
		cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &stderr}, cli.Deps{})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}

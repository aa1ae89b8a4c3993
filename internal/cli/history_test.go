package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/gitsrc"
)

// TestHistoryLoadsEachVersionOnce: markers on 30 commits, of which only
// one changed the configuration (the others a README), cost two loads of
// the configuration, not 30; each commit still reads what it declared.
func TestHistoryLoadsEachVersionOnce(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"tenant.cue", "groups.cue"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "contoso", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var commits []string
	commit := func(msg string) {
		t.Helper()
		when = when.Add(time.Minute)
		c, err := gitsrc.CommitAll(dir, msg, when)
		if err != nil {
			t.Fatal(err)
		}
		commits = append(commits, c)
	}
	for i := range 30 {
		if i == 15 {
			groups := filepath.Join(dir, "groups.cue")
			data, _ := os.ReadFile(groups)
			data = append(data, []byte("\ngroups: \"history-test\": {displayName: \"History test\", mailNickname: \"history-test\"}\n")...)
			if err := os.WriteFile(groups, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, "README.md"), []byte(fmt.Sprint("revision ", i)), 0o644); err != nil {
			t.Fatal(err)
		}
		commit(fmt.Sprint("change ", i))
	}
	f := &planFlags{source: sourceFlags{dir: dir}}
	history := f.history()
	if history == nil {
		t.Fatal("no history")
	}
	need := map[string][]string{}
	for _, c := range commits {
		need[c] = []string{"history-test", "sg-finance"}
	}
	declared, err := history(need, func(int, int) {})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range commits {
		groups, ok := declared[c]
		if !ok {
			t.Fatalf("commit %d is unknown", i)
		}
		if _, declared := groups["history-test"]; declared != (i >= 15) {
			t.Errorf("commit %d: the group added at commit 15 is declared: %v", i, declared)
		}
		if len(groups) != 1+btoi(i >= 15) {
			t.Errorf("commit %d: %d groups kept, want only those asked", i, len(groups))
		}
	}
	if f.historyLoads != 2 {
		t.Errorf("%d loads for 30 commits of 2 configuration versions, want 2", f.historyLoads)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

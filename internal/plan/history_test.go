package plan_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// ReadLive asks the history once, with every commit the markers name and
// the groups wanted at each (renamed addresses and pending commits
// included), and reports its progress as a stage of its own.
func TestReadLiveAsksTheHistoryOnce(t *testing.T) {
	fake := entratest.New()
	alice := fake.AddUser("alice@contoso.com")
	d := &model.Desired{Tenant: model.Tenant{ID: tenantID}, Groups: map[string]model.Group{}}
	commits := []string{"c1", "c2", "c3"}
	for i := range 6 {
		key := fmt.Sprintf("g%d", i)
		m := &entra.Marker{Address: "groups." + key, Commit: commits[i%3], Mode: model.ModeIncremental,
			Sources: entra.SourcesNone, Owners: entra.OwnersNone, Tenant: tenantID, Origin: entra.OriginCreated}
		if i == 5 {
			m.Address, m.Renamed = "groups."+key, []string{"groups.old5"}
			m.Pending = []string{"c4"}
		}
		fake.AddGroup(entra.Group{DisplayName: key, MailNickname: key, Marker: m}, alice)
		d.Groups[key] = model.Group{DisplayName: key, MailNickname: key, Kind: model.GroupSecurity,
			Membership: &model.Membership{Mode: model.ModeIncremental, Users: []string{"alice@contoso.com"}}}
	}
	var asked []map[string][]string
	history := func(need map[string][]string, progress func(done, total int)) (plan.Declarations, error) {
		asked = append(asked, need)
		progress(len(need), len(need))
		out := plan.Declarations{}
		for commit, keys := range need {
			if commit == "c3" {
				continue // not in this clone
			}
			out[commit] = map[string]model.Group{}
			for _, k := range keys {
				out[commit][k] = d.Groups[k]
			}
		}
		return out, nil
	}
	var stages []string
	live, ds, err := plan.ReadLive(context.Background(), fake, d, plan.Inputs{LastDeclared: history,
		Progress: func(stage string, _, _ int) {
			if !slices.Contains(stages, stage) {
				stages = append(stages, stage)
			}
		}})
	if err != nil || ds.HasErrors() {
		t.Fatalf("read: %v %v", err, ds.Err())
	}
	if len(asked) != 1 {
		t.Fatalf("history asked %d times, want once", len(asked))
	}
	for commit, want := range map[string][]string{"c1": {"g0", "g3"}, "c2": {"g1", "g4"}, "c3": {"g2", "g5", "old5"}, "c4": {"g5", "old5"}} {
		got := slices.Sorted(slices.Values(asked[0][commit]))
		if !slices.Equal(got, want) {
			t.Errorf("asked of %s: %v, want %v", commit, got, want)
		}
	}
	if !slices.Contains(stages, "the configuration at applied commits") {
		t.Errorf("stages %v lack the history's", stages)
	}
	for key, missing := range map[string]string{"g0": "", "g1": "", "g2": "c3", "g5": "c3"} {
		_, found := live.Last[key]
		if got := live.LastMissing[key]; got != missing || found != (missing == "") {
			t.Errorf("%s: last declared %v, missing %q; want missing %q", key, found, got, missing)
		}
	}
}

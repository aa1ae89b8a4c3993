package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/gitsrc"
)

// The history of a configuration of histGroups groups with histRefs
// member references each, over histVersions commits that each changed
// one group; every group's marker sits on one of those commits, as after
// applies that each changed a few groups.
const histGroups, histRefs, histVersions = 2000, 50, 8

// writeHistory commits histVersions versions of the configuration and
// returns the commits.
func writeHistory(tb testing.TB, dir string) []string {
	tb.Helper()
	write := func(version int) {
		const files = 10
		for f := range files {
			var b strings.Builder
			b.WriteString("package cfg\n")
			if f == 0 {
				b.WriteString("tenant: id: \"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10\"\n")
			}
			for g := f * histGroups / files; g < (f+1)*histGroups/files; g++ {
				fmt.Fprintf(&b, "groups: \"g%05d\": {\n\tdisplayName: \"Group %d\"\n\tmembership: {\n\t\tmode: \"incremental\"\n\t\tusers: [", g, g)
				refs := histRefs
				if g < version { // version v changed groups 0..v-1
					refs++
				}
				for r := range refs {
					if r > 0 {
						b.WriteString(", ")
					}
					fmt.Fprintf(&b, "\"u%06d@contoso.com\"", (g*histRefs+r)%100000)
				}
				b.WriteString("]\n\t}\n}\n")
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("groups%02d.cue", f)), []byte(b.String()), 0o644); err != nil {
				tb.Fatal(err)
			}
		}
	}
	when := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var commits []string
	for v := range histVersions {
		write(v)
		when = when.Add(time.Minute)
		c, err := gitsrc.CommitAll(dir, fmt.Sprint("version ", v), when)
		if err != nil {
			tb.Fatal(err)
		}
		commits = append(commits, c)
	}
	return commits
}

func heapAfterGC() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkHistoryVersions asks the history for every group's declaration
// at its marker's commit, the markers spread over histVersions commits
// that each changed the configuration (the worst case: no two share a
// version). It reports the loads (one per version), the time against
// that many loads of one version, and the heap the answer keeps against
// the heap of one whole configuration: the history holds one
// configuration at a time and keeps only the groups asked.
func BenchmarkHistoryVersions(b *testing.B) {
	dir := b.TempDir()
	commits := writeHistory(b, dir)
	need := map[string][]string{}
	for g := range histGroups {
		c := commits[g%len(commits)]
		need[c] = append(need[c], fmt.Sprintf("g%05d", g))
	}
	repo, err := gitsrc.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	snap, err := repo.Read(commits[0], ".")
	if err != nil {
		b.Fatal(err)
	}
	before := heapAfterGC()
	start := time.Now()
	one := loadAt(snap)
	oneLoad := time.Since(start)
	oneHeap := heapAfterGC() - before
	if one == nil || len(one.Groups) != histGroups {
		b.Fatal("the configuration does not load")
	}
	runtime.KeepAlive(one)
	one = nil

	var loads int
	var took time.Duration
	var kept uint64
	for b.Loop() {
		f := &planFlags{source: sourceFlags{dir: dir}}
		before := heapAfterGC()
		start := time.Now()
		declared, err := f.history()(need, func(int, int) {})
		took = time.Since(start)
		kept = heapAfterGC() - before
		if err != nil || len(declared) != histVersions {
			b.Fatalf("%d versions declared, %v", len(declared), err)
		}
		runtime.KeepAlive(declared)
		loads = f.historyLoads
	}
	b.ReportMetric(float64(loads), "loads")
	b.ReportMetric(float64(histVersions), "versions")
	b.ReportMetric(took.Seconds()/(float64(histVersions)*oneLoad.Seconds()), "time-ratio-to-loads")
	b.ReportMetric(float64(kept)/1e6, "kept-MB")
	b.ReportMetric(float64(kept)/float64(oneHeap), "kept-ratio-to-one-config")
}

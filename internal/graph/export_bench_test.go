package graph

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/export"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/sim"
)

// BenchmarkExportL exports the L tenant (100,000 users, 5,000 groups of
// 200 members: 1,000,000 memberships) and reports its round trips against
// the bound and the peak heap growth while reading and rendering. The
// emulator runs in this process, so the peak includes what it allocates
// to answer; the export's own share is smaller.
func BenchmarkExportL(b *testing.B) {
	if testing.Short() {
		b.Skip("seeds a tenant of 100,000 users and 5,000 groups")
	}
	st := sim.Seed(sim.SeedOptions{Users: 100_000, Groups: 5_000, MembersPerGroup: 200, Devices: 100, Seed: 7})
	bk, srv := simBackend(b, st, sim.Options{})
	var rt, bound int64
	var peak uint64
	var size int
	for b.Loop() {
		srv.ResetStats()
		runtime.GC()
		stop := sampleHeap()
		snap, err := export.Read(context.Background(), bk, export.Options{Configuration: "default"})
		if err != nil {
			b.Fatal(err)
		}
		files, _, err := export.Render(snap, export.RenderOptions{Package: "config", Configuration: "default",
			Mode: model.ModeIncremental, GroupsFile: "groups.cue", TenantFile: "tenant.cue"})
		if err != nil {
			b.Fatal(err)
		}
		peak = max(peak, stop())
		rt, bound = srv.Stats().HTTPRequests, int64(snap.Bound())
		size = len(files[1].Data)
		if len(snap.Groups) != 5_000 {
			b.Fatalf("exported %d groups, want 5000", len(snap.Groups))
		}
	}
	b.ReportMetric(float64(rt), "round-trips")
	b.ReportMetric(float64(bound), "lower-bound")
	b.ReportMetric(float64(rt)/float64(bound), "ratio-to-bound")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(size)/(1<<20), "groups.cue-MB")
}

// sampleHeap samples the live heap every few milliseconds until the
// returned function is called, which returns the peak growth over the
// heap when sampling began.
func sampleHeap() func() uint64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		return peak.Load()
	}
}

package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/sim"
)

// The pattern of the seed scripts and most peers (PowerShell's
// New-MgGroupMember, Terraform's azuread_group_member, Microsoft365DSC's
// member loops): one POST members/$ref per member, one after another,
// sleeping Retry-After on a 429. Measured against the same emulator, with
// the same latency and Graph's throttling quotas, as entrasync's adds.

// peerLatency is each request's latency in the comparison: small, so the
// benchmark ends in about a minute; Graph's is tens of milliseconds, which
// widens the wall-time gap in entrasync's favour.
const peerLatency = 2 * time.Millisecond

// onePerMember adds the members one request each, and returns the round
// trips and how many answers were 429.
func onePerMember(tb testing.TB, base, group string, ids []string) (rt, throttled int) {
	c := &http.Client{Timeout: time.Minute}
	for _, id := range ids {
		for {
			body := `{"@odata.id":"` + base + `/directoryObjects/` + id + `"}`
			resp, err := c.Post(base+"/groups/"+group+"/members/$ref", "application/json", strings.NewReader(body))
			if err != nil {
				tb.Fatal(err)
			}
			resp.Body.Close()
			rt++
			if resp.StatusCode == http.StatusTooManyRequests {
				throttled++
				wait, _ := strconv.ParseFloat(resp.Header.Get("Retry-After"), 64)
				time.Sleep(time.Duration(wait * float64(time.Second)))
				continue
			}
			if resp.StatusCode != http.StatusNoContent {
				tb.Fatalf("POST members/$ref: %d", resp.StatusCode)
			}
			break
		}
	}
	return rt, throttled
}

type sideBySide struct {
	peerRT, peerThrottled, oursRT int
	peerWall, oursWall            time.Duration
}

var (
	compareOnce sync.Once
	compared    sideBySide
)

// compare4000 measures both once: the peer pattern takes about a minute
// (Graph's 3,000 writes per 150 s run out at the 3,000th request).
func compare4000(tb testing.TB) sideBySide {
	compareOnce.Do(func() {
		opts := sim.Options{Latency: peerLatency, Throttle: true}
		st, ids := writeState(4000, 0)
		srv, err := sim.NewServer(st, opts)
		if err != nil {
			tb.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		start := time.Now()
		compared.peerRT, compared.peerThrottled = onePerMember(tb, ts.URL+"/v1.0", st.Groups[0].ID, ids)
		compared.peerWall = time.Since(start)
		if n := len(srv.Snapshot().Groups[0].Members); n != 4000 {
			tb.Fatalf("the peer pattern added %d members", n)
		}

		st, ids = writeState(4000, 0)
		bk, srv := simBackend(tb, st, opts)
		srv.ResetStats()
		start = time.Now()
		res := bk.Apply(context.Background(), []entra.Op{{Kind: entra.OpAddMembers, GroupID: st.Groups[0].ID, IDs: ids}})
		compared.oursWall = time.Since(start)
		if res[0].Err != nil || len(res[0].Failed) > 0 || len(srv.Snapshot().Groups[0].Members) != 4000 {
			tb.Fatalf("apply: %v %v", res[0].Err, res[0].Failed)
		}
		compared.oursRT = int(srv.Stats().HTTPRequests)
	})
	return compared
}

// BenchmarkPeerOnePerMember4000 reports the peer pattern's round trips and
// wall time for 4,000 adds as ratios to entrasync's, measured in one run.
func BenchmarkPeerOnePerMember4000(b *testing.B) {
	var c sideBySide
	for i := 0; i < b.N; i++ {
		c = compare4000(b)
	}
	b.ReportMetric(float64(c.peerRT), "peer-round-trips")
	b.ReportMetric(float64(c.peerThrottled), "peer-429s")
	b.ReportMetric(float64(c.oursRT), "entrasync-round-trips")
	b.ReportMetric(float64(c.peerRT)/float64(c.oursRT), "round-trip-ratio")
	b.ReportMetric(c.peerWall.Seconds()/c.oursWall.Seconds(), "wall-time-ratio")
	b.Logf("4,000 adds at %v latency with Graph's quotas: one request per member %d round trips (%d answered 429) in %v; entrasync %d in %v",
		peerLatency, c.peerRT, c.peerThrottled, c.peerWall.Round(time.Millisecond), c.oursRT, c.oursWall.Round(time.Millisecond))
}

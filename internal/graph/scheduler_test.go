package graph

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/entrasync/entrasync/internal/entra"
)

// recordingSender answers every call 200 and records each batch, in the
// order they were sent, as the tags of its calls.
type recordingSender struct {
	mu      sync.Mutex
	batches [][]string
	tags    map[*call]string
	delay   time.Duration
}

func (r *recordingSender) send(_ context.Context, chunk []*call) ([]*call, float64, error) {
	r.mu.Lock()
	var tags []string
	for _, c := range chunk {
		tags = append(tags, r.tags[c])
	}
	r.batches = append(r.batches, tags)
	r.mu.Unlock()
	time.Sleep(r.delay)
	for _, c := range chunk {
		c.status = 200
	}
	return nil, 0, nil
}

func (r *recordingSender) calls(tag string, n int, m abstractions.HttpMethod) []*call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]*call, n)
	for i := range out {
		info := abstractions.NewRequestInformation()
		info.Method = m
		info.PathParameters = map[string]string{"baseurl": "https://graph.test/v1.0/groups"}
		out[i] = &call{info: info}
		r.tags[out[i]] = fmt.Sprintf("%s%d", tag, i)
	}
	return out
}

// TestReadersStartedTogetherShareBatches: two readers started together,
// one with a single request and one with 39, take two round trips, the
// single request riding in the first; a caller with few calls is served
// in turn beside one with many; a caller that creates is never mixed.
func TestReadersStartedTogetherShareBatches(t *testing.T) {
	for _, tc := range []struct {
		name string
		// sizes of the readers' submissions, and whether they create
		sizes   []int
		creates []bool
		batches int
		check   func(t *testing.T, batches [][]string)
	}{
		// Two batches for 40 requests: the lone one shared.
		{name: "one and 39", sizes: []int{1, 39}, batches: 2},
		{name: "five beside a hundred", sizes: []int{5, 100}, batches: 6, check: func(t *testing.T, bs [][]string) {
			// Batches are sent concurrently, so which went first is
			// unknown; the small reader's requests all went in one.
			for _, b := range bs {
				if contains(b, "r0-0") {
					for i := range 5 {
						if !contains(b, fmt.Sprintf("r0-%d", i)) {
							t.Errorf("the small reader's request %d waited for another batch: %v", i, bs)
						}
					}
				}
			}
		}},
		{name: "three lone requests", sizes: []int{1, 1, 1}, batches: 1},
		{name: "a creating caller is not mixed", sizes: []int{3, 3}, creates: []bool{true, false}, batches: 2, check: func(t *testing.T, bs [][]string) {
			for _, b := range bs {
				if contains(b, "r0-0") && contains(b, "r1-0") {
					t.Errorf("a create shared a batch with reads: %v", b)
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingSender{tags: map[*call]string{}, delay: time.Millisecond}
			s := &scheduler{send: rec.send, concurrency: 4}
			ctxs := entra.Together(context.Background(), len(tc.sizes))
			var wg sync.WaitGroup
			for i, n := range tc.sizes {
				m := abstractions.GET
				if tc.creates != nil && tc.creates[i] {
					m = abstractions.POST
				}
				calls := rec.calls(fmt.Sprintf("r%d-", i), n, m)
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer entra.Arrive(ctxs[i])
					// The readers do some work before their first request.
					time.Sleep(time.Duration(i) * 5 * time.Millisecond)
					if sub := s.run(ctxs[i], calls); sub.err != nil {
						t.Error(sub.err)
					}
					for _, c := range calls {
						if c.status != 200 {
							t.Errorf("a call was not answered")
						}
					}
				}()
			}
			wg.Wait()
			if len(rec.batches) != tc.batches {
				t.Fatalf("%d batches, want %d: %v", len(rec.batches), tc.batches, rec.batches)
			}
			if tc.check != nil {
				tc.check(t, rec.batches)
			}
		})
	}
}

// TestReaderThatNeverArrivesOnlyDelays: a reader of a group that issues
// nothing and never arrives holds the others' batch for at most MaxHold.
func TestReaderThatNeverArrivesOnlyDelays(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for entra.MaxHold")
	}
	rec := &recordingSender{tags: map[*call]string{}}
	s := &scheduler{send: rec.send, concurrency: 4}
	ctxs := entra.Together(context.Background(), 2)
	start := time.Now()
	if sub := s.run(ctxs[0], rec.calls("r", 1, abstractions.GET)); sub.err != nil {
		t.Fatal(sub.err)
	}
	if held := time.Since(start); held < entra.MaxHold/2 || held > 2*entra.MaxHold {
		t.Errorf("held %v, want about %v", held, entra.MaxHold)
	}
}

// TestCancelledCallerStopsWaiting: a caller whose context ends gets its
// error back without its queued calls being sent.
func TestCancelledCallerStopsWaiting(t *testing.T) {
	rec := &recordingSender{tags: map[*call]string{}, delay: 20 * time.Millisecond}
	s := &scheduler{send: rec.send, concurrency: 1}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	sub := s.run(ctx, rec.calls("r", 200, abstractions.GET))
	if !errors.Is(sub.err, context.Canceled) {
		t.Fatalf("err %v, want context.Canceled", sub.err)
	}
	if n := len(rec.batches); n > 2 {
		t.Errorf("%d batches sent after the caller gave up", n)
	}
}

func contains(tags []string, tag string) bool {
	for _, t := range tags {
		if t == tag {
			return true
		}
	}
	return false
}

// TestChainCarriesTheOtherReads: a listing read page after page (a
// count, then 3 pages) beside 50 other reads takes 4 round trips, the
// other reads riding with the pages, where sending them at once would
// take 6.
func TestChainCarriesTheOtherReads(t *testing.T) {
	rec := &recordingSender{tags: map[*call]string{}, delay: time.Millisecond}
	s := &scheduler{send: rec.send, concurrency: 4}
	ctxs := entra.Together(context.Background(), 2)
	fillers := rec.calls("f", 50, abstractions.GET)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer entra.Arrive(ctxs[0])
		ctx, ch := s.startChain(ctxs[0])
		defer s.endChain(ch)
		if sub := s.run(ctx, rec.calls("count", 1, abstractions.GET)); sub.err != nil {
			t.Error(sub.err)
		}
		s.setChain(ch, 3)
		for p := range 3 {
			if sub := s.run(ctx, rec.calls(fmt.Sprintf("page%d-", p), 1, abstractions.GET)); sub.err != nil {
				t.Error(sub.err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer entra.Arrive(ctxs[1])
		if sub := s.run(ctxs[1], fillers); sub.err != nil {
			t.Error(sub.err)
		}
	}()
	wg.Wait()
	if len(rec.batches) != 4 {
		t.Fatalf("%d round trips, want 4: %v", len(rec.batches), rec.batches)
	}
}

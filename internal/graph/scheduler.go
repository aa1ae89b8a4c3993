package graph

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
)

// scheduler packs the calls of every concurrent caller of one Backend into
// shared $batch round trips. Before it, each caller sent its own batches,
// so a user listing (one page at a time, 100 pages at 100,000 users) beside
// 10,000 member reads cost 100 round trips of one request each; now each
// page rides in a batch of member reads.
//
// A batch is filled round-robin from the callers with calls waiting, one
// call each in turn, so a caller with one call is never stuck behind one
// with thousands. A batch is sent as soon as a slot is free (at most
// concurrency in flight), unless a group of readers started together
// (entra.Together) has a reader yet to issue its first requests. A caller whose calls create objects is never mixed with
// another: such a batch is not sent again when it fails as a whole, and
// someone else's reads must not lose their retries to it.
//
// A listing read one page after another (a chain: each page's link is in
// the one before) sets the plan's pace: 100 pages are 100 round trips
// whatever else is read. So while a chain has pages to come, the other
// calls are held back as long as those pages can carry them all, 19 to a
// page, instead of taking round trips of their own beside it.
type scheduler struct {
	send        func(ctx context.Context, chunk []*call) ([]*call, float64, error)
	concurrency int

	mu       sync.Mutex
	waiting  []*submission // those with calls not yet sent, in arrival order
	next     int           // where the next round-robin fill starts
	inflight int
	gates    []*entra.Gate // groups that may still hold a part-filled batch
	chains   []*chain      // listings with pages still to come
}

// chain is a listing read page after page. left is the number of pages
// still to be sent, or -1 while unknown (its length is being counted).
type chain struct{ left int }

type chainKey struct{}

// startChain registers a listing whose pages will follow one another;
// calls made under the returned context are its pages. endChain must
// follow.
func (s *scheduler) startChain(ctx context.Context) (context.Context, *chain) {
	ch := &chain{left: -1}
	s.mu.Lock()
	s.chains = append(s.chains, ch)
	s.mu.Unlock()
	return context.WithValue(ctx, chainKey{}, ch), ch
}

// setChain records how many pages a chain has left to send.
func (s *scheduler) setChain(ch *chain, pages int) {
	s.mu.Lock()
	ch.left = pages
	s.dispatch()
	s.mu.Unlock()
}

// endChain releases what a chain was holding back.
func (s *scheduler) endChain(ch *chain) {
	s.mu.Lock()
	s.chains = slices.DeleteFunc(s.chains, func(c *chain) bool { return c == ch })
	s.dispatch()
	s.mu.Unlock()
}

// submission is one runBatches round: its calls, and what became of them.
type submission struct {
	ctx       context.Context
	pending   []*call
	exclusive bool
	chain     *chain // the listing these calls are pages of, if any
	unsent    int    // calls not yet answered or dropped
	done      chan struct{}

	// hooks serialises the calls' answered hooks, as they touch the
	// caller's state.
	hooks   sync.Mutex
	retry   []*call
	wait    float64
	lagging bool
	err     error
}

// run sends calls and waits for their answers: the calls to send again
// (429, 503, 504, replication lag), the longest Retry-After among them,
// whether any lagged, and the first whole-batch failure.
func (s *scheduler) run(ctx context.Context, calls []*call) *submission {
	sub := &submission{ctx: ctx, pending: slices.Clone(calls), unsent: len(calls), done: make(chan struct{}),
		exclusive: slices.ContainsFunc(calls, creates)}
	sub.chain, _ = ctx.Value(chainKey{}).(*chain)
	s.mu.Lock()
	if g := entra.GateOf(ctx); g != nil && !slices.Contains(s.gates, g) && g.Watch(s.poke) {
		s.gates = append(s.gates, g)
		// A reader that never arrives delays the others, never hangs them.
		time.AfterFunc(time.Until(g.Deadline()), s.poke)
	}
	if len(calls) == 0 {
		close(sub.done)
	} else {
		s.waiting = append(s.waiting, sub)
	}
	s.dispatch()
	s.mu.Unlock()
	entra.Arrive(ctx)
	stop := context.AfterFunc(ctx, func() { s.drop(sub) })
	<-sub.done
	stop()
	if sub.err == nil && ctx.Err() != nil {
		sub.err = ctx.Err()
	}
	return sub
}

// poke sends what a gate that opened was holding.
func (s *scheduler) poke() {
	s.mu.Lock()
	s.dispatch()
	s.mu.Unlock()
}

// hold reports whether a batch must wait: any, while a group of readers
// started together has one yet to arrive (a reader about to list page
// after page must be known before the others' reads are sent), and one
// without a page of a chain while the chains' pages to come can carry
// every call waiting.
func (s *scheduler) hold(chunk []*call, subs []*submission) bool {
	s.gates = slices.DeleteFunc(s.gates, (*entra.Gate).Open)
	if len(s.gates) > 0 {
		return true
	}
	if len(s.chains) == 0 || subs[0].exclusive || slices.ContainsFunc(subs, func(sub *submission) bool { return sub.chain != nil }) {
		return false
	}
	room := 0
	for _, ch := range s.chains {
		if ch.left < 0 {
			return true // as long as the count is not in, any room
		}
		room += (batchSize - 1) * ch.left
	}
	waiting := len(chunk)
	for _, sub := range s.waiting {
		if sub.chain == nil {
			waiting += len(sub.pending)
		}
	}
	return waiting <= room
}

// dispatch starts as many batches as slots allow. s.mu is held.
func (s *scheduler) dispatch() {
	for s.inflight < s.concurrency && len(s.waiting) > 0 {
		start := s.next
		chunk, subs := s.fill()
		if s.hold(chunk, subs) {
			s.unfill(chunk, subs, start)
			return
		}
		for _, sub := range subs {
			if sub.chain != nil && sub.chain.left > 0 {
				sub.chain.left--
			}
		}
		s.prune()
		s.inflight++
		go s.sendChunk(chunk, subs)
	}
}

// fill takes up to batchSize calls round-robin, one from each waiting
// submission in turn; subs[i] is the submission of chunk[i]. The caller
// prunes the emptied submissions, or unfills.
func (s *scheduler) fill() (chunk []*call, subs []*submission) {
	s.next %= len(s.waiting)
	if first := s.waiting[s.next]; first.exclusive {
		n := min(batchSize, len(first.pending))
		chunk = slices.Clone(first.pending[:n])
		first.pending = first.pending[n:]
		for range chunk {
			subs = append(subs, first)
		}
		s.next++
		return chunk, subs
	}
	// A chain's page first: the batch exists for it.
	for _, sub := range s.waiting {
		if sub.chain != nil && !sub.exclusive && len(sub.pending) > 0 && len(chunk) < batchSize {
			chunk = append(chunk, sub.pending[0])
			subs = append(subs, sub)
			sub.pending = sub.pending[1:]
		}
	}
	for len(chunk) < batchSize {
		took := false
		for i := range s.waiting {
			sub := s.waiting[(s.next+i)%len(s.waiting)]
			if sub.exclusive || len(sub.pending) == 0 || len(chunk) == batchSize {
				continue
			}
			chunk = append(chunk, sub.pending[0])
			subs = append(subs, sub)
			sub.pending = sub.pending[1:]
			took = true
		}
		if !took {
			break
		}
	}
	s.next++
	return chunk, subs
}

// unfill puts a chunk back where fill took it from, in order, and the
// round-robin where it was.
func (s *scheduler) unfill(chunk []*call, subs []*submission, start int) {
	for i := len(chunk) - 1; i >= 0; i-- {
		subs[i].pending = append([]*call{chunk[i]}, subs[i].pending...)
	}
	s.next = start
}

// prune forgets the submissions with nothing left to send.
func (s *scheduler) prune() {
	s.waiting = slices.DeleteFunc(s.waiting, func(sub *submission) bool { return len(sub.pending) == 0 })
}

// drop abandons the unsent calls of a submission whose context ended.
func (s *scheduler) drop(sub *submission) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(sub.pending) == 0 {
		return
	}
	sub.unsent -= len(sub.pending)
	sub.pending = nil
	s.prune()
	if sub.unsent == 0 {
		close(sub.done)
	}
}

// sendChunk sends one batch and hands each submission its answers.
func (s *scheduler) sendChunk(chunk []*call, subs []*submission) {
	ctx, cancel := jointContext(subs)
	again, after, err := s.send(ctx, chunk)
	cancel()
	count := map[*submission]int{}
	for i, c := range chunk {
		sub := subs[i]
		count[sub]++
		sub.hooks.Lock()
		switch {
		case err != nil:
			if sub.err == nil {
				sub.err = err
			}
		case slices.Contains(again, c):
			sub.retry = append(sub.retry, c)
			sub.wait = max(sub.wait, after)
			sub.lagging = sub.lagging || c.status == 400
		case c.answered != nil:
			c.answered()
		}
		sub.hooks.Unlock()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub, n := range count {
		sub.unsent -= n
		if sub.unsent == 0 && len(sub.pending) == 0 {
			close(sub.done)
		}
	}
	s.inflight--
	s.dispatch()
}

// jointContext is a context for a batch carrying the calls of several
// callers: it ends when every one of theirs has, and carries the first's
// values.
func jointContext(subs []*submission) (context.Context, context.CancelFunc) {
	var ctxs []context.Context
	for _, sub := range subs {
		if !slices.Contains(ctxs, sub.ctx) {
			ctxs = append(ctxs, sub.ctx)
		}
	}
	if len(ctxs) == 1 {
		return ctxs[0], func() {}
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctxs[0]))
	left := int64(len(ctxs))
	stops := make([]func() bool, len(ctxs))
	for i, c := range ctxs {
		stops[i] = context.AfterFunc(c, func() {
			if atomic.AddInt64(&left, -1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

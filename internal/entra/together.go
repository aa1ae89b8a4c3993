package entra

import (
	"context"
	"sync"
	"time"
)

// Readers that start at the same moment can share a round trip: a
// $batch carries twenty requests whoever issued them. A Reader that
// batches sends a batch as soon as it has one, though, so the first
// reader's one request would leave alone while the second is still
// building its own. Together tells the Reader to wait for all of them.

type gateKey struct{}

// gateMember is one reader's place in a Gate.
type gateMember struct {
	g     *Gate
	index int
}

// Gate is a group of readers started together. It is open once every
// reader has arrived: issued its first requests, or finished without any.
type Gate struct {
	mu       sync.Mutex
	arrived  []bool
	left     int
	created  time.Time
	watchers []func()
}

// Together returns n contexts, one for each of n readers the caller is
// about to start at once. A Reader holds its batches while a reader of
// the group has neither issued requests nor arrived, so the first
// requests of all n travel together, and each reader's first requests are
// known before any are sent. Each reader must call Arrive
// on its context when it is done (a deferred call is right): one that
// issued no request would otherwise hold the others' for MaxHold.
func Together(ctx context.Context, n int) []context.Context {
	g := &Gate{arrived: make([]bool, n), left: n, created: time.Now()}
	out := make([]context.Context, n)
	for i := range out {
		out[i] = context.WithValue(ctx, gateKey{}, gateMember{g: g, index: i})
	}
	return out
}

// MaxHold bounds how long a Gate holds a batch, so that a reader that
// forgot to arrive costs a delay, never a hang.
const MaxHold = 2 * time.Second

// Arrive marks the reader of ctx as arrived. It is idempotent, and does
// nothing for a context that Together did not make.
func Arrive(ctx context.Context) {
	m, ok := ctx.Value(gateKey{}).(gateMember)
	if !ok {
		return
	}
	g := m.g
	g.mu.Lock()
	if g.arrived[m.index] {
		g.mu.Unlock()
		return
	}
	g.arrived[m.index] = true
	g.left--
	var watchers []func()
	if g.left == 0 {
		watchers = g.watchers
		g.watchers = nil
	}
	g.mu.Unlock()
	for _, w := range watchers {
		w()
	}
}

// GateOf is the Gate of the group ctx belongs to, or nil.
func GateOf(ctx context.Context) *Gate {
	m, ok := ctx.Value(gateKey{}).(gateMember)
	if !ok {
		return nil
	}
	return m.g
}

// Open reports whether every reader has arrived, or the gate has held
// for MaxHold.
func (g *Gate) Open() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.left == 0 || time.Since(g.created) >= MaxHold
}

// Deadline is when the gate opens if its readers have not all arrived.
func (g *Gate) Deadline() time.Time { return g.created.Add(MaxHold) }

// Watch arranges for f to be called once, when the last reader arrives,
// and reports false, without calling f, if all have arrived already. f is
// called on the arriving reader's goroutine.
func (g *Gate) Watch(f func()) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.left == 0 {
		return false
	}
	g.watchers = append(g.watchers, f)
	return true
}

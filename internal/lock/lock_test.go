package lock

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
)

const cfg = "contoso-it"

var path = Path(entratest.FakeTenant, cfg)

// clock is a test clock that sleeping advances.
type clock struct {
	mu  sync.Mutex
	now time.Time
	// slept runs once per sleep, before the clock moves.
	slept func()
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Sleep(_ context.Context, d time.Duration) error {
	if c.slept != nil {
		c.slept()
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func holder(run string, pid int) Holder {
	return Holder{Run: run, User: "alice", Host: "runner-1", PID: pid}
}

func opts(c *clock, h Holder) Options {
	return Options{Now: c.Now, Sleep: c.Sleep, Holder: h, TTL: time.Hour, Alive: func(int) bool { return true }}
}

func newClock() *clock { return &clock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)} }

func TestAcquireRelease(t *testing.T) {
	f, c := entratest.New(), newClock()
	l, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, opts(c, holder("r1", 10)))
	if err != nil {
		t.Fatal(err)
	}
	d := f.Document(path)
	if d == nil || d["run"] != "r1" || d["until"] != "2026-11-24T11:00:00Z" {
		t.Fatalf("lock record = %v", d)
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := f.Document(path); d != nil {
		t.Fatalf("released lock is still there: %v", d)
	}
}

func TestHeldLock(t *testing.T) {
	tests := []struct {
		name string
		// other is the lock another run left.
		other Holder
		age   time.Duration // how long ago it was last renewed
		alive bool
		want  bool // whether this run takes it
	}{
		{"held and renewed", holder("r1", 10), time.Minute, true, false},
		{"lease ran out", holder("r1", 10), 2 * time.Hour, true, true},
		{"holder on this host is gone", holder("r1", 10), time.Minute, false, true},
		{"holder on another host cannot be asked", Holder{Run: "r1", Host: "runner-2", PID: 10}, time.Minute, false, false},
		{"unreadable lock is taken once nobody renews it", Holder{}, 2 * time.Hour, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, c := entratest.New(), newClock()
			first := opts(c, tt.other)
			if _, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, first); err != nil {
				t.Fatal(err)
			}
			c.now = c.now.Add(tt.age)
			o := opts(c, holder("r2", 20))
			o.Alive = func(int) bool { return tt.alive }
			l, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, o)
			if got := err == nil; got != tt.want {
				t.Fatalf("took the lock = %v, want %v (err %v)", got, tt.want, err)
			}
			if !tt.want {
				var held *HeldError
				if !errors.As(err, &held) || held.Holder.Run != "r1" || !errors.Is(err, ErrHeld) {
					t.Fatalf("err = %v, want a HeldError naming run r1", err)
				}
				if f.Document(path)["run"] != "r1" {
					t.Fatal("a refused run changed the lock")
				}
				return
			}
			if f.Document(path)["run"] != "r2" {
				t.Fatalf("lock = %v, want run r2", f.Document(path))
			}
			_ = l.Release(context.Background())
		})
	}
}

func TestWaitForRelease(t *testing.T) {
	f, c := entratest.New(), newClock()
	first, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, opts(c, holder("r1", 10)))
	if err != nil {
		t.Fatal(err)
	}
	sleeps := 0
	c.slept = func() {
		if sleeps++; sleeps == 3 {
			_ = first.Release(context.Background())
		}
	}
	o := opts(c, holder("r2", 20))
	o.Wait, o.Poll = time.Minute, 5*time.Second
	if _, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, o); err != nil {
		t.Fatalf("waiting run did not get the released lock: %v", err)
	}
	if sleeps != 3 {
		t.Fatalf("slept %d times, want 3", sleeps)
	}

	// A wait that runs out reports the holder, having polled until then.
	sleeps = 0
	c.slept = func() { sleeps++ }
	o = opts(c, holder("r3", 30))
	o.Wait, o.Poll = 12*time.Second, 5*time.Second
	if _, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, o); !errors.Is(err, ErrHeld) {
		t.Fatalf("err = %v, want ErrHeld", err)
	}
	if sleeps != 3 { // 5 s, 5 s, 2 s
		t.Fatalf("slept %d times, want 3", sleeps)
	}
}

// TestOneWinner races many runs for one lock: exactly one holds it.
func TestOneWinner(t *testing.T) {
	f, c := entratest.New(), newClock()
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := holder(string(rune('a'+i)), 100+i)
			if _, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, opts(c, h)); err == nil {
				won.Add(1)
			} else if !errors.Is(err, ErrHeld) {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d runs hold the lock, want 1", won.Load())
	}
}

func TestRenewal(t *testing.T) {
	f := entratest.New()
	o := Options{TTL: 50 * time.Millisecond, Holder: holder("r1", 10)}
	lost := make(chan error, 1)
	o.Lost = func(err error) { lost <- err }
	l, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	until := f.Document(path)["until"]
	renewed := f.Document(path)
	for wait := time.Now().Add(5 * time.Second); renewed["until"] == until; renewed = f.Document(path) {
		if time.Now().After(wait) {
			t.Fatal("the lease was not renewed")
		}
		time.Sleep(5 * time.Millisecond) // renewals come every 10 ms
	}
	// An update replaces an open extension whole: a renewal that sent
	// the new end alone would leave a lock that names nobody.
	if got := parse(renewed); got.Holder != holder("r1", 10) || got.Since.IsZero() {
		t.Fatalf("after renewal the lock reads %+v", got)
	}
	// Another run takes the lock over (as after this one stalled past
	// its lease): the next renewal gives the run up, and writes nothing.
	// A renewal already between its read and its write overwrites the
	// takeover (Graph has no conditional write on an extension); the run
	// that took over would then be the one to lose, so the takeover is
	// repeated until it lands between renewals.
	taken := parse(f.Document(path))
	taken.Holder = holder("r2", 20)
	deadline := time.After(5 * time.Second)
takeover:
	for {
		f.PutDocument(path, taken.fields())
		select {
		case err := <-lost:
			if !errors.Is(err, ErrLost) {
				t.Fatalf("lost with %v", err)
			}
			break takeover
		case <-time.After(30 * time.Millisecond):
		case <-deadline:
			t.Fatal("the run was not told it lost the lock")
		}
	}
	if err := l.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.Document(path)["run"] != "r2" {
		t.Fatal("release or renewal wrote over another run's lock")
	}
}

func TestAcquireFails(t *testing.T) {
	f, c := entratest.New(), newClock()
	f.Fail[entra.OpRequest] = map[string]error{"": errors.New("403 Authorization_RequestDenied")}
	_, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, opts(c, holder("r1", 10)))
	if err == nil || errors.Is(err, ErrHeld) {
		t.Fatalf("err = %v, want the refusal", err)
	}
}

// TestLostAnswerToOwnCreate: the create reached Graph but its answer was
// lost, and the retry was refused as a second one; the lock found is this
// run's own, so the run holds it rather than waiting on itself.
func TestLostAnswerToOwnCreate(t *testing.T) {
	f, c := entratest.New(), newClock()
	mine := holder("r1", 10)
	f.PutDocument(path, record{Holder: mine, Since: c.now, Until: c.now.Add(time.Hour)}.fields())
	l, err := Acquire(context.Background(), f, entratest.FakeTenant, cfg, opts(c, mine))
	if err != nil {
		t.Fatalf("the run waited on its own lock: %v", err)
	}
	_ = l.Release(context.Background())
	if f.Document(path) != nil {
		t.Fatal("the run did not release its lock")
	}
}

package lock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strconv"
	"sync"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
)

// Extension prefixes the name of a configuration's lock.
const Extension = "dev.entrasync.lock."

// Options shape acquiring and keeping the lock. Zero values take the
// defaults.
type Options struct {
	// TTL is how long a lease lasts without renewal (default 5 minutes);
	// it is renewed every TTL/5.
	TTL time.Duration
	// Wait is how long to wait for a lock another run holds before giving
	// up (default: give up at once).
	Wait time.Duration
	// Poll is the wait between attempts while waiting (default 2 s).
	Poll time.Duration
	// Now and Sleep stand in for the clock in tests.
	Now   func() time.Time
	Sleep func(context.Context, time.Duration) error
	// Holder describes this run; default: user, host and process id.
	Holder Holder
	// Alive reports whether a process of this host still runs; default:
	// ask the operating system.
	Alive func(pid int) bool
	// Lost is called, once, when a renewal finds that the lease is no
	// longer this run's (another run took it after this one stalled for
	// longer than the TTL): the caller stops writing.
	Lost func(error)
}

// Holder is who holds a lock.
type Holder struct {
	Run  string `json:"run"`
	User string `json:"user"`
	Host string `json:"host"`
	PID  int    `json:"pid"`
}

// String quotes what another run wrote: it is printed, and read from the
// tenant like any other name.
func (h Holder) String() string {
	return fmt.Sprintf("%q on %q (process %d, run %q)", h.User, h.Host, h.PID, h.Run)
}

// ThisProcess is the holder for the current process, with a new run id.
func ThisProcess() Holder {
	h := Holder{Run: newRun(), PID: os.Getpid(), User: "unknown", Host: "unknown"}
	if u, err := user.Current(); err == nil {
		h.User = u.Username
	}
	if host, err := os.Hostname(); err == nil {
		h.Host = host
	}
	return h
}

func newRun() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Lease is a lock held, renewed in the background until released.
type Lease struct {
	b    entra.Backend
	path string
	// name is the extension's name; in is the collection it is in.
	name, in string
	self     Holder
	since    time.Time
	o        Options
	stop     chan struct{}
	done     sync.WaitGroup
}

// HeldError says who holds the lock a run could not take.
type HeldError struct {
	Configuration string
	Holder        Holder
	Since, Until  time.Time
}

// ErrHeld matches a [HeldError].
var ErrHeld = errors.New("the configuration is being applied by another run")

func (e *HeldError) Error() string {
	return fmt.Sprintf("configuration %q is being applied by %s since %s; its lease runs until %s unless renewed. Nothing was changed: wait for that apply to finish, or pass --lock-wait to wait for it",
		e.Configuration, e.Holder, e.Since.UTC().Format(time.RFC3339), e.Until.UTC().Format(time.RFC3339))
}

func (e *HeldError) Unwrap() error { return ErrHeld }

// ErrLost is what [Options.Lost] is given.
var ErrLost = errors.New("the apply lock was taken by another run")

// Path is the lock's path in a tenant.
func Path(tenant, configuration string) string {
	return "organization/" + tenant + "/extensions/" + Extension + configuration
}

func collection(tenant string) string { return "organization/" + tenant + "/extensions" }

// record is the lock as its extension stores it.
type record struct {
	Holder
	Since, Until time.Time
}

func (r record) fields() map[string]any {
	return map[string]any{"run": r.Run, "user": r.User, "host": r.Host, "pid": r.PID,
		"since": r.Since.UTC().Format(time.RFC3339Nano), "until": r.Until.UTC().Format(time.RFC3339Nano)}
}

// parse reads a lock; a field that does not read leaves the lease expired
// (a lock nobody can interpret is taken over once nobody renews it, not
// kept forever).
func parse(d entra.Document) record {
	var r record
	r.Run, _ = d["run"].(string)
	r.User, _ = d["user"].(string)
	r.Host, _ = d["host"].(string)
	// A number, however the reader decoded it (float64, json.Number).
	if pid, err := strconv.ParseFloat(fmt.Sprint(d["pid"]), 64); err == nil {
		r.PID = int(pid)
	}
	for name, t := range map[string]*time.Time{"since": &r.Since, "until": &r.Until} {
		if s, ok := d[name].(string); ok {
			*t, _ = time.Parse(time.RFC3339Nano, s)
		}
	}
	return r
}

func (o *Options) defaults() {
	if o.TTL <= 0 {
		o.TTL = 5 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Holder.Run == "" {
		o.Holder = ThisProcess()
	}
	if o.Alive == nil {
		o.Alive = alive
	}
	if o.Lost == nil {
		o.Lost = func(error) {}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Acquire takes the configuration's lock in the tenant, waiting up to
// o.Wait while another run holds it, and renews it until Release.
func Acquire(ctx context.Context, b entra.Backend, tenant, configuration string, o Options) (*Lease, error) {
	o.defaults()
	l := &Lease{b: b, path: Path(tenant, configuration), name: Extension + configuration, in: collection(tenant),
		self: o.Holder, o: o, stop: make(chan struct{})}
	deadline := o.Now().Add(o.Wait)
	for {
		held, err := l.try(ctx)
		if err != nil {
			return nil, err
		}
		if held == nil {
			break
		}
		if !o.Now().Before(deadline) {
			return nil, &HeldError{Configuration: configuration, Holder: held.Holder, Since: held.Since, Until: held.Until}
		}
		if err := o.Sleep(ctx, min(o.Poll, deadline.Sub(o.Now()))); err != nil {
			return nil, err
		}
	}
	l.done.Add(1)
	go l.renew(ctx)
	return l, nil
}

// try creates the lock, taking over a stale one; it returns the lock
// another run holds, or nil when this run holds it now.
func (l *Lease) try(ctx context.Context) (*record, error) {
	for attempt := 0; attempt < 3; attempt++ {
		now := l.o.Now()
		mine := record{Holder: l.self, Since: now, Until: now.Add(l.o.TTL)}
		err := l.write(ctx, "POST", l.in, entra.OpenExtension(l.name, mine.fields()))
		if err == nil {
			l.since = now
			return nil, nil
		}
		if !errors.Is(err, entra.ErrConflict) {
			return nil, fmt.Errorf("taking the apply lock: %w", err)
		}
		current, found, err := l.read(ctx)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // released between the two requests
		}
		if current.Run == l.self.Run {
			// This run's own creation, whose answer was lost and whose
			// retry was refused as a second one.
			l.since = current.Since
			return nil, nil
		}
		if !l.stale(current, now) {
			return &current, nil
		}
		// Taken over: the creation after the delete is what decides
		// between two runs that both found the lock stale.
		if err := l.write(ctx, "DELETE", l.path, nil); err != nil {
			return nil, fmt.Errorf("taking over a stale apply lock of %s: %w", current.Holder, err)
		}
	}
	return nil, fmt.Errorf("taking the apply lock: it changed hands three times while this run tried; try again")
}

// stale reports whether a lock may be taken over: its lease ran out, or
// its holder was a process on this host that is gone.
func (l *Lease) stale(r record, now time.Time) bool {
	if !now.Before(r.Until) {
		return true
	}
	return r.Host == l.self.Host && r.PID > 0 && r.PID != l.self.PID && !l.o.Alive(r.PID)
}

func (l *Lease) read(ctx context.Context) (record, bool, error) {
	docs, err := l.b.Documents(ctx, []string{l.path})
	if err != nil {
		return record{}, false, fmt.Errorf("reading the apply lock: %w", err)
	}
	d, ok := docs[l.path]
	if !ok {
		return record{}, false, nil
	}
	return parse(d), true, nil
}

func (l *Lease) write(ctx context.Context, method, path string, body map[string]any) error {
	res := l.b.Apply(ctx, []entra.Op{{Kind: entra.OpRequest, Request: &entra.Request{Method: method, Path: path, Body: body}}})
	return res[0].Err
}

// renew extends the lease every TTL/5 until Release, after reading it
// back: a lease another run holds now is not written over.
func (l *Lease) renew(ctx context.Context) {
	defer l.done.Done()
	every := l.o.TTL / 5
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
		}
		current, found, err := l.read(ctx)
		if err != nil {
			continue // the next tick tries again; the lease has four more
		}
		if !found || current.Run != l.self.Run {
			l.o.Lost(fmt.Errorf("%w (now held by %s)", ErrLost, current.Holder))
			return
		}
		now := l.o.Now()
		next := record{Holder: l.self, Since: l.since, Until: now.Add(l.o.TTL)}
		// The whole record: an update replaces the extension, so one
		// that named the new end alone would erase the holder.
		_ = l.write(ctx, "PATCH", l.path, entra.OpenExtension(l.name, next.fields()))
	}
}

// Release stops renewing and deletes the lock if this run still holds it.
func (l *Lease) Release(ctx context.Context) error {
	close(l.stop)
	l.done.Wait()
	current, found, err := l.read(ctx)
	if err != nil {
		return err
	}
	if !found || current.Run != l.self.Run {
		return nil
	}
	if err := l.write(ctx, "DELETE", l.path, nil); err != nil {
		return fmt.Errorf("releasing the apply lock: %w", err)
	}
	return nil
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/entrasync/entrasync/internal/lock"
)

// lockFlags say how apply treats another apply of the same configuration.
type lockFlags struct {
	wait   time.Duration
	noLock bool
}

// closing is t, releasing first when it is closed.
func (t Tenant) closing(release func()) Tenant {
	closeTenant := t.Close
	t.Close = func() error {
		release()
		return closeTenant()
	}
	return t
}

// errLockLost cancels an apply whose lock another run took over.
var errLockLost = errors.New("apply stopped")

// holdLock takes the configuration's apply lock in the tenant, unless
// --no-lock. Losing it later (another run took it over after this one
// stalled past its lease) cancels the apply's context: the writes stop,
// and a re-run continues from what was written.
//
// The tenant id is the one openTenant already proved the tenant has.
func (a *app) holdLock(f lockFlags, cancel context.CancelCauseFunc) func(ctx context.Context, t Tenant, tenantID, configuration string) (func(), error) {
	return func(ctx context.Context, t Tenant, tenantID, configuration string) (func(), error) {
		if f.noLock {
			return func() {}, nil
		}
		l, err := lock.Acquire(ctx, t.Backend, tenantID, configuration, lock.Options{Wait: f.wait,
			Lost: func(err error) { cancel(fmt.Errorf("%w: %w", errLockLost, err)) }})
		var held *lock.HeldError
		switch {
		case errors.As(err, &held):
			return nil, err
		case err != nil:
			return nil, fmt.Errorf("%w (the lock is an open extension on the organization: the apply identity needs Organization.ReadWrite.All, or pass --no-lock where applies are already run one at a time); nothing was changed", err)
		}
		return func() {
			// The lock is released even when the apply's context ended.
			ctx, stop := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer stop()
			if err := l.Release(ctx); err != nil {
				fmt.Fprintf(a.stdio.Err, "warning: %v; its lease runs out by itself\n", err)
			}
		}, nil
	}
}

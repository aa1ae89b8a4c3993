// Command entrasync is the entrasync command line. It wires the real
// backends and signal handling; the commands live in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/entrasync/entrasync/internal/cli"
)

func main() {
	// Large tenants: a plan holds a few hundred megabytes live (an L tenant's
	// million memberships and configuration), and the collector's default
	// slack would double that. A soft limit makes it collect sooner instead;
	// it is soft, so a larger working set still runs. GOMEMLIMIT overrides.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit)
	}
	// The first signal cancels the context so a running command can stop
	// cleanly; a second one exits at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(cli.Main(ctx, os.Args[1:], cli.OSStreams(), cli.Deps{OpenTenant: openTenant}))
}

// defaultMemoryLimit is the soft memory limit: under 1 GiB with room for
// what the Go runtime keeps outside the heap.
const defaultMemoryLimit = 800 << 20

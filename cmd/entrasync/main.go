// Command entrasync is the entrasync command line. It wires the real
// backends and signal handling; the commands live in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/entrasync/entrasync/internal/cli"
)

func main() {
	// The first signal cancels the context so a running command can stop
	// cleanly; a second one exits at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	os.Exit(cli.Main(ctx, os.Args[1:], cli.OSStreams(), cli.Deps{OpenTenant: openTenant}))
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/entrasync/entrasync/internal/entra"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitError   = 1
	ExitChanges = 2
)

// Streams are the command's standard streams.
type Streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// OSStreams returns the process's streams.
func OSStreams() Streams { return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr} }

// Deps are what the commands need from outside, injected so tests can
// replace them.
type Deps struct {
	// Getenv reads the environment (NO_COLOR, GITHUB_ACTIONS, credentials).
	Getenv func(string) string
	// OpenTenant connects to a tenant. cmd/entrasync wires Microsoft Graph
	// and the emulator here, so this package never imports the Graph SDK.
	OpenTenant func(ctx context.Context, spec TenantSpec) (Tenant, error)
}

// TenantSpec says which tenant to connect to.
type TenantSpec struct {
	// Tenant is "sim:PATH" (the emulator on a state file), or the tenant
	// id or domain to authenticate against; empty uses the configuration's
	// tenant.id.
	Tenant string
	// GraphURL targets a Graph-compatible endpoint (the emulator in
	// another process); empty means Microsoft Graph.
	GraphURL string
	// ConfigTenant is the configuration's tenant.id.
	ConfigTenant string
	Getenv       func(string) string
}

// Tenant is a connected tenant.
type Tenant struct {
	Backend entra.Backend
	// Describe says what was connected to, for messages (no secrets).
	Describe string
	// Close releases the connection (the emulator saves its state).
	Close func() error
}

// exitCode carries an exit status whose explanation was already printed
// (diagnostics for 1) or that is not an error at all (2: changes present).
type exitCode struct {
	code int
}

func (e *exitCode) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// Main runs the command line and returns the process exit code.
func Main(ctx context.Context, args []string, stdio Streams, deps Deps) int {
	if deps.Getenv == nil {
		deps.Getenv = os.Getenv
	}
	root := newRoot(stdio, deps)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	var ec *exitCode
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ec):
		return ec.code
	default:
		fmt.Fprintf(stdio.Err, "entrasync: %v\n", err)
		return ExitError
	}
}

type app struct {
	stdio Streams
	deps  Deps
}

func newRoot(stdio Streams, deps Deps) *cobra.Command {
	a := &app{stdio: stdio, deps: deps}
	root := &cobra.Command{
		Use:   "entrasync",
		Short: "Declarative GitOps sync for Microsoft Entra ID",
		Long: `entrasync keeps Entra ID groups, memberships, SharePoint profile mappings and
cross-tenant policies in CUE files in Git, validates them, plans changes
against the tenant and applies them.`,
		Example: `  entrasync validate --dir config
  entrasync diff --from origin/main --to HEAD --dir config --format markdown`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.AddCommand(a.validateCmd(), a.diffCmd(), a.planCmd(), a.applyCmd(), a.schemaCmd(), a.simCmd(), a.versionCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = `  source <(entrasync completion bash)
  entrasync completion zsh > "${fpath[1]}/_entrasync"
  entrasync completion fish > ~/.config/fish/completions/entrasync.fish`
		}
	}
	return root
}

// colour reports whether to colour output: only on a terminal, and never
// when NO_COLOR is set (no-color.org).
func (a *app) colour() bool {
	return a.deps.Getenv("NO_COLOR") == "" && isTerminal(a.stdio.Out)
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/render"
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
	// SharePointURL receives SharePoint's tenant admin calls instead of
	// each mapping's adminUrl (the emulator); empty means SharePoint Online.
	SharePointURL string
	// ConfigTenant is the configuration's tenant.id.
	ConfigTenant string
	Getenv       func(string) string
}

// Tenant is a connected tenant.
type Tenant struct {
	Backend entra.Backend
	// SharePoint reaches SharePoint Online for profile mappings.
	SharePoint entra.SharePoint
	// Describe says what was connected to, for messages (no secrets).
	Describe string
	// Traffic reports the round trips and requests sent so far; nil when
	// the backend does not count them.
	Traffic func() entra.Traffic
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
	root, a := newRoot(stdio, deps)
	defer func() {
		if a.cancel != nil {
			a.cancel()
		}
	}()
	root.SetArgs(args)
	err := execute(ctx, root)
	a.finishSummary(err)
	var ec *exitCode
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ec):
		return ec.code
	default:
		fmt.Fprintf(stdio.Err, "entrasync: %s\n", errorText(err))
		return ExitError
	}
}

// errorText is an error as printed. An error can quote what Graph said,
// and Graph can echo names from the tenant: each line is cleaned of
// control characters and bidirectional overrides, as every name printed
// from the tenant is.
func errorText(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = render.Clean(l)
	}
	return strings.Join(lines, "\n")
}

// execute runs the command. A panic is a bug, never a reason to exit 2,
// which scripts read as "changes present": it is reported and exits 1.
func execute(ctx context.Context, root *cobra.Command) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	return root.ExecuteContext(ctx)
}

// DefaultTimeout bounds every command that talks to a tenant.
const DefaultTimeout = 2 * time.Hour

type app struct {
	stdio  Streams
	deps   Deps
	cancel context.CancelFunc // releases the --timeout context
	// summary collects the GitHub Actions job summary (nil elsewhere).
	summary *jobSummary
}

func newRoot(stdio Streams, deps Deps) (*cobra.Command, *app) {
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
	timeout := root.PersistentFlags().Duration("timeout", DefaultTimeout, "stop the command after this long (it reports what it did; a re-run continues)")
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		if *timeout > 0 {
			ctx, cancel := context.WithTimeout(cmd.Context(), *timeout)
			a.cancel = cancel
			cmd.SetContext(ctx)
		}
	}
	root.SetIn(stdio.In)
	root.SetOut(stdio.Out)
	root.SetErr(stdio.Err)
	root.AddCommand(a.validateCmd(), a.diffCmd(), a.planCmd(), a.applyCmd(), a.statusCmd(), a.exportCmd(), a.syncJobCmd(), a.schemaCmd(), a.simCmd(), a.githubCmd(), a.versionCmd())
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Example = `  source <(entrasync completion bash)
  entrasync completion zsh > "${fpath[1]}/_entrasync"
  entrasync completion fish > ~/.config/fish/completions/entrasync.fish`
		}
	}
	return root, a
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

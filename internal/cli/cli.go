package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"
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
	// Getenv reads the environment (NO_COLOR, GITHUB_ACTIONS, …).
	Getenv func(string) string
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
	root.AddCommand(a.validateCmd(), a.diffCmd(), a.schemaCmd(), a.simCmd(), a.versionCmd())
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
	if a.deps.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := a.stdio.Out.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

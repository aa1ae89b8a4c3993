package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/github"
	"github.com/entrasync/entrasync/internal/render"
)

type validateFlags struct {
	source sourceFlags
	rev    string // Git revision to read; "" reads the working tree.
	format string // text, json or github.
}

func (a *app) validateCmd() *cobra.Command {
	var f validateFlags
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check a configuration against the schema and entrasync's rules",
		Long: `validate loads the configuration's CUE package, unifies it with the embedded
schema and runs the semantic checks (unique mailNicknames, references that
resolve, no nesting cycles, filter and rule syntax, Graph limits). It needs no
tenant and no credentials. Every problem is reported with file:line:col.

Exit status: 0 valid (warnings allowed), 1 invalid.`,
		Example: `  entrasync validate --dir examples/contoso
  entrasync validate --dir config --rev origin/main
  entrasync validate --dir config --format github   # annotations in GitHub Actions`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runValidate(&f) },
	}
	f.source.register(cmd)
	cmd.Flags().StringVar(&f.rev, "rev", "", "Git revision to validate (branch, tag, HEAD~1, SHA); default: the working tree")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json or github")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "github"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runValidate(f *validateFlags) error {
	if err := oneOf("--format", f.format, "text", "json", "github"); err != nil {
		return err
	}
	a.beginSummary("validate", f.source.dir)
	l, err := f.source.load(f.rev)
	if err != nil {
		return err
	}
	if a.summary != nil {
		a.summary.diags = l.diags
		if !l.diags.HasErrors() {
			d := l.cfg.Desired
			a.summarize(func(w io.Writer) error {
				_, err := fmt.Fprintf(w, "### ✅ entrasync validate\n\n%s is valid: %d groups, %d profile mappings, %d partners, %d sync jobs.\n",
					github.InlineCode(f.source.dir), len(d.Groups), len(d.ProfileMappings), len(d.CrossTenant.Partners), len(d.CrossTenant.SyncJobs))
				return err
			})
		}
	}
	switch f.format {
	case "json":
		err = render.DiagnosticsJSON(a.stdio.Out, l.diags)
	case "github":
		err = render.DiagnosticsGitHub(a.stdio.Out, l.diags)
	default:
		if len(l.diags) > 0 {
			err = render.DiagnosticsText(a.stdio.Err, l.diags, render.Style{Color: a.colour()})
		}
		if err == nil && !l.diags.HasErrors() {
			n := len(l.cfg.Desired.Groups)
			_, err = fmt.Fprintf(a.stdio.Out, "Configuration is valid: %d groups, %d profile mappings, %d partners, %d sync jobs.\n",
				n, len(l.cfg.Desired.ProfileMappings), len(l.cfg.Desired.CrossTenant.Partners), len(l.cfg.Desired.CrossTenant.SyncJobs))
		}
	}
	if err != nil {
		return err
	}
	if l.diags.HasErrors() {
		return &exitCode{code: ExitError}
	}
	return nil
}

func oneOf(flag, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s %q: want one of %v", flag, v, allowed)
}

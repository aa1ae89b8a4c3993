package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/intent"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/render"
)

type diffFlags struct {
	source           sourceFlags
	from, to         string // Git revisions; an empty "to" is the working tree.
	format           string // text, markdown or json.
	detailedExitcode bool   // Exit 2 when the diff is not empty.
}

func (a *app) diffCmd() *cobra.Command {
	var f diffFlags
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what a change to the configuration declares, offline",
		Long: `diff compares the configuration at two revisions and shows, per address, the
objects added, removed and changed, with attribute diffs and the members,
owners and scope references added and removed. It reads only Git: no tenant,
no credentials, so a pull request from a fork can run it.

Both revisions must be valid configurations; diagnostics are printed otherwise.
Exit status: 0, or 2 with --detailed-exitcode when something changed; 1 on error.`,
		Example: `  entrasync diff --from origin/main --to HEAD --dir config
  entrasync diff --from HEAD~1 --dir config --format markdown > comment.md
  entrasync diff --from v1.2.0 --to main --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDiff(&f) },
	}
	f.source.register(cmd)
	cmd.Flags().StringVar(&f.from, "from", "", "base revision (required)")
	cmd.Flags().StringVar(&f.to, "to", "", "head revision (default: the working tree)")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, markdown or json")
	cmd.Flags().BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 2 when the diff is not empty")
	_ = cmd.MarkFlagRequired("from")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "markdown", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func (a *app) runDiff(f *diffFlags) error {
	if err := oneOf("--format", f.format, "text", "markdown", "json"); err != nil {
		return err
	}
	a.beginSummary("diff", f.source.dir)
	sides := make([]*model.Desired, 2)
	revs := make([]intent.Revision, 2)
	failed := false
	for i, rev := range []string{f.from, f.to} {
		l, err := f.source.load(rev)
		if err != nil {
			return err
		}
		revs[i] = intent.Revision{Rev: rev, Commit: l.commit}
		if l.absent && f.from != f.to {
			// No configuration on this side: everything is added (or removed).
			continue
		}
		if len(l.diags) > 0 {
			name := rev
			if name == "" {
				name = "the working tree"
			}
			fmt.Fprintf(a.stdio.Err, "In %s:\n", name)
			if err := render.DiagnosticsText(a.stdio.Err, l.diags, render.Style{Color: a.colour()}); err != nil {
				return err
			}
		}
		if a.summary != nil {
			a.summary.diags = append(a.summary.diags, l.diags...)
		}
		if l.diags.HasErrors() {
			failed = true
			continue
		}
		sides[i] = l.cfg.Desired
	}
	if failed {
		return &exitCode{code: ExitError}
	}
	d := intent.Compute(sides[0], sides[1], revs[0], revs[1])
	a.summarize(func(w io.Writer) error { return render.IntentMarkdown(w, d) })
	var err error
	switch f.format {
	case "json":
		err = render.IntentJSON(a.stdio.Out, d)
	case "markdown":
		err = render.IntentMarkdown(a.stdio.Out, d)
	default:
		err = render.IntentText(a.stdio.Out, d, render.Style{Color: a.colour()})
	}
	if err != nil {
		return err
	}
	if f.detailedExitcode && len(d.Changes) > 0 {
		return &exitCode{code: ExitChanges}
	}
	return nil
}

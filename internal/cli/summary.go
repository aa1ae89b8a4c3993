package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/github"
	"github.com/entrasync/entrasync/internal/render"
)

// jobSummary is what validate, diff, plan and apply put in the GitHub
// Actions job summary when they run in Actions: the command's Markdown, or
// its diagnostics and error when it failed. Workflows need not redirect
// anything into $GITHUB_STEP_SUMMARY themselves.
type jobSummary struct {
	command string // validate, diff, plan or apply
	dir     string
	md      strings.Builder
	diags   diag.Diagnostics
}

// beginSummary starts the job summary of a command, in Actions only.
func (a *app) beginSummary(command, dir string) {
	if env := github.EnvFrom(a.deps.Getenv); env.Actions && env.StepSummary != "" {
		a.summary = &jobSummary{command: command, dir: dir}
	}
}

// summarize adds Markdown written by render to the job summary, if any.
func (a *app) summarize(write func(io.Writer) error) {
	if a.summary == nil {
		return
	}
	if err := write(&a.summary.md); err != nil {
		fmt.Fprintf(a.stdio.Err, "warning: job summary: %v\n", err)
	}
	a.summary.md.WriteString("\n")
}

// summarizeText adds a refusal or error message, as text, to the job
// summary of a failed command.
func (a *app) summarizeText(msg string) {
	if a.summary == nil {
		return
	}
	fmt.Fprintf(&a.summary.md, "### ❌ entrasync %s failed for %s\n\n%s\n", a.summary.command, github.InlineCode(a.summary.dir), github.Fenced(cleanLines(msg)))
}

// cleanLines is render.Clean line by line, keeping the line breaks.
func cleanLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = render.Clean(l)
	}
	return strings.Join(lines, "\n")
}

// finishSummary writes the job summary once the command has ended with
// err. A failure without Markdown of its own gets a heading, the
// diagnostics and the error.
func (a *app) finishSummary(err error) {
	s := a.summary
	if s == nil {
		return
	}
	var ec *exitCode
	failed := err != nil && !(errors.As(err, &ec) && ec.code == ExitChanges)
	var b strings.Builder
	if failed && s.md.Len() == 0 {
		fmt.Fprintf(&b, "### ❌ entrasync %s failed for %s\n\n", s.command, github.InlineCode(s.dir))
	}
	b.WriteString(s.md.String())
	if len(s.diags) > 0 {
		b.WriteString("\n")
		_ = render.DiagnosticsMarkdown(&b, s.diags)
	}
	if failed && !errors.As(err, &ec) {
		b.WriteString("\n" + github.Fenced(cleanLines(err.Error())) + "\n")
	}
	if werr := github.EnvFrom(a.deps.Getenv).AppendSummary(b.String()); werr != nil && !errors.Is(werr, github.ErrNoSummary) {
		fmt.Fprintf(a.stdio.Err, "warning: %v\n", werr)
	}
}

package render

import (
	"fmt"
	"io"
	"strings"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/plan"
)

// applyCounts counts results by status.
func applyCounts(rep *apply.Report) map[apply.Status]int {
	counts := map[apply.Status]int{}
	for _, r := range rep.Results {
		counts[r.Status]++
	}
	return counts
}

// ApplyText prints one line per change apply made or tried, its errors and
// notes indented below it, and the totals.
func ApplyText(w io.Writer, rep *apply.Report) error {
	var b strings.Builder
	b.WriteString("\n")
	for _, r := range rep.Results {
		if r.Status == apply.Skipped {
			continue
		}
		fmt.Fprintf(&b, "%s %s: %s\n", r.Status, Clean(r.Address), r.Action)
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "    %s\n", Clean(n))
		}
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "    %s\n", Clean(e))
		}
	}
	c := applyCounts(rep)
	fmt.Fprintf(&b, "\nApply complete: %d succeeded, %d failed, %d unchanged.\n", c[apply.Success], c[apply.Failed], c[apply.Skipped])
	if rep.Failed() {
		b.WriteString("Re-run apply to retry the failed changes; completed ones are not repeated.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ApplyMarkdown writes an apply's outcome for a job summary or a pull
// request: the totals, a table of the changes made or tried, and their
// errors and notes. Everything read from the tenant is escaped.
func ApplyMarkdown(w io.Writer, p *plan.Plan, rep *apply.Report) error {
	var b strings.Builder
	c := applyCounts(rep)
	mark := "✅"
	if rep.Failed() {
		mark = "❌"
	}
	fmt.Fprintf(&b, "### %s entrasync apply\n\n", mark)
	fmt.Fprintf(&b, "Tenant %s", code(p.Tenant))
	if p.SourceCommit != "" {
		fmt.Fprintf(&b, ", commit %s", code(shortCommit(p.SourceCommit)))
	}
	fmt.Fprintf(&b, ": **%d succeeded, %d failed**, %d unchanged.\n", c[apply.Success], c[apply.Failed], c[apply.Skipped])
	if c[apply.Success]+c[apply.Failed] > 0 {
		b.WriteString("\n| | Address | Action | Result |\n|---|---|---|---|\n")
		for _, r := range rep.Results {
			if r.Status == apply.Skipped {
				continue
			}
			sym := "✅"
			if r.Status == apply.Failed {
				sym = "❌"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", sym, code(r.Address), md(string(r.Action)), r.Status)
		}
	}
	for _, r := range rep.Results {
		if len(r.Errors) == 0 && len(r.Notes) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", code(r.Address))
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- ❌ %s\n", md(e))
		}
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "- %s\n", md(n))
		}
	}
	if rep.Failed() {
		b.WriteString("\nRe-run the apply to retry the failed changes; completed ones are not repeated.\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortCommit is a commit hash as plans show it.
func shortCommit(c string) string { return c[:min(12, len(c))] }

package render

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/entrasync/entrasync/internal/plan"
)

// textMembersShown is how many members of a set the text view lists
// before it abbreviates; the JSON plan always has them all.
const textMembersShown = 20

// PlanText prints a plan in the +/~/- style of plan tools.
func PlanText(w io.Writer, p *plan.Plan, st Style) error {
	var b strings.Builder
	commit := p.SourceCommit
	if commit == "" {
		commit = "the working tree"
	} else {
		commit = "commit " + commit[:min(12, len(commit))]
		if p.Dirty {
			commit += " with uncommitted changes"
		}
	}
	fmt.Fprintf(&b, "entrasync plan for tenant %s at %s\n", p.Tenant, commit)
	if p.Options.Full {
		b.WriteString("Full membership sync requested (--full).\n")
	}
	for _, n := range p.Notes {
		fmt.Fprintf(&b, "%s %s\n", st.paint(ansiYellow, "!"), Clean(n))
	}
	changed := 0
	for _, c := range p.Groups {
		if c.Action == plan.NoOp && c.Undecided == "" && len(c.Notes) == 0 {
			continue
		}
		changed++
		sym, colour := planSymbol(c.Action)
		fmt.Fprintf(&b, "\n%s %s (%s)", st.paint(colour, sym), st.paint(ansiBold, Clean(c.Address)), c.Action)
		if c.ModeReason != "" && c.Members != nil {
			fmt.Fprintf(&b, " [%s]", Clean(c.ModeReason))
		}
		b.WriteByte('\n')
		if c.Permanent {
			fmt.Fprintf(&b, "    %s security groups are deleted permanently; Graph cannot restore them\n", st.paint(ansiRed, "!"))
		}
		for _, a := range c.Attributes {
			switch {
			case c.Action == plan.Create || a.Before == nil && a.After != nil:
				fmt.Fprintf(&b, "    %s %s = %s\n", st.paint(ansiGreen, "+"), a.Name, value(a.After))
			case c.Action == plan.Delete || a.After == nil:
				fmt.Fprintf(&b, "    %s %s = %s\n", st.paint(ansiRed, "-"), a.Name, value(a.Before))
			default:
				fmt.Fprintf(&b, "    %s %s: %s → %s\n", st.paint(ansiYellow, "~"), a.Name, value(a.Before), value(a.After))
			}
		}
		writeSet(&b, "members", c.Members, st)
		writeSet(&b, "owners", c.Owners, st)
		if r := c.Sources; r.Changes() {
			fmt.Fprintf(&b, "    %s sources record: %s\n", st.paint(ansiYellow, "~"), recordSummary(r))
		}
		if c.Undecided != "" {
			fmt.Fprintf(&b, "    %s removals not decided: %s\n", st.paint(ansiYellow+ansiBold, "!"), Clean(c.Undecided))
		}
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "    note: %s\n", Clean(n))
		}
		if c.Guard != "" {
			fmt.Fprintf(&b, "    %s removal guard: %s; apply stops unless --allow-mass-removal\n", st.paint(ansiRed+ansiBold, "!"), c.Guard)
		}
	}
	for _, c := range p.Objects {
		if c.Action == plan.NoOp && len(c.Notes) == 0 {
			continue
		}
		writeObject(&b, c, st)
	}
	if len(p.Orphans) > 0 {
		b.WriteString("\nNo longer declared, left alone because prune is off (--prune deletes them):\n")
		for _, o := range p.Orphans {
			fmt.Fprintf(&b, "    %s  %q (%s, %s)\n", Clean(o.Address), o.Name, o.Kind, Clean(o.ID))
		}
	}
	s := p.Summary
	switch {
	case !p.HasChanges() && s.Undecided > 0:
		fmt.Fprintf(&b, "\nNo changes to make, but the removals of %s could not be decided (above): the tenant may still hold members the configuration dropped.\n",
			plural(s.Undecided, "group", "groups"))
	case !p.HasChanges():
		b.WriteString("\nNo changes. The tenant matches the configuration.\n")
	default:
		fmt.Fprintf(&b, "\nPlan: %d to create, %d to update, %d to adopt, %d to delete; members +%d -%d; owners +%d -%d",
			s.Create, s.Update, s.Adopt, s.Delete, s.MembersAdd, s.MembersRemove, s.OwnersAdd, s.OwnersRemove)
		if s.ProfileValues > 0 {
			fmt.Fprintf(&b, "; profile values %d", s.ProfileValues)
		}
		b.WriteString(".\n")
	}
	if s.Undecided > 0 && p.HasChanges() {
		fmt.Fprintf(&b, "%s The removals of %s could not be decided (above).\n", st.paint(ansiYellow+ansiBold, "!"), plural(s.Undecided, "group", "groups"))
	}
	if s.Guards > 0 {
		fmt.Fprintf(&b, "%s %s would trip the removal guard.\n", st.paint(ansiRed+ansiBold, "!"), plural(s.Guards, "change", "changes"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeObject prints the change to a document object: each setting that
// changes, then each request apply will send.
func writeObject(b *strings.Builder, c plan.ObjectChange, st Style) {
	sym, colour := planSymbol(c.Action)
	fmt.Fprintf(b, "\n%s %s (%s)", st.paint(colour, sym), st.paint(ansiBold, Clean(c.Address)), c.Action)
	if c.Name != "" {
		fmt.Fprintf(b, " %s", Clean(c.Name))
	}
	b.WriteByte('\n')
	for _, f := range c.Fields {
		switch {
		case c.Action == plan.Create:
			fmt.Fprintf(b, "    %s %s = %s\n", st.paint(ansiGreen, "+"), Clean(f.Path), Clean(value(f.After)))
		case c.Action == plan.Delete:
			fmt.Fprintf(b, "    %s %s = %s\n", st.paint(ansiRed, "-"), Clean(f.Path), Clean(value(f.Before)))
		default:
			fmt.Fprintf(b, "    %s %s: %s → %s\n", st.paint(ansiYellow, "~"), Clean(f.Path), Clean(value(f.Before)), Clean(value(f.After)))
		}
	}
	if c.Import != nil {
		writeImport(b, c, st)
	}
	for _, s := range c.Steps {
		fmt.Fprintf(b, "    %s %s %s: %s\n", st.paint(ansiBold, "→"), s.Request.Method, Clean(s.Request.Path), Clean(s.What))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(b, "    note: %s\n", Clean(n))
	}
	if c.Guard != "" {
		fmt.Fprintf(b, "    %s guard: %s; apply stops unless --allow-mass-removal\n", st.paint(ansiRed+ansiBold, "!"), Clean(c.Guard))
	}
}

// recordSummary says what happens to a sources record.
func recordSummary(r *plan.SourcesRecord) string {
	var parts []string
	switch r.Action {
	case plan.Create:
		parts = append(parts, "create")
	case plan.Delete:
		parts = append(parts, "delete (no longer needed)")
	case plan.Update, plan.Adopt, plan.NoOp:
	}
	if s := r.Members; !s.Empty() {
		parts = append(parts, fmt.Sprintf("+%d -%d", len(s.Add), len(s.Remove)))
	}
	if r.Rebind {
		parts = append(parts, "follows the key rename")
	}
	return strings.Join(parts, ", ")
}

func writeSet(b *strings.Builder, name string, s *plan.SetChange, st Style) {
	if s.Empty() {
		return
	}
	fmt.Fprintf(b, "    %s: +%d -%d (%d → %d)\n", name, len(s.Add), len(s.Remove), s.Live, s.After)
	list := func(sym, colour string, ms []plan.Member) {
		for i, m := range ms {
			if i == textMembersShown {
				fmt.Fprintf(b, "        … and %d more (the JSON plan lists all)\n", len(ms)-i)
				return
			}
			fmt.Fprintf(b, "        %s %s\n", st.paint(colour, sym), memberLabel(m))
		}
	}
	list("+", ansiGreen, s.Add)
	list("-", ansiRed, s.Remove)
}

func memberLabel(m plan.Member) string {
	switch {
	case m.Address != "":
		return fmt.Sprintf("%s (group %s, created by this plan)", Clean(m.Name), Clean(m.Address))
	case m.Type == "user":
		return Clean(m.Name)
	}
	return fmt.Sprintf("%s (%s)", Clean(m.Name), Clean(string(m.Type)))
}

func planSymbol(a plan.Action) (string, string) {
	switch a {
	case plan.Create:
		return "+", ansiGreen
	case plan.Update, plan.Adopt:
		return "~", ansiYellow
	case plan.Delete:
		return "-", ansiRed
	case plan.NoOp:
		return " ", ""
	}
	return "?", ""
}

// PlanJSON writes the plan artifact that `apply plan.json` reads.
func PlanJSON(w io.Writer, p *plan.Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(p)
}

// MarkdownBudget is the largest comment PlanMarkdown writes; GitHub
// refuses comments over 65,536 characters.
const MarkdownBudget = 60_000

// markdownMembersShown members are listed per set before the rest fold
// into <details>.
const markdownMembersShown = 10

//go:embed templates/plan.md.tmpl
var planMarkdown string

var planTemplate = template.Must(template.New("plan.md").Funcs(template.FuncMap{
	"symbol": func(a plan.Action) string { s, _ := planSymbol(a); return s },
	"value":  value,
	"member": memberLabel,
	"head": func(ms []plan.Member) []plan.Member {
		return ms[:min(len(ms), markdownMembersShown)]
	},
	"tail": func(ms []plan.Member) []plan.Member {
		return ms[min(len(ms), markdownMembersShown):]
	},
	"short":          shortCommit,
	"md":             md,
	"code":           code,
	"record":         recordSummary,
	"importSummary":  importSummary,
	"importProblems": importProblems,
	"importAction":   importAction,
	"profileChanges": func(imp *plan.ProfileImport) []string {
		var out []string
		for i, c := range profileChanges(imp) {
			if i == markdownMembersShown*5 {
				out = append(out, "… and more (the JSON plan lists every record)")
				break
			}
			out = append(out, c.String())
		}
		return out
	},
	"changed": func(p *plan.Plan) []plan.GroupChange {
		var out []plan.GroupChange
		for _, c := range p.Groups {
			if c.Action != plan.NoOp || c.Undecided != "" || len(c.Notes) > 0 {
				out = append(out, c)
			}
		}
		return out
	},
	"objects": func(p *plan.Plan) []plan.ObjectChange {
		var out []plan.ObjectChange
		for _, c := range p.Objects {
			if c.Action != plan.NoOp || len(c.Notes) > 0 {
				out = append(out, c)
			}
		}
		return out
	},
	"count": func(s *plan.SetChange) string {
		if s.Empty() {
			return ""
		}
		return fmt.Sprintf("+%d −%d", len(s.Add), len(s.Remove))
	},
}).Parse(planMarkdown))

// PlanMarkdown writes the pull-request comment: a summary table, then per
// group its changes with the first members listed and the rest folded. It
// stays within MarkdownBudget, cutting whole groups and saying so.
func PlanMarkdown(w io.Writer, p *plan.Plan, artifact string) error {
	var buf bytes.Buffer
	if err := planTemplate.Execute(&buf, struct {
		*plan.Plan
		Artifact string
	}{p, artifact}); err != nil {
		return err
	}
	out := buf.String()
	if len(out) > MarkdownBudget {
		// Cut before a group's block, never inside one (blocks nest a
		// <details> for long member lists).
		cut := strings.LastIndex(out[:MarkdownBudget-400], "\n<details><summary><code>")
		if cut < 0 {
			cut = MarkdownBudget - 400
		}
		out = out[:cut] + fmt.Sprintf("\n\n> **Truncated**: this plan is longer than a comment can hold. The complete plan is in %s.\n", artifactName(artifact))
	}
	_, err := io.WriteString(w, out)
	return err
}

func artifactName(a string) string {
	if a == "" {
		return "the JSON plan (`entrasync plan --out plan.json`)"
	}
	return a
}

package render

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/template"

	"github.com/entrasync/entrasync/internal/intent"
)

// IntentText prints an intent diff in the +/~/- style of plan tools.
func IntentText(w io.Writer, d *intent.Diff, st Style) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Declared changes from %s to %s:\n", revLabel(d.From), revLabel(d.To))
	if len(d.Changes) == 0 {
		b.WriteString("\nNo declared changes.\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	for _, c := range d.Changes {
		sym, colour := symbol(c.Action)
		fmt.Fprintf(&b, "\n%s %s %s\n", st.paint(colour, sym), st.paint(ansiBold, c.Address.String()), c.Action)
		for _, a := range c.Attributes {
			switch {
			case a.Before == nil:
				fmt.Fprintf(&b, "    %s %s = %s\n", st.paint(ansiGreen, "+"), a.Path, value(a.After))
			case a.After == nil:
				fmt.Fprintf(&b, "    %s %s = %s\n", st.paint(ansiRed, "-"), a.Path, value(a.Before))
			default:
				fmt.Fprintf(&b, "    %s %s: %s → %s\n", st.paint(ansiYellow, "~"), a.Path, value(a.Before), value(a.After))
			}
		}
		for _, r := range c.References {
			for _, x := range r.Added {
				fmt.Fprintf(&b, "    %s %s: %s\n", st.paint(ansiGreen, "+"), r.List, x)
			}
			for _, x := range r.Removed {
				fmt.Fprintf(&b, "    %s %s: %s\n", st.paint(ansiRed, "-"), r.List, x)
			}
		}
	}
	added, changed, removed := d.Summary()
	fmt.Fprintf(&b, "\n%d to add, %d to change, %d to remove.\n", added, changed, removed)
	_, err := io.WriteString(w, b.String())
	return err
}

func symbol(a intent.Action) (string, string) {
	switch a {
	case intent.Added:
		return "+", ansiGreen
	case intent.Removed:
		return "-", ansiRed
	case intent.Changed:
		return "~", ansiYellow
	}
	return "?", ""
}

func revLabel(r intent.Revision) string {
	if r.Commit != "" && r.Commit != r.Rev && !strings.HasPrefix(r.Commit, r.Rev) {
		return fmt.Sprintf("%s (%s)", r.Rev, r.Commit[:min(12, len(r.Commit))])
	}
	if r.Rev == "" {
		return "the working tree"
	}
	return r.Rev
}

// value renders an attribute value compactly: strings quoted, the rest as JSON.
func value(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(data)
}

// IntentJSON prints the diff as indented JSON.
func IntentJSON(w io.Writer, d *intent.Diff) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

//go:embed templates/intent.md.tmpl
var intentMarkdown string

var intentTemplate = template.Must(template.New("intent.md").Funcs(template.FuncMap{
	"rev":   revLabel,
	"value": value,
	"summary": func(d *intent.Diff) [3]int {
		a, c, r := d.Summary()
		return [3]int{a, c, r}
	},
	"symbol": func(a intent.Action) string { s, _ := symbol(a); return s },
}).Parse(intentMarkdown))

// IntentMarkdown prints the diff for a pull-request comment.
func IntentMarkdown(w io.Writer, d *intent.Diff) error {
	var buf bytes.Buffer
	if err := intentTemplate.Execute(&buf, d); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

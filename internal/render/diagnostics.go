package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
)

// DiagnosticsText prints diagnostics as "file:line:col: path: summary",
// with related positions indented below, then a count line.
func DiagnosticsText(w io.Writer, ds diag.Diagnostics, st Style) error {
	var b strings.Builder
	errs, warns := 0, 0
	for _, d := range ds {
		label := st.paint(ansiRed+ansiBold, "error")
		if d.Severity == diag.Warning {
			label = st.paint(ansiYellow+ansiBold, "warning")
			warns++
		} else {
			errs++
		}
		if d.Subject != nil {
			fmt.Fprintf(&b, "%s: ", d.Subject)
		}
		fmt.Fprintf(&b, "%s: ", label)
		if d.Path != "" {
			fmt.Fprintf(&b, "%s: ", d.Path)
		}
		b.WriteString(d.Summary)
		b.WriteByte('\n')
		if d.Detail != "" {
			for _, line := range strings.Split(d.Detail, "\n") {
				fmt.Fprintf(&b, "    %s\n", line)
			}
		}
		for _, r := range d.Related {
			fmt.Fprintf(&b, "    see %s\n", r)
		}
	}
	if errs+warns > 0 {
		fmt.Fprintf(&b, "%s, %s\n", plural(errs, "error", "errors"), plural(warns, "warning", "warnings"))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// diagnosticsDoc is the JSON form of a validation result.
type diagnosticsDoc struct {
	FormatVersion string           `json:"format_version"`
	Valid         bool             `json:"valid"`
	ErrorCount    int              `json:"error_count"`
	WarningCount  int              `json:"warning_count"`
	Diagnostics   diag.Diagnostics `json:"diagnostics"`
}

// DiagnosticsJSON prints a validation result as JSON.
func DiagnosticsJSON(w io.Writer, ds diag.Diagnostics) error {
	doc := diagnosticsDoc{FormatVersion: "1", Valid: !ds.HasErrors(), Diagnostics: ds}
	if doc.Diagnostics == nil {
		doc.Diagnostics = diag.Diagnostics{}
	}
	for _, d := range ds {
		if d.Severity == diag.Error {
			doc.ErrorCount++
		} else {
			doc.WarningCount++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}

// DiagnosticsGitHub prints GitHub Actions workflow commands
// (::error file=…,line=…,col=…::message), which GitHub shows as
// annotations on the pull request's files. File names in diagnostics are
// already relative to the repository root, as GitHub needs.
func DiagnosticsGitHub(w io.Writer, ds diag.Diagnostics) error {
	var b strings.Builder
	for _, d := range ds {
		cmd := "error"
		if d.Severity == diag.Warning {
			cmd = "warning"
		}
		var props []string
		if r := d.Subject; r != nil {
			props = append(props, "file="+escapeProperty(r.Filename),
				fmt.Sprintf("line=%d", r.Start.Line), fmt.Sprintf("col=%d", r.Start.Column))
			if r.End.Line > 0 && (r.End.Line != r.Start.Line || r.End.Column != r.Start.Column) {
				props = append(props, fmt.Sprintf("endLine=%d", r.End.Line), fmt.Sprintf("endColumn=%d", r.End.Column))
			}
		}
		if d.Path != "" {
			props = append(props, "title="+escapeProperty(d.Path))
		}
		b.WriteString("::" + cmd)
		if len(props) > 0 {
			b.WriteString(" " + strings.Join(props, ","))
		}
		b.WriteString("::" + escapeData(d.Summary) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// escapeData and escapeProperty follow the runner's escaping rules
// (actions/toolkit packages/core/src/command.ts).
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// DiagnosticsMarkdown writes diagnostics as a Markdown table for a job
// summary or a comment: severity, position and message, escaped.
func DiagnosticsMarkdown(w io.Writer, ds diag.Diagnostics) error {
	if len(ds) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("| | Position | Problem |\n|---|---|---|\n")
	for _, d := range ds {
		sym := "❌"
		if d.Severity == diag.Warning {
			sym = "⚠️"
		}
		pos := ""
		if d.Subject != nil {
			pos = code(d.Subject.String())
		}
		msg := d.Summary
		if d.Path != "" {
			msg = d.Path + ": " + msg
		}
		cell := md(msg)
		if d.Detail != "" {
			for _, line := range strings.Split(d.Detail, "\n") {
				cell += "<br>" + md(line)
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", sym, pos, cell)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

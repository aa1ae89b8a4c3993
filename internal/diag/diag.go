package diag

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity says whether a diagnostic stops the run.
type Severity int

const (
	// Error diagnostics make the command fail with exit code 1.
	Error Severity = iota
	// Warning diagnostics are shown but do not fail the command.
	Warning
)

// String returns "error" or "warning".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return fmt.Sprintf("Severity(%d)", int(s))
}

// MarshalText renders the severity as its name in JSON output.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Pos is a position in a source file. Line and Column are 1-based; Column
// counts bytes, as CUE and Go do. Byte is the 0-based offset.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Range is a span of a source file. Filename is relative to the
// configuration repository's root, with forward slashes.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// String renders the start of the range as file:line:col.
func (r Range) String() string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}

// Diagnostic is one problem. Subject is the range the problem is reported at;
// Related holds further positions that explain it (for example the schema
// constraint a value conflicts with).
type Diagnostic struct {
	Severity Severity `json:"severity"`
	Summary  string   `json:"summary"`
	Detail   string   `json:"detail,omitempty"`
	// Path is the configuration path in CUE syntax, such as
	// groups."sg-finance".membership.users[1]. Empty for file-level problems.
	Path    string  `json:"path,omitempty"`
	Subject *Range  `json:"range,omitempty"`
	Related []Range `json:"related,omitempty"`
}

// String renders "file:line:col: path: summary", leaving out what is unknown.
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.Subject != nil {
		b.WriteString(d.Subject.String())
		b.WriteString(": ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Summary)
	return b.String()
}

// Locator maps a configuration path in CUE syntax to where the user wrote
// it, or nil when the path is not in user files.
type Locator func(path string) *Range

// Diagnostics is a list of diagnostics.
type Diagnostics []Diagnostic

// HasErrors reports whether any diagnostic has Error severity.
func (ds Diagnostics) HasErrors() bool {
	return slices.ContainsFunc(ds, func(d Diagnostic) bool { return d.Severity == Error })
}

// Errorf appends an error diagnostic at subject (which may be nil).
func (ds *Diagnostics) Errorf(subject *Range, path, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Error, Summary: fmt.Sprintf(format, args...), Path: path, Subject: subject})
}

// Warnf appends a warning diagnostic at subject (which may be nil).
func (ds *Diagnostics) Warnf(subject *Range, path, format string, args ...any) {
	*ds = append(*ds, Diagnostic{Severity: Warning, Summary: fmt.Sprintf(format, args...), Path: path, Subject: subject})
}

// Sort orders diagnostics by file, then position, then path and summary, so
// that output is stable whatever order the checks ran in. Diagnostics without
// a range come last.
func (ds Diagnostics) Sort() {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		if (a.Subject == nil) != (b.Subject == nil) {
			if a.Subject == nil {
				return 1
			}
			return -1
		}
		if a.Subject != nil {
			if c := cmp.Compare(a.Subject.Filename, b.Subject.Filename); c != 0 {
				return c
			}
			if c := cmp.Compare(a.Subject.Start.Byte, b.Subject.Start.Byte); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return cmp.Compare(a.Summary, b.Summary)
	})
}

// Err returns the diagnostics as an error when any of them is an error, and
// nil otherwise.
func (ds Diagnostics) Err() error {
	if !ds.HasErrors() {
		return nil
	}
	return diagError(ds)
}

type diagError Diagnostics

func (e diagError) Error() string {
	var lines []string
	for _, d := range e {
		if d.Severity == Error {
			lines = append(lines, d.String())
		}
	}
	return strings.Join(lines, "\n")
}

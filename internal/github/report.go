package github

import (
	"fmt"
	"strings"
)

// Report is the outcome of an entrasync command in a workflow, to be
// written as a comment or an issue.
type Report struct {
	Kind string // "plan", "apply" or "drift"
	Dir  string // the configuration directory
	// ExitCode is the command's exit status: 0 or 2 (changes present) is
	// success, anything else failure.
	ExitCode int
	// Sections are the Markdown the command wrote (the intent diff, the
	// plan, the apply results), in order.
	Sections []string
	// Log is what the command printed on stderr: diagnostics and errors.
	Log string
	// ArtifactURL is where the whole plan can be downloaded.
	ArtifactURL string
	Env         Env
}

// Failed reports whether the command failed.
func (r Report) Failed() bool { return r.ExitCode != 0 && r.ExitCode != 2 }

// Marker is the report's hidden marker line.
func (r Report) Marker() string { return Marker(r.Kind, r.Dir) }

// Body is the comment or issue text, at most limit bytes.
func (r Report) Body(limit int) string {
	var head, b strings.Builder
	head.WriteString(r.Marker() + "\n")
	if r.Failed() {
		fmt.Fprintf(&head, "### ❌ entrasync %s failed for %s\n\n", r.Kind, InlineCode(r.Dir))
		switch r.Kind {
		case "apply":
			head.WriteString("Changes that completed are listed below and are not repeated. Fix the cause, then re-run all jobs of the workflow: a new plan is made, since the saved one no longer matches the tenant.\n\n")
		default:
			head.WriteString("No plan was made, so the tenant side of this change is not shown yet. Any earlier plan in this comment was replaced.\n\n")
		}
	}
	for _, s := range r.Sections {
		if s = strings.TrimSpace(s); s != "" {
			b.WriteString(s + "\n\n")
		}
	}
	if log := strings.TrimSpace(r.Log); log != "" {
		if r.Failed() {
			b.WriteString("**Errors**\n\n" + Fenced(log) + "\n\n")
		} else {
			b.WriteString("<details><summary>Warnings</summary>\n\n" + Fenced(log) + "\n\n</details>\n\n")
		}
	}
	b.WriteString(r.footer())
	return Fit(head.String(), b.String(), limit, r.pointer())
}

func (r Report) footer() string {
	var parts []string
	if u := r.Env.RunURL(); u != "" {
		parts = append(parts, "[workflow run]("+u+")")
	}
	if r.Env.SHA != "" {
		parts = append(parts, "commit "+InlineCode(short(r.Env.SHA)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "<sub>entrasync · " + strings.Join(parts, " · ") + "</sub>\n"
}

// pointer says where the part a cut leaves out can be read.
func (r Report) pointer() string {
	switch {
	case r.ArtifactURL != "":
		return "The whole " + r.Kind + " is in the [plan artifact](" + r.ArtifactURL + ")."
	case r.Env.RunURL() != "":
		return "The whole " + r.Kind + " is in the artifacts and the log of the [workflow run](" + r.Env.RunURL() + ")."
	}
	return "The whole " + r.Kind + " is in the job's log."
}

// Title is the drift issue's title. Titles are plain text on GitHub.
func (r Report) Title() string {
	return "entrasync: the tenant has drifted from " + strings.Map(func(c rune) rune {
		if c < ' ' {
			return -1
		}
		return c
	}, r.Dir)
}

// InlineCode shows s as Markdown code whatever it contains: control
// characters become spaces, and the fence outruns any backticks in s.
func InlineCode(s string) string {
	s = strings.Map(func(c rune) rune {
		if c < ' ' {
			return ' '
		}
		return c
	}, s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

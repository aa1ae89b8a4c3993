package workflow

import (
	"io"
	"regexp"
	"strings"

	"github.com/rhysd/actionlint"
)

// Lint runs actionlint with entrasync's rules on the workflow files.
func Lint(paths ...string) ([]*actionlint.Error, error) {
	l, err := linter()
	if err != nil {
		return nil, err
	}
	return l.LintFiles(paths, nil)
}

// LintSource is Lint on one workflow's text.
func LintSource(path string, src []byte) ([]*actionlint.Error, error) {
	l, err := linter()
	if err != nil {
		return nil, err
	}
	return l.Lint(path, src, nil)
}

func linter() (*actionlint.Linter, error) {
	return actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{
		OnRulesCreated: func(rules []actionlint.Rule) []actionlint.Rule { return append(rules, Rules()...) },
	})
}

// Rules are entrasync's checks, as actionlint rules.
func Rules() []actionlint.Rule {
	return []actionlint.Rule{
		&noInterpolation{actionlint.NewRuleBase("run-interpolation", "expressions reach run: scripts only through env:")},
		&pipefail{RuleBase: actionlint.NewRuleBase("pipefail", "a pipe in a script fails when any stage fails")},
		&noPullRequestTarget{actionlint.NewRuleBase("pull-request-target", "pull_request_target is not used")},
		&pinned{actionlint.NewRuleBase("pinned-action", "actions are pinned to a full commit hash")},
	}
}

type noInterpolation struct{ actionlint.RuleBase }

func (r *noInterpolation) VisitStep(s *actionlint.Step) error {
	if run, ok := s.Exec.(*actionlint.ExecRun); ok && run.Run != nil && strings.Contains(run.Run.Value, "${{") {
		r.Errorf(run.Run.Pos, "run: interpolates an expression into the script; pass the value through the step's env: and use \"$NAME\"")
	}
	return nil
}

// pipefail tracks the shell defaults of the workflow and the job, since
// a step inherits them.
type pipefail struct {
	actionlint.RuleBase
	workflowShell, jobShell string
}

func (r *pipefail) VisitWorkflowPre(w *actionlint.Workflow) error {
	r.workflowShell = defaultShell(w.Defaults)
	return nil
}

func (r *pipefail) VisitJobPre(j *actionlint.Job) error {
	r.jobShell = defaultShell(j.Defaults)
	return nil
}

func (r *pipefail) VisitStep(s *actionlint.Step) error {
	run, ok := s.Exec.(*actionlint.ExecRun)
	if !ok || run.Run == nil {
		return nil
	}
	shell := r.workflowShell
	if r.jobShell != "" {
		shell = r.jobShell
	}
	if run.Shell != nil {
		shell = run.Shell.Value
	}
	if ShellFailsOnPipes(shell) || setsPipefail.MatchString(run.Run.Value) {
		return nil
	}
	if line, ok := pipeLine(run.Run.Value); ok {
		pos := *run.Run.Pos
		if strings.Contains(strings.TrimRight(run.Run.Value, "\n"), "\n") {
			// A block scalar's text starts on the line after "run: |".
			pos.Line += line + 1
		}
		r.Errorf(&pos, "a pipe in a script whose shell (%s) ignores a failing stage: set shell: bash (GitHub runs it with -o pipefail) or start the script with set -o pipefail", shellName(shell))
	}
	return nil
}

func defaultShell(d *actionlint.Defaults) string {
	if d == nil || d.Run == nil || d.Run.Shell == nil {
		return ""
	}
	return d.Run.Shell.Value
}

func shellName(s string) string {
	if s == "" {
		return "GitHub's default, bash -e"
	}
	return s
}

// ShellFailsOnPipes reports whether GitHub runs scripts of this shell:
// value with pipefail: only the "bash" keyword becomes
// "bash --noprofile --norc -eo pipefail {0}"; the default (no shell:) on
// Linux is "bash -e {0}" and "sh" is "sh -e {0}".
func ShellFailsOnPipes(shell string) bool { return shell == "bash" }

var setsPipefail = regexp.MustCompile(`(?m)^\s*set\s+(-[a-zA-Z]*o\s+pipefail|-o\s+pipefail|-[a-zA-Z]+\s+-o\s+pipefail)`)

// pipeLine finds a shell pipe ("|" or "|&", not "||") outside quotes and
// comments, and returns its 0-based line in script.
func pipeLine(script string) (int, bool) {
	line := 0
	var quote byte
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == '\n':
			line++
			if quote == '#' {
				quote = 0
			}
		case quote == '#':
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '\\':
			i++
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || script[i-1] == ' ' || script[i-1] == '\t' || script[i-1] == '\n'):
			quote = '#'
		case c == '|':
			if i+1 < len(script) && script[i+1] == '|' {
				i++
				continue
			}
			return line, true
		}
	}
	return 0, false
}

type noPullRequestTarget struct{ actionlint.RuleBase }

func (r *noPullRequestTarget) VisitWorkflowPre(w *actionlint.Workflow) error {
	for _, e := range w.On {
		if h, ok := e.(*actionlint.WebhookEvent); ok && h.Hook != nil && h.Hook.Value == "pull_request_target" {
			r.Errorf(h.Hook.Pos, "pull_request_target runs a fork's pull request with this repository's token and secrets; use pull_request")
		}
	}
	return nil
}

type pinned struct{ actionlint.RuleBase }

var fullHash = regexp.MustCompile(`^[0-9a-f]{40}$`)

func (r *pinned) VisitStep(s *actionlint.Step) error {
	a, ok := s.Exec.(*actionlint.ExecAction)
	if !ok || a.Uses == nil {
		return nil
	}
	uses := a.Uses.Value
	if strings.HasPrefix(uses, "./") || strings.HasPrefix(uses, "docker://") {
		return nil
	}
	_, ref, _ := strings.Cut(uses, "@")
	if !fullHash.MatchString(ref) {
		r.Errorf(a.Uses.Pos, "%s is not pinned to a full commit hash; a tag can be moved to other code", uses)
	}
	return nil
}

package workflow

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/rhysd/actionlint"
)

// RunOptions say how to run a job.
type RunOptions struct {
	// Dir is the workspace: the scripts' working directory.
	Dir string
	// Env is the environment every step starts from (GitHub's default
	// variables included: RUNNER_TEMP, GITHUB_SHA, …).
	Env []string
	// Values answer ${{ … }} expressions in env: values and if:, by their
	// text: "inputs.directory", "vars.ENTRASYNC_WRITE_CLIENT_ID",
	// "needs.plan.outputs.slug". steps.*.outputs.* come from the steps
	// run; an expression neither knows is an error, so a test states
	// everything the job reads.
	Values map[string]string
	// Skip names steps (by id) not to run, such as the install step when
	// entrasync is already on PATH.
	Skip map[string]bool
	// Log receives a line per step and the scripts' output.
	Log io.Writer
	// Summary, if set, is a file each step's job summary is appended to.
	Summary string
}

// StepError is a step that failed.
type StepError struct {
	Step     string
	ExitCode int
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %q failed: exit status %d", e.Step, e.ExitCode)
}

// Run runs job's steps from the workflow file as a GitHub runner would:
// run: steps in bash with the shell flags GitHub uses, later steps only
// while all before succeeded (unless if: always() or failure()), and
// uses: steps skipped. It returns the job's outputs, and a *StepError
// for the first failed step.
func Run(ctx context.Context, file, job string, opts RunOptions) (map[string]string, error) {
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	w, errs := actionlint.Parse(src)
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %s", file, errs[0].Error())
	}
	j := w.Jobs[job]
	if j == nil {
		return nil, fmt.Errorf("%s has no job %q", file, job)
	}
	r := &runner{opts: opts, outputs: map[string]map[string]string{}, env: envMap(opts.Env)}
	if r.opts.Log == nil {
		r.opts.Log = io.Discard
	}
	shell := defaultShell(w.Defaults)
	if s := defaultShell(j.Defaults); s != "" {
		shell = s
	}
	var failed error
	for _, env := range []*actionlint.Env{w.Env, j.Env} {
		if err := r.addEnv(r.env, env); err != nil {
			return nil, err
		}
	}
	tmp, err := os.MkdirTemp("", "workflow-run-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	for i, s := range j.Steps {
		name, id := stepName(s, i), ""
		if s.ID != nil {
			id = s.ID.Value
		}
		run, ok := s.Exec.(*actionlint.ExecRun)
		if !ok || r.opts.Skip[id] {
			fmt.Fprintf(r.opts.Log, "skip: %s\n", name)
			continue
		}
		cond := ""
		if s.If != nil {
			cond = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(s.If.Value), "${{"), "}}"))
		}
		switch cond {
		case "":
			if failed != nil {
				continue
			}
		case "always()":
		case "failure()":
			if failed == nil {
				continue
			}
		default:
			v, err := r.value(cond)
			if err != nil {
				return nil, fmt.Errorf("step %q: if: %w", name, err)
			}
			if failed != nil || v != "true" {
				continue
			}
		}
		sh := shell
		if run.Shell != nil {
			sh = run.Shell.Value
		}
		code, err := r.step(ctx, filepath.Join(tmp, fmt.Sprint(i)), id, name, run.Run.Value, sh, s.Env)
		if err != nil {
			return nil, err
		}
		if code != 0 && failed == nil {
			failed = &StepError{Step: name, ExitCode: code}
		}
	}
	outs := map[string]string{}
	for k, o := range j.Outputs {
		v, err := r.expand(o.Value.Value)
		if err != nil {
			return nil, fmt.Errorf("job output %s: %w", k, err)
		}
		outs[k] = v
	}
	return outs, failed
}

type runner struct {
	opts    RunOptions
	env     map[string]string
	path    []string                     // GITHUB_PATH additions, newest first
	outputs map[string]map[string]string // step id -> outputs
}

func stepName(s *actionlint.Step, i int) string {
	switch {
	case s.Name != nil:
		return s.Name.Value
	case s.ID != nil:
		return s.ID.Value
	}
	if a, ok := s.Exec.(*actionlint.ExecAction); ok && a.Uses != nil {
		return a.Uses.Value
	}
	return fmt.Sprintf("step %d", i+1)
}

// step runs one script; its exit status is returned, errors are the
// runner's own.
func (r *runner) step(ctx context.Context, dir, id, name, script, shell string, stepEnv *actionlint.Env) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, err
	}
	env := map[string]string{}
	for k, v := range r.env {
		env[k] = v
	}
	if err := r.addEnv(env, stepEnv); err != nil {
		return 0, fmt.Errorf("step %q: %w", name, err)
	}
	files := map[string]string{"GITHUB_OUTPUT": "output", "GITHUB_ENV": "env", "GITHUB_PATH": "path", "GITHUB_STEP_SUMMARY": "summary"}
	for k, f := range files {
		p := filepath.Join(dir, f)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			return 0, err
		}
		env[k] = p
	}
	if len(r.path) > 0 {
		env["PATH"] = strings.Join(r.path, string(os.PathListSeparator)) + string(os.PathListSeparator) + env["PATH"]
	}
	scriptFile := filepath.Join(dir, "script.sh")
	if err := os.WriteFile(scriptFile, []byte(script), 0o644); err != nil {
		return 0, err
	}
	// GitHub's shells on Linux (docs: "Workflow syntax", jobs.<id>.steps[*].shell).
	var args []string
	switch shell {
	case "":
		args = []string{"bash", "-e", scriptFile}
	case "bash":
		args = []string{"bash", "--noprofile", "--norc", "-eo", "pipefail", scriptFile}
	case "sh":
		args = []string{"sh", "-e", scriptFile}
	default:
		return 0, fmt.Errorf("step %q: shell %q is not supported here", name, shell)
	}
	fmt.Fprintf(r.opts.Log, "run: %s\n", name)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = r.opts.Dir
	cmd.Env = envList(env)
	cmd.Stdout, cmd.Stderr = r.opts.Log, r.opts.Log
	code := 0
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			return 0, fmt.Errorf("step %q: %w", name, err)
		}
		code = ee.ExitCode()
	}
	outs, err := readKeyValues(env["GITHUB_OUTPUT"])
	if err != nil {
		return 0, fmt.Errorf("step %q: GITHUB_OUTPUT: %w", name, err)
	}
	if id != "" {
		r.outputs[id] = outs
	}
	added, err := readKeyValues(env["GITHUB_ENV"])
	if err != nil {
		return 0, fmt.Errorf("step %q: GITHUB_ENV: %w", name, err)
	}
	for k, v := range added {
		r.env[k] = v
	}
	if r.opts.Summary != "" {
		if err := appendFile(r.opts.Summary, env["GITHUB_STEP_SUMMARY"]); err != nil {
			return 0, err
		}
	}
	paths, err := os.ReadFile(env["GITHUB_PATH"])
	if err != nil {
		return 0, err
	}
	for _, p := range strings.Split(strings.TrimSpace(string(paths)), "\n") {
		if p != "" {
			r.path = append([]string{p}, r.path...)
		}
	}
	return code, nil
}

// addEnv adds an env: block's variables to env, expressions expanded.
func (r *runner) addEnv(env map[string]string, e *actionlint.Env) error {
	if e == nil {
		return nil
	}
	if e.Expression != nil {
		return fmt.Errorf("env: %s as one expression is not supported", e.Expression.Value)
	}
	for _, v := range e.Vars {
		val, err := r.expand(v.Value.Value)
		if err != nil {
			return fmt.Errorf("env %s: %w", v.Name.Value, err)
		}
		env[v.Name.Value] = val
	}
	return nil
}

var expression = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

func (r *runner) expand(s string) (string, error) {
	var err error
	out := expression.ReplaceAllStringFunc(s, func(m string) string {
		v, e := r.value(expression.FindStringSubmatch(m)[1])
		if e != nil && err == nil {
			err = e
		}
		return v
	})
	return out, err
}

// value answers one expression: a step's output, runner.temp, or
// RunOptions.Values. Comparisons of the form a == 'b' and a != 'b' are
// evaluated, for if: conditions.
func (r *runner) value(expr string) (string, error) {
	for _, op := range []string{"==", "!="} {
		if l, rhs, ok := strings.Cut(expr, " "+op+" "); ok && strings.HasPrefix(rhs, "'") && strings.HasSuffix(rhs, "'") {
			v, err := r.value(strings.TrimSpace(l))
			if err != nil {
				return "", err
			}
			eq := v == strings.Trim(rhs, "'")
			return fmt.Sprint(eq == (op == "==")), nil
		}
	}
	if rest, ok := strings.CutPrefix(expr, "steps."); ok {
		id, out, ok := strings.Cut(rest, ".outputs.")
		if ok {
			return r.outputs[id][out], nil // GitHub answers "" for an output never set
		}
	}
	if v, ok := r.opts.Values[expr]; ok {
		return v, nil
	}
	if expr == "runner.temp" {
		return r.env["RUNNER_TEMP"], nil
	}
	return "", fmt.Errorf("no value for ${{ %s }}", expr)
}

// readKeyValues reads a GITHUB_OUTPUT or GITHUB_ENV file: name=value
// lines, and name<<DELIMITER blocks for multi-line values.
func readKeyValues(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var lines []string
			for sc.Scan() && sc.Text() != delim {
				lines = append(lines, sc.Text())
			}
			out[name] = strings.Join(lines, "\n")
			continue
		}
		name, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %q is neither name=value nor name<<DELIMITER", line)
		}
		out[name] = v
	}
	return out, sc.Err()
}

func envMap(list []string) map[string]string {
	m := map[string]string{}
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// appendFile appends the file from to the file to.
func appendFile(to, from string) error {
	data, err := os.ReadFile(from)
	if err != nil || len(data) == 0 {
		return err
	}
	f, err := os.OpenFile(to, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

package workflow

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRunIsAsStrictAsGitHub(t *testing.T) {
	dir := t.TempDir()
	wf := filepath.Join(dir, "w.yml")
	src := `name: t
on: push
jobs:
  default-shell:
    runs-on: ubuntu-latest
    steps:
      - run: false | cat
      - id: after
        run: echo "ran=yes" >> "$GITHUB_OUTPUT"
  bash:
    runs-on: ubuntu-latest
    outputs:
      first: ${{ steps.one.outputs.value }}
    defaults: {run: {shell: bash}}
    steps:
      - id: one
        env:
          DIR: ${{ inputs.directory }}
        run: |
          echo "value=$DIR" >> "$GITHUB_OUTPUT"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
      - if: steps.one.outputs.value == 'config'
        run: false | cat
      - name: skipped after a failure
        run: echo never > never.txt
      - name: cleanup
        if: always()
        run: echo "$PATH" > path.txt
`
	if err := os.WriteFile(wf, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := RunOptions{Dir: dir, Env: []string{"PATH=" + os.Getenv("PATH"), "RUNNER_TEMP=/rt"},
		Values: map[string]string{"inputs.directory": "config"}, Log: &bytes.Buffer{}}
	// GitHub's default shell is bash -e: a failing pipe stage is not a failure.
	if _, err := Run(context.Background(), wf, "default-shell", opts); err != nil {
		t.Fatalf("default shell: %v", err)
	}
	outs, err := Run(context.Background(), wf, "bash", opts)
	var se *StepError
	if !errors.As(err, &se) || se.Step != "step 2" || se.ExitCode != 1 {
		t.Fatalf("shell: bash must fail on the pipe: %v", err)
	}
	if outs["first"] != "config" {
		t.Errorf("job outputs %v", outs)
	}
	if _, err := os.Stat(filepath.Join(dir, "never.txt")); err == nil {
		t.Error("a step after a failure ran")
	}
	path, err := os.ReadFile(filepath.Join(dir, "path.txt"))
	if err != nil || !bytes.HasPrefix(path, []byte("/rt/bin:")) {
		t.Errorf("if: always() step, GITHUB_PATH: %q, %v", path, err)
	}
	opts.Values = nil
	if _, err := Run(context.Background(), wf, "bash", opts); err == nil || !bytes.Contains([]byte(err.Error()), []byte("no value for ${{ inputs.directory }}")) {
		t.Errorf("an unknown expression must be an error: %v", err)
	}
}

package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const header = `name: t
on: push
permissions: {}
jobs:
  j:
    runs-on: ubuntu-latest
`

func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      string // "" for clean; else a substring of the error, with its line:col
	}{
		{"env is fine", header + `    steps:
      - env:
          TITLE: ${{ github.event.pull_request.title }}
        run: echo "$TITLE"
`, ""},
		{"interpolation", header + `    steps:
      - run: echo "${{ github.event.pull_request.title }}"
`, "8:14: run: interpolates an expression"},
		{"interpolation in a block", header + `    steps:
      - run: |
          echo ok
          echo "${{ inputs.dir }}"
`, "run: interpolates"},
		{"pipe under the default shell", header + `    steps:
      - run: |
          echo start
          entrasync apply --auto-approve | tee out.txt
`, "10:"},
		{"pipe with shell: sh", header + `    steps:
      - shell: sh
        run: entrasync apply | tee out.txt
`, "a pipe in a script whose shell (sh)"},
		{"pipe with shell: bash", header + `    steps:
      - shell: bash
        run: entrasync apply | tee out.txt
`, ""},
		{"pipe with job default bash", header + `    defaults: {run: {shell: bash}}
    steps:
      - run: entrasync apply | tee out.txt
`, ""},
		{"pipe with workflow default bash", strings.Replace(header, "jobs:", "defaults: {run: {shell: bash}}\njobs:", 1) + `    steps:
      - run: entrasync apply | tee out.txt
`, ""},
		{"job overrides workflow default", strings.Replace(header, "jobs:", "defaults: {run: {shell: bash}}\njobs:", 1) + `    defaults: {run: {shell: sh}}
    steps:
      - run: entrasync apply | tee out.txt
`, "pipe"},
		{"set -o pipefail", header + `    steps:
      - run: |
          set -euo pipefail
          entrasync apply | tee out.txt
`, ""},
		{"or, quoted and commented pipes", header + `    steps:
      - run: |
          false || true
          echo 'a|b' "c|d" # e | f
`, ""},
		{"pull_request_target", strings.Replace(header, "on: push", "on:\n  pull_request_target:", 1) + `    steps:
      - run: echo hi
`, "3:3: pull_request_target"},
		{"unpinned action", header + `    steps:
      - uses: actions/checkout@v4
`, "actions/checkout@v4 is not pinned"},
		{"pinned action", header + `    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs, err := LintSource("w.yml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("want no finding, got:\n%s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("want a finding with %q, got:\n%s", tc.want, all)
			}
		})
	}
}

// TestRepositoryWorkflows holds every workflow in the repository, and the
// example a configuration repository copies, to actionlint and these rules.
func TestRepositoryWorkflows(t *testing.T) {
	root := filepath.Join("..", "..")
	var files []string
	for _, pattern := range []string{".github/workflows/*.yml", "examples/github/workflows/*.yml"} {
		m, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 6 {
		t.Fatalf("found %d workflow files; the glob is wrong", len(files))
	}
	errs, err := Lint(files...)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Error(e)
	}
}

// TestInstallStepsAgree keeps the steps that install entrasync identical in
// every reusable workflow: a reusable workflow cannot call a local action
// at its own version, so they are copies, and copies drift.
func TestInstallStepsAgree(t *testing.T) {
	var first, firstName string
	for _, name := range []string{"pr.yml", "plan.yml", "apply.yml", "drift.yml"} {
		data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", name))
		if err != nil {
			t.Fatal(err)
		}
		src := string(data)
		for len(src) > 0 {
			i := strings.Index(src, "      - uses: actions/checkout@")
			if i < 0 {
				break
			}
			j := strings.Index(src[i:], "\"$bin/entrasync\" version\n")
			if j < 0 {
				t.Fatalf("%s: checkout without the install step after it", name)
			}
			block := src[i : i+j]
			if first == "" {
				first, firstName = block, name
			} else if block != first {
				t.Errorf("%s installs entrasync differently from %s", name, firstName)
			}
			src = src[i+j:]
		}
	}
	if first == "" {
		t.Fatal("no install steps found")
	}
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/entrasync/entrasync/internal/github/githubtest"
	"github.com/entrasync/entrasync/internal/workflow"
)

// repoRoot is the repository's root, where .github/workflows lives.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// passedEnv are the variables a job's steps get from the script, besides
// GitHub's own: the emulator's switches and what testscript sets up.
var passedEnv = []string{"PATH", "HOME", "WORK", "TMPDIR", "NO_COLOR", "RUNNER_TEMP",
	"GITHUB_ACTIONS", "GITHUB_API_URL", "GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID",
	"GITHUB_SHA", "GITHUB_EVENT_NAME", "GITHUB_EVENT_PATH",
	"ENTRASYNC_SIM_FAIL_WRITES_AFTER", "ENTRASYNC_SIM_WRITE_LOG"}

// ghaRun runs a job of one of the repository's workflows with its real
// scripts: gha-run [-skip ID,…] WORKFLOW JOB [EXPRESSION=VALUE…]. The
// job's outputs are printed as NAME=VALUE; the steps' job summaries are
// appended to $WORK/summary.md and their output to $WORK/job.log.
func ghaRun(ts *testscript.TestScript, neg bool, args []string) {
	fs := flag.NewFlagSet("gha-run", flag.ContinueOnError)
	skip := fs.String("skip", "", "step ids not to run")
	if err := fs.Parse(args); err != nil || fs.NArg() < 2 {
		ts.Fatalf("usage: gha-run [-skip ID,…] WORKFLOW JOB [EXPRESSION=VALUE…]")
	}
	file := filepath.Join(repoRoot(), ".github", "workflows", fs.Arg(0))
	values := map[string]string{}
	for _, kv := range fs.Args()[2:] {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			ts.Fatalf("%q is not EXPRESSION=VALUE", kv)
		}
		values[k] = v
	}
	var env []string
	for _, k := range passedEnv {
		if v := ts.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	opts := workflow.RunOptions{Dir: ts.MkAbs("."), Env: env, Values: values, Skip: map[string]bool{}}
	for _, id := range strings.Split(*skip, ",") {
		opts.Skip[id] = true
	}
	log, err := os.OpenFile(filepath.Join(ts.Getenv("WORK"), "job.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	ts.Check(err)
	defer log.Close()
	opts.Log = log
	opts.Summary = filepath.Join(ts.Getenv("WORK"), "summary.md")
	outs, err := workflow.Run(context.Background(), file, fs.Arg(1), opts)
	var se *workflow.StepError
	switch {
	case err != nil && !errors.As(err, &se):
		ts.Fatalf("%v", err)
	case err != nil && !neg:
		ts.Fatalf("%v (see job.log)", err)
	case err == nil && neg:
		ts.Fatalf("the job succeeded")
	case err != nil:
		fmt.Fprintln(ts.Stderr(), err)
	}
	for k, v := range outs {
		fmt.Fprintf(ts.Stdout(), "%s=%s\n", k, v)
	}
}

var (
	fakesMu sync.Mutex
	fakes   = map[*testscript.TestScript]*githubtest.Fake{}
)

// fakeGitHub drives a fake GitHub API for the script:
//
//	fake-github start              serve it; set GITHUB_API_URL, GITHUB_REPOSITORY, GITHUB_TOKEN
//	fake-github pr N [MERGE_SHA]   an open pull request, or a merged one
//	fake-github perm NAME LEVEL    set a token permission (issues, pull_requests) to none, read or write
//	fake-github comments N         print the comments on N
//	fake-github issues             print the issues (not pull requests)
func fakeGitHub(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: fake-github start|pr|perm|comments|issues …")
	}
	fakesMu.Lock()
	f := fakes[ts]
	fakesMu.Unlock()
	if args[0] != "start" && f == nil {
		ts.Fatalf("fake-github start first")
	}
	switch args[0] {
	case "start":
		f, srv := githubtest.New()
		ts.Defer(srv.Close)
		fakesMu.Lock()
		fakes[ts] = f
		fakesMu.Unlock()
		ts.Defer(func() {
			fakesMu.Lock()
			delete(fakes, ts)
			fakesMu.Unlock()
		})
		ts.Setenv("GITHUB_API_URL", srv.URL)
		ts.Setenv("GITHUB_REPOSITORY", "contoso/entra-config")
		ts.Setenv("GITHUB_SERVER_URL", "https://github.com")
		ts.Setenv("GITHUB_RUN_ID", "4242")
		ts.Setenv("FAKE_GITHUB_TOKEN", f.Token)
	case "pr":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		is := githubtest.Issue{Number: n, User: "alice", Title: "change", PullRequest: true}
		if len(args) > 2 {
			is.MergeCommit, is.State = args[2], "closed"
		}
		f.AddIssue(is)
	case "perm":
		if len(args) != 3 {
			ts.Fatalf("usage: fake-github perm NAME none|read|write")
		}
		f.SetPermission(args[1], args[2])
	case "comments":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		fmt.Fprintf(ts.Stdout(), "comments on #%d:\n", n)
		for _, c := range f.Comments(n) {
			fmt.Fprintf(ts.Stdout(), "--- comment %d by %s\n%s\n", c.ID, c.User, c.Body)
		}
	case "issues":
		// Always print something: a command that prints nothing leaves
		// the previous command's stdout in place for the assertions.
		fmt.Fprintln(ts.Stdout(), "issues:")
		for _, is := range f.Issues() {
			if !is.PullRequest {
				fmt.Fprintf(ts.Stdout(), "--- issue #%d by %s, %s %s: %s\n%s\n", is.Number, is.User, is.State, is.StateReason, is.Title, is.Body)
			}
		}
	default:
		ts.Fatalf("fake-github: unknown %q", args[0])
	}
}

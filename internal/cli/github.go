package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/github"
)

// githubFlags describe a finished entrasync command whose outcome goes to
// GitHub.
type githubFlags struct {
	dir         string
	exitCode    int
	markdown    []string
	log         string
	artifactURL string
	author      string
}

func (f *githubFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.dir, "dir", ".", "the configuration directory the outcome is about (one comment or issue per directory)")
	fl.IntVar(&f.exitCode, "exit-code", 0, "exit status of the entrasync command (0 or 2 is success, 1 failure)")
	fl.StringArrayVar(&f.markdown, "markdown", nil, "a Markdown file the command wrote (repeatable, shown in order)")
	fl.StringVar(&f.log, "log", "", "the command's stderr (diagnostics, errors), shown as text")
	fl.StringVar(&f.artifactURL, "artifact-url", "", "link to the artifact with the whole plan, named where a long plan is cut")
	fl.StringVar(&f.author, "author", "", "login of the token's identity, when it is not github-actions[bot] and GET /user cannot tell (a GitHub App's token: APP-SLUG[bot])")
}

// report reads the command's outputs. A Markdown file the command did not
// get to write is expected when it failed, and an error otherwise.
func (f *githubFlags) report(kind string, env github.Env) (github.Report, error) {
	r := github.Report{Kind: kind, Dir: f.dir, ExitCode: f.exitCode, ArtifactURL: f.artifactURL, Env: env}
	for _, name := range f.markdown {
		data, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) && r.Failed() {
			continue
		}
		if err != nil {
			return r, fmt.Errorf("--markdown: %w", err)
		}
		r.Sections = append(r.Sections, string(data))
	}
	if f.log != "" {
		data, err := os.ReadFile(f.log)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r, fmt.Errorf("--log: %w", err)
		}
		r.Log = string(data)
	}
	return r, nil
}

func (a *app) githubCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "github",
		Short: "Post plans, apply results and drift to GitHub from a workflow",
		Long: `The github commands run inside GitHub Actions, after a plan or apply, and
write its outcome to GitHub with the workflow's GITHUB_TOKEN (pass it as
env: GITHUB_TOKEN: ${{ github.token }}). They find what they wrote before by
a hidden marker and by their own identity, and never edit anyone else's
comment or issue. The reusable workflows in entrasync's repository call them.`,
	}
	cmd.AddCommand(a.githubCommentCmd(), a.githubDriftCmd())
	return cmd
}

func (a *app) githubCommentCmd() *cobra.Command {
	var f githubFlags
	var kind string
	var pr int
	cmd := &cobra.Command{
		Use:   "comment",
		Short: "Keep one comment per configuration directory on the pull request",
		Long: `comment posts the outcome of plan (--kind plan) or apply (--kind apply) on a
pull request, replacing its own earlier comment for the same directory. A
failed command (--exit-code 1) is posted too, with its errors, so an
outdated plan never stands; comment then exits 1.

The pull request is --pr, else the one the event is about, else (after a
push) the one merged as GITHUB_SHA; without one, nothing is posted.
Permissions: pull-requests: write.`,
		Example: `  entrasync plan --dir config --rev HEAD --out plan.json --format markdown > plan.md 2> plan.log || code=$?
  entrasync github comment --kind plan --dir config --exit-code "${code:-0}" --markdown plan.md --log plan.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOf("--kind", kind, "plan", "apply"); err != nil {
				return err
			}
			return a.runGitHubComment(cmd.Context(), &f, kind, pr)
		},
	}
	f.register(cmd)
	cmd.Flags().StringVar(&kind, "kind", "plan", "what the outcome is of: plan or apply")
	cmd.Flags().IntVar(&pr, "pr", 0, "pull request number (default: from the event, or the one merged as GITHUB_SHA)")
	return cmd
}

func (a *app) runGitHubComment(ctx context.Context, f *githubFlags, kind string, pr int) error {
	env := github.EnvFrom(a.deps.Getenv)
	r, err := f.report(kind, env)
	if err != nil {
		return err
	}
	c, err := github.New(env, github.Options{Author: f.author})
	if err != nil {
		return err
	}
	if pr == 0 {
		if pr, err = env.PullRequest(); err != nil {
			return err
		}
	}
	if pr == 0 && env.SHA != "" {
		if pr, err = c.MergedPullRequest(ctx, env.SHA); err != nil {
			return err
		}
	}
	if pr == 0 {
		fmt.Fprintf(a.stdio.Out, "No pull request for this run (commit %s was pushed directly); nothing to comment on.\n", env.SHA)
	} else {
		out, err := c.UpsertComment(ctx, pr, r.Marker(), r.Body(github.CommentLimit))
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdio.Out, "The %s comment on #%d: %s %s\n", kind, pr, out.Action, out.URL)
	}
	if r.Failed() {
		fmt.Fprintf(a.stdio.Err, "entrasync: the %s failed (exit status %d)\n", kind, f.exitCode)
		return &exitCode{code: ExitError}
	}
	return nil
}

func (a *app) githubDriftCmd() *cobra.Command {
	var f githubFlags
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Open, update or close the drift issue from a scheduled plan",
		Long: `drift reads the exit status of 'plan --detailed-exitcode': 2 (the tenant
differs from the configuration) opens one issue for the directory, or
updates the one open; 0 closes it with a comment. A failed plan (1) leaves
the issue as it is and exits 1, so the run fails and GitHub reports it.
Permissions: issues: write.`,
		Example: `  entrasync plan --dir config --rev HEAD --format markdown --detailed-exitcode > plan.md 2> plan.log || code=$?
  entrasync github drift --dir config --exit-code "${code:-0}" --markdown plan.md --log plan.log`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runGitHubDrift(cmd.Context(), &f) },
	}
	f.register(cmd)
	return cmd
}

func (a *app) runGitHubDrift(ctx context.Context, f *githubFlags) error {
	env := github.EnvFrom(a.deps.Getenv)
	r, err := f.report("drift", env)
	if err != nil {
		return err
	}
	if r.Failed() {
		fmt.Fprintf(a.stdio.Err, "entrasync: the plan failed (exit status %d); the drift issue was left as it is\n", f.exitCode)
		return &exitCode{code: ExitError}
	}
	c, err := github.New(env, github.Options{Author: f.author})
	if err != nil {
		return err
	}
	resolved := "The tenant matches the configuration again"
	if u := env.RunURL(); u != "" {
		resolved += " ([workflow run](" + u + "))"
	}
	out, err := c.Drift(ctx, r.Marker(), r.Title(), r.Body(github.CommentLimit), f.exitCode == ExitChanges, resolved+".")
	if err != nil {
		return err
	}
	switch out.Action {
	case "unchanged":
		if out.Number == 0 {
			fmt.Fprintln(a.stdio.Out, "No drift, and no drift issue open.")
			return nil
		}
		fmt.Fprintf(a.stdio.Out, "Drift issue #%d already shows this plan: %s\n", out.Number, out.URL)
	default:
		fmt.Fprintf(a.stdio.Out, "Drift issue #%d %s: %s\n", out.Number, out.Action, out.URL)
	}
	return nil
}

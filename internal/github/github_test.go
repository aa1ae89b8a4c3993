package github_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/entrasync/entrasync/internal/github"
	"github.com/entrasync/entrasync/internal/github/githubtest"
)

// setup starts a fake GitHub with pull request #7 open and returns a
// client for it, as a workflow's GITHUB_TOKEN would have.
func setup(t *testing.T) (*githubtest.Fake, *github.Client, github.Env) {
	t.Helper()
	fake, srv := githubtest.New()
	t.Cleanup(srv.Close)
	fake.AddIssue(githubtest.Issue{Number: 7, User: "alice", Title: "Add sg-audit", PullRequest: true,
		MergeCommit: "5f0c6e1d2a3b4c5d6e7f8091a2b3c4d5e6f70812", Commits: []string{"aaaaaaa"}})
	env := github.Env{Actions: true, APIURL: srv.URL, ServerURL: "https://github.com", Repository: "contoso/entra-config",
		RunID: "42", SHA: "5f0c6e1d2a3b4c5d6e7f8091a2b3c4d5e6f70812", Token: fake.Token}
	c, err := github.New(env, github.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c, env
}

func planReport(env github.Env, plan string) github.Report {
	return github.Report{Kind: "plan", Dir: "config/prod", ExitCode: 2, Sections: []string{plan}, Env: env}
}

func TestCommentIsCreatedThenUpdated(t *testing.T) {
	fake, c, env := setup(t)
	ctx := context.Background()
	r := planReport(env, "### entrasync plan\n\n+ groups.sg-audit")
	out, err := c.UpsertComment(ctx, 7, r.Marker(), r.Body(github.CommentLimit))
	if err != nil || out.Action != "created" {
		t.Fatalf("first run: %+v, %v", out, err)
	}
	r.Sections = []string{"### entrasync plan\n\n+ groups.sg-audit\n~ groups.sg-finance"}
	out, err = c.UpsertComment(ctx, 7, r.Marker(), r.Body(github.CommentLimit))
	if err != nil || out.Action != "updated" {
		t.Fatalf("second run: %+v, %v", out, err)
	}
	cs := fake.Comments(7)
	if len(cs) != 1 || !strings.Contains(cs[0].Body, "sg-finance") {
		t.Fatalf("want one updated comment, got %+v", cs)
	}
	out, err = c.UpsertComment(ctx, 7, r.Marker(), r.Body(github.CommentLimit))
	if err != nil || out.Action != "unchanged" {
		t.Fatalf("third run, same plan: %+v, %v", out, err)
	}
	// Another configuration directory has its own comment.
	other := r
	other.Dir = "config/test"
	if out, err := c.UpsertComment(ctx, 7, other.Marker(), other.Body(github.CommentLimit)); err != nil || out.Action != "created" {
		t.Fatalf("second directory: %+v, %v", out, err)
	}
	if n := len(fake.Comments(7)); n != 2 {
		t.Fatalf("%d comments, want one per directory", n)
	}
}

func TestCommentBySomeoneElseIsLeftAlone(t *testing.T) {
	fake, c, env := setup(t)
	r := planReport(env, "### entrasync plan\n\nNo changes.")
	forged := r.Marker() + "\n### entrasync plan\n\nNo changes. (trust me)"
	fake.AddComment(githubtest.Comment{Number: 7, User: "mallory", Body: forged})
	out, err := c.UpsertComment(context.Background(), 7, r.Marker(), r.Body(github.CommentLimit))
	if err != nil || out.Action != "created" {
		t.Fatalf("%+v, %v", out, err)
	}
	cs := fake.Comments(7)
	if len(cs) != 2 || cs[0].Body != forged || cs[1].User != "github-actions[bot]" {
		t.Fatalf("the other author's comment must stay as written: %+v", cs)
	}
}

func TestCommentsArePagedThrough(t *testing.T) {
	fake, c, env := setup(t)
	fake.PerPage = 2
	r := planReport(env, "plan one")
	for i := 0; i < 5; i++ {
		fake.AddComment(githubtest.Comment{Number: 7, User: "bob", Body: "looks good"})
	}
	ctx := context.Background()
	if _, err := c.UpsertComment(ctx, 7, r.Marker(), r.Body(github.CommentLimit)); err != nil {
		t.Fatal(err)
	}
	r.Sections = []string{"plan two"}
	if out, err := c.UpsertComment(ctx, 7, r.Marker(), r.Body(github.CommentLimit)); err != nil || out.Action != "updated" {
		t.Fatalf("our comment is on page 3: %+v, %v", out, err)
	}
	if n := len(fake.Comments(7)); n != 6 {
		t.Fatalf("%d comments, want 6", n)
	}
}

func TestOversizedPlanIsTruncatedWithAPointer(t *testing.T) {
	fake, c, env := setup(t)
	var plan strings.Builder
	plan.WriteString("### entrasync plan\n\n<details><summary>groups.sg-all</summary>\n\n```diff\n")
	for i := 0; plan.Len() < 200_000; i++ {
		plan.WriteString("+ user" + strings.Repeat("x", 40) + "@contoso.com — Ünïcode\n")
	}
	plan.WriteString("```\n</details>\n")
	r := planReport(env, plan.String())
	r.ArtifactURL = "https://github.com/contoso/entra-config/actions/runs/42/artifacts/9"
	if _, err := c.UpsertComment(context.Background(), 7, r.Marker(), r.Body(github.CommentLimit)); err != nil {
		t.Fatalf("an oversized plan must still be posted: %v", err)
	}
	body := fake.Comments(7)[0].Body
	if utf8.RuneCountInString(body) > github.CommentLimit || len(body) > github.CommentLimit {
		t.Fatalf("body is %d bytes", len(body))
	}
	for _, want := range []string{"✂️ **Truncated**", "[plan artifact](" + r.ArtifactURL + ")", "```\n</details>\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("truncated body lacks %q", want)
		}
	}
	if !strings.HasPrefix(body, r.Marker()+"\n") {
		t.Error("the marker must survive the cut")
	}
}

func TestForbiddenNamesThePermission(t *testing.T) {
	fake, c, env := setup(t)
	fake.Permissions = map[string]string{"contents": "read", "pull_requests": "read"}
	r := planReport(env, "plan")
	_, err := c.UpsertComment(context.Background(), 7, r.Marker(), r.Body(github.CommentLimit))
	if err == nil {
		t.Fatal("commenting without pull-requests: write must fail")
	}
	for _, want := range []string{"403", "pull-requests: write", "permissions:", "pull_requests=write"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	fake.Permissions = map[string]string{"contents": "read"}
	_, err = c.Drift(context.Background(), "<!-- m -->", "t", "<!-- m -->\nb", true, "")
	if err == nil || !strings.Contains(err.Error(), "issues: read") {
		t.Fatalf("drift without issues permission: %v", err)
	}
}

func TestBadTokenIsClear(t *testing.T) {
	_, _, env := setup(t)
	env.Token = "ghs_wrong"
	c, err := github.New(env, github.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.UpsertComment(context.Background(), 7, "<!-- m -->", "<!-- m -->\nx")
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("want a 401 error, got %v", err)
	}
	env.Token = ""
	if _, err := github.New(env, github.Options{}); err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN") {
		t.Fatalf("want GITHUB_TOKEN named, got %v", err)
	}
}

func TestDriftIssueOpensUpdatesAndCloses(t *testing.T) {
	fake, c, env := setup(t)
	ctx := context.Background()
	r := github.Report{Kind: "drift", Dir: "config/prod", ExitCode: 2, Sections: []string{"~ groups.sg-finance: 2 members added by hand"}, Env: env}
	// Someone's issue that quotes the marker is not ours.
	fake.AddIssue(githubtest.Issue{User: "mallory", Title: "fake drift", Body: r.Marker() + "\nnothing"})
	out, err := c.Drift(ctx, r.Marker(), r.Title(), r.Body(github.CommentLimit), true, "")
	if err != nil || out.Action != "created" {
		t.Fatalf("first drift: %+v, %v", out, err)
	}
	r.Sections = []string{"~ groups.sg-finance: 3 members added by hand"}
	out2, err := c.Drift(ctx, r.Marker(), r.Title(), r.Body(github.CommentLimit), true, "")
	if err != nil || out2.Action != "updated" || out2.Number != out.Number {
		t.Fatalf("drift again: %+v, %v", out2, err)
	}
	out3, err := c.Drift(ctx, r.Marker(), r.Title(), "", false, "The tenant matches the configuration again.")
	if err != nil || out3.Action != "closed" || out3.Number != out.Number {
		t.Fatalf("no drift: %+v, %v", out3, err)
	}
	out4, err := c.Drift(ctx, r.Marker(), r.Title(), "", false, "x")
	if err != nil || out4.Action != "unchanged" {
		t.Fatalf("no drift, nothing open: %+v, %v", out4, err)
	}
	for _, is := range fake.Issues() {
		switch is.User {
		case "mallory":
			if is.State != "open" || is.Body != r.Marker()+"\nnothing" {
				t.Errorf("someone else's issue was changed: %+v", is)
			}
		case "github-actions[bot]":
			if is.State != "closed" || is.StateReason != "completed" || !strings.Contains(is.Body, "3 members") {
				t.Errorf("drift issue: %+v", is)
			}
		}
	}
	if cs := fake.Comments(out.Number); len(cs) != 1 || !strings.Contains(cs[0].Body, "matches") {
		t.Errorf("closing comment: %+v", cs)
	}
}

func TestMergedPullRequest(t *testing.T) {
	_, c, env := setup(t)
	ctx := context.Background()
	n, err := c.MergedPullRequest(ctx, env.SHA)
	if err != nil || n != 7 {
		t.Fatalf("got #%d, %v; want #7", n, err)
	}
	n, err = c.MergedPullRequest(ctx, "0123456789012345678901234567890123456789")
	if err != nil || n != 0 {
		t.Fatalf("a direct push has no pull request: #%d, %v", n, err)
	}
}

func TestAuthorFromUserWhenAllowed(t *testing.T) {
	fake, _, env := setup(t)
	fake.Integration = false
	fake.Login = "entrasync-bot"
	c, err := github.New(env, github.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fake.AddComment(githubtest.Comment{Number: 7, User: "entrasync-bot", Body: github.Marker("plan", "config/prod") + "\nold"})
	r := planReport(env, "new")
	if out, err := c.UpsertComment(context.Background(), 7, r.Marker(), r.Body(github.CommentLimit)); err != nil || out.Action != "updated" {
		t.Fatalf("a PAT's own comment must be found through /user: %+v, %v", out, err)
	}
}

func TestPullRequestFromEvent(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		payload string
		want    int
	}{
		"pull_request": {`{"action":"synchronize","number":12,"pull_request":{"number":12}}`, 12},
		"push":         {`{"ref":"refs/heads/main","after":"abc"}`, 0},
	} {
		p := filepath.Join(dir, name+".json")
		if err := os.WriteFile(p, []byte(tc.payload), 0o600); err != nil {
			t.Fatal(err)
		}
		n, err := github.Env{EventPath: p}.PullRequest()
		if err != nil || n != tc.want {
			t.Errorf("%s: #%d, %v; want #%d", name, n, err, tc.want)
		}
	}
}

func TestSummaryIsAppendedOnlyInActions(t *testing.T) {
	p := filepath.Join(t.TempDir(), "summary.md")
	if err := (github.Env{StepSummary: p}).AppendSummary("x"); err != github.ErrNoSummary {
		t.Fatalf("outside Actions: %v", err)
	}
	env := github.Env{Actions: true, StepSummary: p}
	for _, s := range []string{"### one", "### two"} {
		if err := env.AppendSummary(s); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := os.ReadFile(p)
	if string(got) != "### one\n### two\n" {
		t.Fatalf("summary %q", got)
	}
	big := strings.Repeat("line of a large plan\n", 80_000)
	if err := env.AppendSummary(big); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(p); fi.Size() > github.SummaryLimit {
		t.Fatalf("summary is %d bytes, over GitHub's limit", fi.Size())
	}
}

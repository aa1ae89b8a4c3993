package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v93/github"
)

// Drift keeps one open issue per marker while the tenant differs from the
// configuration: drifted opens it (title, body) or updates the open one;
// not drifted closes the open one with resolved as its last comment. Only
// issues this token's identity opened are considered ours.
func (c *Client) Drift(ctx context.Context, marker, title, body string, drifted bool, resolved string) (Outcome, error) {
	if drifted && !hasMarker(body, marker) {
		return Outcome{}, fmt.Errorf("internal error: the issue does not start with its marker %s", marker)
	}
	open, err := c.openIssue(ctx, marker)
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case drifted && open == nil:
		is, _, err := c.api.Issues.Create(ctx, c.owner, c.repo, gh.CreateIssueRequest{Title: title, Body: &body})
		if err != nil {
			return Outcome{}, explain(err, "open the drift issue", permIssuesWrite)
		}
		return Outcome{Action: "created", Number: is.GetNumber(), URL: is.GetHTMLURL()}, nil
	case drifted && open.GetBody() == body:
		return Outcome{Action: "unchanged", Number: open.GetNumber(), URL: open.GetHTMLURL()}, nil
	case drifted:
		is, _, err := c.api.Issues.Update(ctx, c.owner, c.repo, open.GetNumber(), gh.UpdateIssueRequest{Title: &title, Body: &body})
		if err != nil {
			return Outcome{}, explain(err, fmt.Sprintf("update drift issue #%d", open.GetNumber()), permIssuesWrite)
		}
		return Outcome{Action: "updated", Number: is.GetNumber(), URL: is.GetHTMLURL()}, nil
	case open == nil:
		return Outcome{Action: "unchanged"}, nil
	}
	n := open.GetNumber()
	if _, _, err := c.api.Issues.CreateComment(ctx, c.owner, c.repo, n, gh.IssueCommentRequest{Body: resolved}); err != nil {
		return Outcome{}, explain(err, fmt.Sprintf("comment on drift issue #%d", n), permIssuesWrite)
	}
	closed, reason := "closed", "completed"
	is, _, err := c.api.Issues.Update(ctx, c.owner, c.repo, n, gh.UpdateIssueRequest{State: &closed, StateReason: &reason})
	if err != nil {
		return Outcome{}, explain(err, fmt.Sprintf("close drift issue #%d", n), permIssuesWrite)
	}
	return Outcome{Action: "closed", Number: n, URL: is.GetHTMLURL()}, nil
}

// openIssue is our open issue carrying marker, or nil. Pull requests are
// issues to this endpoint too, and are skipped.
func (c *Client) openIssue(ctx context.Context, marker string) (*gh.Issue, error) {
	me, err := c.self(ctx)
	if err != nil {
		return nil, err
	}
	opts := &gh.IssueListByRepoOptions{State: "open", ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.api.Issues.ListByRepo(ctx, c.owner, c.repo, opts)
		if err != nil {
			return nil, explain(err, "list open issues", permIssuesRead)
		}
		for _, is := range page {
			if !is.IsPullRequest() && is.GetUser().GetLogin() == me && hasMarker(is.GetBody(), marker) {
				return is, nil
			}
		}
		if resp.NextPage == 0 {
			return nil, nil
		}
		opts.ListOptions.Page = resp.NextPage
	}
}

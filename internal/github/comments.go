package github

import (
	"context"
	"fmt"

	gh "github.com/google/go-github/v93/github"
)

// UpsertComment keeps one comment on issue or pull request number: the
// first comment that starts with marker and was written by this token's
// identity is replaced by body; without one, body is posted. Comments by
// anyone else are never edited, whatever they contain.
func (c *Client) UpsertComment(ctx context.Context, number int, marker, body string) (Outcome, error) {
	if !hasMarker(body, marker) {
		return Outcome{}, fmt.Errorf("internal error: the comment does not start with its marker %s", marker)
	}
	me, err := c.self(ctx)
	if err != nil {
		return Outcome{}, err
	}
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.api.Issues.ListComments(ctx, c.owner, c.repo, number, opts)
		if err != nil {
			return Outcome{}, explain(err, fmt.Sprintf("list the comments of #%d", number), permPullsRead)
		}
		for _, cm := range page {
			if cm.GetUser().GetLogin() != me || !hasMarker(cm.GetBody(), marker) {
				continue
			}
			if cm.GetBody() == body {
				return Outcome{Action: "unchanged", Number: number, URL: cm.GetHTMLURL()}, nil
			}
			up, _, err := c.api.Issues.UpdateComment(ctx, c.owner, c.repo, cm.GetID(), gh.IssueCommentRequest{Body: body})
			if err != nil {
				return Outcome{}, explain(err, fmt.Sprintf("update comment %d on #%d", cm.GetID(), number), permPullsWrite)
			}
			return Outcome{Action: "updated", Number: number, URL: up.GetHTMLURL()}, nil
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	cm, _, err := c.api.Issues.CreateComment(ctx, c.owner, c.repo, number, gh.IssueCommentRequest{Body: body})
	if err != nil {
		return Outcome{}, explain(err, fmt.Sprintf("comment on #%d", number), permPullsWrite)
	}
	return Outcome{Action: "created", Number: number, URL: cm.GetHTMLURL()}, nil
}

// MergedPullRequest is the pull request that was merged as commit sha (a
// push to the default branch after a merge), or 0 when the commit was
// pushed directly.
func (c *Client) MergedPullRequest(ctx context.Context, sha string) (int, error) {
	prs, _, err := c.api.PullRequests.ListPullRequestsWithCommit(ctx, c.owner, c.repo, sha, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return 0, explain(err, "find the pull request of commit "+short(sha), permPullsRead)
	}
	for _, pr := range prs {
		if pr.GetMergeCommitSHA() == sha && pr.MergedAt != nil {
			return pr.GetNumber(), nil
		}
	}
	// A rebase or squash merge records another commit as the merge
	// commit when several were pushed; any merged one containing sha is
	// the one whose merge produced this push.
	for _, pr := range prs {
		if pr.MergedAt != nil {
			return pr.GetNumber(), nil
		}
	}
	return 0, nil
}

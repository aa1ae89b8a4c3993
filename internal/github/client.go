package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	gh "github.com/google/go-github/v93/github"
)

// ActionsBot is the login GitHub shows for what a workflow writes with its
// GITHUB_TOKEN. That token cannot read its own identity (GET /user answers
// 403 "Resource not accessible by integration"), so this is who "we" are
// when /user refuses.
const ActionsBot = "github-actions[bot]"

// Client writes comments and issues in one repository.
type Client struct {
	api         *gh.Client
	owner, repo string
	// author is the login whose comments and issues are ours.
	author string
}

// Options adjust New.
type Options struct {
	// Author is the login of the token's identity when /user cannot tell
	// (a GitHub App's installation token: "<app-slug>[bot]"); empty asks
	// GitHub, falling back to ActionsBot.
	Author string
	// HTTPClient replaces the default client (30 s timeout).
	HTTPClient *http.Client
}

// New connects to the API of the run's GitHub (GITHUB_API_URL) for the
// run's repository, with its GITHUB_TOKEN.
func New(env Env, opts Options) (*Client, error) {
	owner, repo, err := env.ownerRepo()
	if err != nil {
		return nil, err
	}
	if env.Token == "" {
		return nil, errors.New("GITHUB_TOKEN is not set: give the step `env: GITHUB_TOKEN: ${{ github.token }}`")
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	base := strings.TrimSuffix(env.APIURL, "/") + "/"
	api, err := gh.NewClient(gh.WithHTTPClient(hc), gh.WithAuthToken(env.Token), gh.WithURLs(&base, nil), gh.WithUserAgent("entrasync"))
	if err != nil {
		return nil, fmt.Errorf("GITHUB_API_URL: %w", err)
	}
	return &Client{api: api, owner: owner, repo: repo, author: opts.Author}, nil
}

// Outcome is what a call did.
type Outcome struct {
	Action string // "created", "updated", "closed" or "unchanged"
	Number int    // the issue or pull request
	URL    string // the comment's or issue's page
}

// self is the login whose writings are ours.
func (c *Client) self(ctx context.Context) (string, error) {
	if c.author != "" {
		return c.author, nil
	}
	u, _, err := c.api.Users.Get(ctx, "")
	var er *gh.ErrorResponse
	switch {
	case err == nil && u.GetLogin() != "":
		c.author = u.GetLogin()
	case errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusForbidden:
		c.author = ActionsBot
	case err != nil:
		return "", explain(err, "read the token's identity", "")
	default:
		c.author = ActionsBot
	}
	return c.author, nil
}

// explain turns GitHub's refusals into errors that say what to change. A
// 403 or 404 on a repository the token can see is almost always a missing
// permission in the workflow's `permissions:` block; GitHub names the ones
// it accepts in X-Accepted-GitHub-Permissions.
func explain(err error, action, permission string) error {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) || er.Response == nil {
		return fmt.Errorf("GitHub: could not %s: %w", action, err)
	}
	status := er.Response.StatusCode
	msg := er.Message
	switch status {
	case http.StatusForbidden, http.StatusNotFound:
		if permission == "" {
			break
		}
		hint := fmt.Sprintf("the workflow's token needs `%s` (add it to the job's `permissions:`)", permission)
		if status == http.StatusNotFound {
			// GitHub answers 404 rather than 403 for what a token may not see.
			hint = "it does not exist, or " + hint
		}
		if accepted := er.Response.Header.Get("X-Accepted-GitHub-Permissions"); accepted != "" {
			hint += "; GitHub accepts: " + accepted
		}
		return fmt.Errorf("GitHub refused to %s (%d %s): %s", action, status, msg, hint)
	case http.StatusUnauthorized:
		return fmt.Errorf("GitHub refused to %s (401 %s): GITHUB_TOKEN is not valid here (expired, or for another GitHub)", action, msg)
	}
	return fmt.Errorf("GitHub: could not %s (%d %s)", action, status, msg)
}

// Commenting and listing on pull requests and issues: the permissions the
// workflow's token needs for each.
const (
	permPullsRead   = "pull-requests: read"
	permPullsWrite  = "pull-requests: write"
	permIssuesRead  = "issues: read"
	permIssuesWrite = "issues: write"
)

package github

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
)

// Env is what a GitHub Actions run tells its steps through the
// environment (docs.github.com: "Variables" → "Default environment
// variables").
type Env struct {
	Actions     bool   // GITHUB_ACTIONS=true
	APIURL      string // GITHUB_API_URL: https://api.github.com, or GitHub Enterprise Server's
	ServerURL   string // GITHUB_SERVER_URL
	Repository  string // GITHUB_REPOSITORY: owner/name
	RunID       string // GITHUB_RUN_ID
	SHA         string // GITHUB_SHA
	EventName   string // GITHUB_EVENT_NAME
	EventPath   string // GITHUB_EVENT_PATH: the webhook payload
	StepSummary string // GITHUB_STEP_SUMMARY: this step's job summary file
	// Token is GITHUB_TOKEN, which a step only has when the workflow passes
	// it (env: GITHUB_TOKEN: ${{ github.token }}).
	Token string
}

// EnvFrom reads the run's environment.
func EnvFrom(getenv func(string) string) Env {
	api := getenv("GITHUB_API_URL")
	if api == "" {
		api = "https://api.github.com"
	}
	server := getenv("GITHUB_SERVER_URL")
	if server == "" {
		server = "https://github.com"
	}
	return Env{
		Actions: getenv("GITHUB_ACTIONS") == "true", APIURL: api, ServerURL: server,
		Repository: getenv("GITHUB_REPOSITORY"), RunID: getenv("GITHUB_RUN_ID"), SHA: getenv("GITHUB_SHA"),
		EventName: getenv("GITHUB_EVENT_NAME"), EventPath: getenv("GITHUB_EVENT_PATH"),
		StepSummary: getenv("GITHUB_STEP_SUMMARY"), Token: getenv("GITHUB_TOKEN"),
	}
}

// RunURL is the link to this workflow run, or "" outside Actions.
func (e Env) RunURL() string {
	if e.Repository == "" || e.RunID == "" {
		return ""
	}
	return strings.TrimSuffix(e.ServerURL, "/") + "/" + e.Repository + "/actions/runs/" + e.RunID
}

// ownerRepo splits GITHUB_REPOSITORY.
func (e Env) ownerRepo() (string, string, error) {
	owner, repo, ok := strings.Cut(e.Repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return "", "", fmt.Errorf("GITHUB_REPOSITORY %q is not owner/name (is this running in GitHub Actions?)", e.Repository)
	}
	return owner, repo, nil
}

// PullRequest is the number of the pull request the run's event is about
// (pull_request and pull_request_review events), or 0.
func (e Env) PullRequest() (int, error) {
	if e.EventPath == "" {
		return 0, nil
	}
	data, err := os.ReadFile(e.EventPath)
	if err != nil {
		return 0, fmt.Errorf("reading the event payload: %w", err)
	}
	var ev struct {
		PullRequest *struct {
			Number int `json:"number"`
		} `json:"pull_request"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		return 0, fmt.Errorf("reading the event payload %s: %w", e.EventPath, err)
	}
	if ev.PullRequest == nil {
		return 0, nil
	}
	return ev.PullRequest.Number, nil
}

// ErrNoSummary says the run has no job summary file to write to.
var ErrNoSummary = errors.New("not in GitHub Actions: no job summary")

// AppendSummary adds markdown to the step's job summary. A summary above
// what GitHub accepts is cut with a note, rather than lost with an error.
func (e Env) AppendSummary(markdown string) error {
	if !e.Actions || e.StepSummary == "" {
		return ErrNoSummary
	}
	used := 0
	if fi, err := os.Stat(e.StepSummary); err == nil {
		used = int(fi.Size())
	}
	if used >= SummaryLimit-1024 {
		return nil // nothing useful fits
	}
	text := Fit("", markdown, SummaryLimit-used-1, "See the job's log for the rest.")
	f, err := os.OpenFile(e.StepSummary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("job summary: %w", err)
	}
	if !strings.HasSuffix(text, "\n") {
		text += "\n"
	}
	_, werr := f.WriteString(text)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("job summary: %w", werr)
	}
	return nil
}

// short is a commit's first seven characters.
func short(sha string) string { return sha[:min(7, len(sha))] }

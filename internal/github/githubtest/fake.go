// Package githubtest is an in-memory stand-in for the part of GitHub's
// REST API that entrasync uses: the token's identity, issue and
// pull-request comments, issues, and the pull requests of a commit. It
// answers as GitHub does (status codes, error bodies, Link pagination,
// the 65,536-character body limit, and 403 with
// X-Accepted-GitHub-Permissions when the token lacks a permission), so
// tests exercise the real client, go-github, end to end.
package githubtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Comment is an issue or pull-request comment.
type Comment struct {
	ID     int64
	Number int // the issue or pull request
	User   string
	Body   string
}

// Issue is an issue or a pull request (GitHub lists both as issues).
type Issue struct {
	Number      int
	User        string
	Title, Body string
	State       string // open or closed
	StateReason string
	PullRequest bool
	// MergeCommit is the commit a merged pull request was merged as.
	MergeCommit string
	// Commits are the pull request's commits.
	Commits []string
}

// Fake is the fake API. Exported fields may be set before requests are
// made; read them back with Comments and Issues.
type Fake struct {
	// Token is the only bearer token accepted (401 otherwise).
	Token string
	// Login is the token's identity, shown as the author of what it writes.
	Login string
	// Integration makes GET /user refuse as it does for an Actions
	// GITHUB_TOKEN or an app installation token.
	Integration bool
	// Permissions the token holds, as GitHub names them: "issues",
	// "pull_requests" → "read" or "write". A missing entry is no access.
	Permissions map[string]string
	// PerPage caps page sizes, to exercise pagination with few items.
	PerPage int

	mu       sync.Mutex
	comments []Comment
	issues   []*Issue
	nextID   int64
	// Requests counts requests by "METHOD path".
	Requests map[string]int
}

// New starts a fake; Close the returned server when done.
func New() (*Fake, *httptest.Server) {
	f := &Fake{Token: "ghs_test", Login: "github-actions[bot]", Integration: true,
		Permissions: map[string]string{"issues": "write", "pull_requests": "write", "contents": "read"},
		PerPage:     100, nextID: 1000, Requests: map[string]int{}}
	return f, httptest.NewServer(f)
}

// SetPermission sets one of the token's permissions: "none", "read" or
// "write".
func (f *Fake) SetPermission(name, level string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if level == "none" {
		delete(f.Permissions, name)
		return
	}
	f.Permissions[name] = level
}

// AddIssue adds an issue or pull request written by someone.
func (f *Fake) AddIssue(is Issue) *Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	if is.State == "" {
		is.State = "open"
	}
	if is.Number == 0 {
		is.Number = len(f.issues) + 1
	}
	f.issues = append(f.issues, &is)
	return &is
}

// AddComment adds a comment written by someone.
func (f *Fake) AddComment(c Comment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	c.ID = f.nextID
	f.comments = append(f.comments, c)
}

// Comments returns the comments on number, oldest first.
func (f *Fake) Comments(number int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Comment
	for _, c := range f.comments {
		if c.Number == number {
			out = append(out, c)
		}
	}
	return out
}

// Issues returns copies of every issue and pull request.
func (f *Fake) Issues() []Issue {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Issue, len(f.issues))
	for i, is := range f.issues {
		out[i] = *is
	}
	return out
}

// bodyLimit is GitHub's limit on comment and issue bodies, in characters.
const bodyLimit = 65536

func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.Requests[r.Method+" "+r.URL.Path]++
	if r.Header.Get("Authorization") != "Bearer "+f.Token {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) == 1 && parts[0] == "user" && r.Method == http.MethodGet {
		if f.Integration {
			refuse(w, "https://docs.github.com/rest/users/users#get-the-authenticated-user", "")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"login": f.Login, "type": "User"})
		return
	}
	if len(parts) < 4 || parts[0] != "repos" {
		notFound(w)
		return
	}
	repo, rest := parts[1]+"/"+parts[2], parts[3:]
	switch {
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "comments" && r.Method == http.MethodGet:
		n, _ := strconv.Atoi(rest[1])
		if !f.can("pull_requests", "read") && !f.can("issues", "read") {
			refuse(w, "https://docs.github.com/rest/issues/comments#list-issue-comments", "issues=read; pull_requests=read")
			return
		}
		var page []any
		for _, c := range f.comments {
			if c.Number == n {
				page = append(page, f.commentJSON(repo, c))
			}
		}
		f.paginate(w, r, page)
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "comments" && r.Method == http.MethodPost:
		n, _ := strconv.Atoi(rest[1])
		is := f.issue(n)
		if is == nil {
			notFound(w)
			return
		}
		if !f.can("issues", "write") && !(is.PullRequest && f.can("pull_requests", "write")) {
			refuse(w, "https://docs.github.com/rest/issues/comments#create-an-issue-comment", "issues=write; pull_requests=write")
			return
		}
		body, ok := readBody(w, r, "IssueComment")
		if !ok {
			return
		}
		f.nextID++
		c := Comment{ID: f.nextID, Number: n, User: f.Login, Body: body["body"]}
		f.comments = append(f.comments, c)
		writeJSON(w, http.StatusCreated, f.commentJSON(repo, c))
	case len(rest) == 3 && rest[0] == "issues" && rest[1] == "comments" && r.Method == http.MethodPatch:
		id, _ := strconv.ParseInt(rest[2], 10, 64)
		for i, c := range f.comments {
			if c.ID != id {
				continue
			}
			is := f.issue(c.Number)
			if !f.can("issues", "write") && !(is != nil && is.PullRequest && f.can("pull_requests", "write")) {
				refuse(w, "https://docs.github.com/rest/issues/comments#update-an-issue-comment", "issues=write; pull_requests=write")
				return
			}
			if c.User != f.Login {
				// Editing someone else's comment needs maintain/admin on
				// the repository; a workflow token never has it.
				refuse(w, "https://docs.github.com/rest/issues/comments#update-an-issue-comment", "")
				return
			}
			body, ok := readBody(w, r, "IssueComment")
			if !ok {
				return
			}
			f.comments[i].Body = body["body"]
			writeJSON(w, http.StatusOK, f.commentJSON(repo, f.comments[i]))
			return
		}
		notFound(w)
	case len(rest) == 1 && rest[0] == "issues" && r.Method == http.MethodGet:
		if !f.can("issues", "read") {
			refuse(w, "https://docs.github.com/rest/issues/issues#list-repository-issues", "issues=read")
			return
		}
		state := r.URL.Query().Get("state")
		if state == "" {
			state = "open"
		}
		var page []any
		for _, is := range f.issues {
			if state == "all" || is.State == state {
				page = append(page, f.issueJSON(repo, is))
			}
		}
		f.paginate(w, r, page)
	case len(rest) == 1 && rest[0] == "issues" && r.Method == http.MethodPost:
		if !f.can("issues", "write") {
			refuse(w, "https://docs.github.com/rest/issues/issues#create-an-issue", "issues=write")
			return
		}
		body, ok := readBody(w, r, "Issue")
		if !ok {
			return
		}
		is := &Issue{Number: len(f.issues) + 1, User: f.Login, Title: body["title"], Body: body["body"], State: "open"}
		f.issues = append(f.issues, is)
		writeJSON(w, http.StatusCreated, f.issueJSON(repo, is))
	case len(rest) == 2 && rest[0] == "issues" && r.Method == http.MethodPatch:
		n, _ := strconv.Atoi(rest[1])
		is := f.issue(n)
		if is == nil {
			notFound(w)
			return
		}
		if !f.can("issues", "write") {
			refuse(w, "https://docs.github.com/rest/issues/issues#update-an-issue", "issues=write")
			return
		}
		body, ok := readBody(w, r, "Issue")
		if !ok {
			return
		}
		for k, v := range body {
			switch k {
			case "title":
				is.Title = v
			case "body":
				is.Body = v
			case "state":
				is.State = v
			case "state_reason":
				is.StateReason = v
			}
		}
		writeJSON(w, http.StatusOK, f.issueJSON(repo, is))
	case len(rest) == 3 && rest[0] == "commits" && rest[2] == "pulls" && r.Method == http.MethodGet:
		if !f.can("pull_requests", "read") && !f.can("contents", "read") {
			refuse(w, "https://docs.github.com/rest/commits/commits#list-pull-requests-associated-with-a-commit", "pull_requests=read")
			return
		}
		var page []any
		for _, is := range f.issues {
			if !is.PullRequest {
				continue
			}
			for _, sha := range append([]string{is.MergeCommit}, is.Commits...) {
				if sha == rest[1] {
					page = append(page, f.pullJSON(repo, is))
					break
				}
			}
		}
		f.paginate(w, r, page)
	default:
		notFound(w)
	}
}

func (f *Fake) can(perm, level string) bool {
	have := f.Permissions[perm]
	return have == "write" || (level == "read" && have == "read")
}

func (f *Fake) issue(n int) *Issue {
	for _, is := range f.issues {
		if is.Number == n {
			return is
		}
	}
	return nil
}

// paginate answers one page of items with GitHub's Link header.
func (f *Fake) paginate(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30 // GitHub's default page size
	}
	per = min(per, 100, f.PerPage)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	from := min((page-1)*per, len(items))
	to := min(from+per, len(items))
	if to < len(items) {
		next := *r.URL
		nq := next.Query()
		nq.Set("page", strconv.Itoa(page+1))
		next.RawQuery = nq.Encode()
		w.Header().Set("Link", fmt.Sprintf(`<http://%s%s>; rel="next"`, r.Host, next.RequestURI()))
	}
	out := items[from:to]
	if out == nil {
		out = []any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (f *Fake) commentJSON(repo string, c Comment) map[string]any {
	return map[string]any{"id": c.ID, "body": c.Body, "user": map[string]any{"login": c.User},
		"html_url": fmt.Sprintf("https://github.com/%s/issues/%d#issuecomment-%d", repo, c.Number, c.ID)}
}

func (f *Fake) issueJSON(repo string, is *Issue) map[string]any {
	m := map[string]any{"number": is.Number, "title": is.Title, "body": is.Body, "state": is.State,
		"user": map[string]any{"login": is.User}, "html_url": fmt.Sprintf("https://github.com/%s/issues/%d", repo, is.Number)}
	if is.StateReason != "" {
		m["state_reason"] = is.StateReason
	}
	if is.PullRequest {
		m["pull_request"] = map[string]any{"url": fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", repo, is.Number)}
	}
	return m
}

func (f *Fake) pullJSON(repo string, is *Issue) map[string]any {
	m := map[string]any{"number": is.Number, "title": is.Title, "state": is.State, "user": map[string]any{"login": is.User},
		"html_url": fmt.Sprintf("https://github.com/%s/pull/%d", repo, is.Number)}
	if is.MergeCommit != "" {
		m["merge_commit_sha"] = is.MergeCommit
		m["merged_at"] = "2026-11-24T10:00:00Z"
	}
	return m
}

// readBody decodes a JSON object of strings, refusing bodies over
// GitHub's limit with its 422.
func readBody(w http.ResponseWriter, r *http.Request, resource string) (map[string]string, bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Problems parsing JSON"})
		return nil, false
	}
	out := map[string]string{}
	for k, v := range body {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	if utf8.RuneCountInString(out["body"]) > bodyLimit {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"message": "Validation Failed",
			"errors": []map[string]string{{"resource": resource, "code": "custom", "field": "body",
				"message": fmt.Sprintf("body is too long (maximum is %d characters)", bodyLimit)}},
			"documentation_url": "https://docs.github.com/rest", "status": "422"})
		return nil, false
	}
	return out, true
}

// refuse is GitHub's answer to a token without the permission a call
// needs; accepted lists the permissions that would do.
func refuse(w http.ResponseWriter, doc, accepted string) {
	if accepted != "" {
		w.Header().Set("X-Accepted-GitHub-Permissions", accepted)
	}
	writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration", "documentation_url": doc, "status": "403"})
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

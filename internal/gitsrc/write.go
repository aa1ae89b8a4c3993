package gitsrc

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// CommitAll commits every file in dir, creating the repository on first
// use, with a fixed author and the given time (tests and demos use it to
// build repositories without a git binary, with stable hashes).
func CommitAll(dir, message string, when time.Time) (string, error) {
	repo, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.PlainInit(dir, false)
	}
	if err != nil {
		return "", err
	}
	wt, err := repo.Worktree()
	if err != nil {
		return "", err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return "", err
	}
	sig := &object.Signature{Name: "entrasync", Email: "entrasync@example.com", When: when}
	h, err := wt.Commit(message, &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	if err != nil {
		return "", err
	}
	return h.String(), nil
}

// Clone clones src into dst: bare, or shallow to depth (0 for all).
func Clone(src, dst string, bare bool, depth int) error {
	_, err := git.PlainClone(dst, bare, &git.CloneOptions{URL: "file://" + filepath.ToSlash(src), Depth: depth})
	if err != nil {
		return fmt.Errorf("clone %s: %w", src, err)
	}
	return nil
}

package gitsrc

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Snapshot is the set of CUE files of a repository at one revision.
type Snapshot struct {
	// Files maps slash-separated repository-relative paths to contents.
	Files map[string][]byte
	// Dir is the configuration directory relative to the repository root.
	Dir string
	// Commit is the full commit hash, or "" for the working tree.
	Commit string
	// Symlinks are .cue paths that are symbolic links: never read, in the
	// working tree or at a revision, so that both read the same.
	Symlinks []string
}

// Digest identifies what a snapshot holds (paths, contents, symbolic
// links), whatever commit it was read at: commits that did not touch
// the configuration share one.
func (s *Snapshot) Digest() string {
	h := sha256.New()
	for _, name := range slices.Sorted(maps.Keys(s.Files)) {
		fmt.Fprintf(h, "%d:%s%d:", len(name), name, len(s.Files[name]))
		h.Write(s.Files[name])
	}
	for _, l := range slices.Sorted(slices.Values(s.Symlinks)) {
		fmt.Fprintf(h, "link %d:%s", len(l), l)
	}
	fmt.Fprintf(h, "dir %d:%s", len(s.Dir), s.Dir)
	return hex.EncodeToString(h.Sum(nil))
}

// maxFileSize bounds a single CUE file; anything larger is almost certainly
// not hand-written configuration and would only exhaust memory.
const maxFileSize = 64 << 20

// Repo is an opened Git repository.
type Repo struct {
	repo *git.Repository
	// root is the working tree root on disk ("" for a bare repository).
	root string
}

// Open opens the repository that contains path, searching parent
// directories; a bare repository's own directory works too.
func Open(p string) (*Repo, error) {
	// The exact path first: DetectDotGit looks for a .git entry and so
	// never recognises a bare repository's own directory.
	r, err := git.PlainOpenWithOptions(p, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.PlainOpenWithOptions(p, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	}
	if err != nil {
		if errors.Is(err, git.ErrRepositoryNotExists) {
			return nil, fmt.Errorf("%s is not inside a Git repository (needed for --rev/--from/--to)", p)
		}
		return nil, fmt.Errorf("opening Git repository at %s: %w", p, err)
	}
	repo := &Repo{repo: r}
	if wt, err := r.Worktree(); err == nil {
		repo.root = wt.Filesystem.Root()
	}
	return repo, nil
}

// Root is the working tree root, or "" for a bare repository.
func (r *Repo) Root() string { return r.root }

// InTreeDir converts a directory on disk to its path inside the repository.
// For a bare repository dir is already an in-tree path.
func (r *Repo) InTreeDir(dir string) (string, error) {
	if r.root == "" {
		return cleanRel(dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	root, _ := filepath.EvalSymlinks(r.root)
	if resolved, err := filepath.EvalSymlinks(abs); err == nil {
		abs = resolved
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("%s is outside the repository at %s", dir, r.root)
	}
	return filepath.ToSlash(rel), nil
}

func cleanRel(dir string) (string, error) {
	d := path.Clean(filepath.ToSlash(dir))
	if path.IsAbs(d) || d == ".." || strings.HasPrefix(d, "../") {
		return "", fmt.Errorf("%s: in a bare repository, give the directory as a path inside the tree", dir)
	}
	return d, nil
}

// Resolve turns a revision (branch, tag, HEAD~1, a full or abbreviated
// hash) into a commit hash.
func (r *Repo) Resolve(rev string) (string, error) {
	h, err := r.repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil {
		return "", r.missing(rev, err)
	}
	if _, err := r.repo.CommitObject(*h); err != nil {
		return "", r.missing(rev, err)
	}
	return h.String(), nil
}

// HasCommit reports whether the commit is present (a shallow clone or a
// rewritten history may lack it). Only a full hash names a commit here:
// a recorded commit is data, never a revision expression such as
// "<hash>~1".
func (r *Repo) HasCommit(hash string) bool {
	if !IsCommitHash(hash) {
		return false
	}
	_, err := r.repo.CommitObject(plumbing.NewHash(hash))
	return err == nil
}

// IsCommitHash reports whether s is a full SHA-1 commit hash: exactly 40
// lower- or upper-case hex digits.
func IsCommitHash(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// Clean reports whether the working-tree snapshot holds exactly the CUE
// files of the commit at HEAD (both below the same root), ignoring hidden
// directories and node_modules, which the working-tree reader skips.
func (r *Repo) Clean(work *Snapshot) (head string, clean bool, err error) {
	at, err := r.Read("HEAD", work.Dir)
	if err != nil {
		return "", false, err
	}
	visible := func(files map[string][]byte) map[string]string {
		out := map[string]string{}
		for name, data := range files {
			if !skipped(name) {
				out[name] = string(data)
			}
		}
		return out
	}
	return at.Commit, maps.Equal(visible(at.Files), visible(work.Files)), nil
}

func skipped(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") || part == "node_modules" {
			return true
		}
	}
	return false
}

func (r *Repo) missing(rev string, err error) error {
	msg := fmt.Sprintf("revision %q is not in this repository", rev)
	if shallow, _ := r.repo.Storer.Shallow(); len(shallow) > 0 {
		msg += " (this is a shallow clone: fetch more history, e.g. git fetch --unshallow, or actions/checkout with fetch-depth: 0)"
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// Read collects the CUE files of the commit at rev.
func (r *Repo) Read(rev, dir string) (*Snapshot, error) {
	hash, err := r.Resolve(rev)
	if err != nil {
		return nil, err
	}
	c, err := r.repo.CommitObject(plumbing.NewHash(hash))
	if err != nil {
		return nil, r.missing(rev, err)
	}
	tree, err := c.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading tree of %s: %w", hash[:12], err)
	}
	files := map[string][]byte{}
	var links []string
	err = tree.Files().ForEach(func(f *object.File) error {
		if !wanted(f.Name) {
			return nil
		}
		if f.Mode == filemode.Symlink {
			links = append(links, f.Name)
			return nil
		}
		if f.Size > maxFileSize {
			return fmt.Errorf("%s is larger than %d MiB", f.Name, maxFileSize>>20)
		}
		s, err := f.Contents()
		if err != nil {
			return fmt.Errorf("reading %s at %s: %w", f.Name, hash[:12], err)
		}
		files[f.Name] = []byte(s)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Snapshot{Files: files, Dir: dir, Commit: hash, Symlinks: links}, nil
}

// wanted keeps CUE files, including cue.mod/module.cue and vendored
// packages, which the CUE loader needs to resolve imports.
func wanted(name string) bool {
	return strings.HasSuffix(name, ".cue")
}

// ReadWorkTree collects the CUE files below root from disk; dir is the
// configuration directory relative to root. Hidden directories (.git) and
// node_modules are skipped.
func ReadWorkTree(root, dir string) (*Snapshot, error) {
	files := map[string][]byte{}
	var links []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (strings.HasPrefix(name, ".") || name == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if wanted(name) && d.Type()&fs.ModeSymlink != 0 {
			rel, _ := filepath.Rel(root, p)
			links = append(links, filepath.ToSlash(rel))
			return nil
		}
		if !wanted(name) || !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Size() > maxFileSize {
			return fmt.Errorf("%s is larger than %d MiB", p, maxFileSize>>20)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Snapshot{Files: files, Dir: dir, Symlinks: links}, nil
}

// WorkTreeRoot picks the root a working-tree configuration is loaded from:
// the Git working tree root when dir is in one (so file names in
// diagnostics are repository-relative, as GitHub annotations need), else
// the nearest ancestor with a cue.mod directory, else dir itself. It
// returns the root and dir relative to it.
func WorkTreeRoot(dir string) (root, rel string, err error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", "", err
	}
	if st, err := os.Stat(abs); err != nil {
		return "", "", fmt.Errorf("configuration directory: %w", err)
	} else if !st.IsDir() {
		return "", "", fmt.Errorf("configuration directory %s is not a directory", dir)
	}
	root = ancestorWith(abs, ".git")
	if root == "" {
		root = ancestorWith(abs, "cue.mod")
	}
	if root == "" {
		root = abs
	}
	rel, _ = filepath.Rel(root, abs)
	return root, filepath.ToSlash(rel), nil
}

func ancestorWith(dir, name string) string {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, name)); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

package cli

import (
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/gitsrc"
	"github.com/entrasync/entrasync/internal/validate"
)

// sourceFlags select a configuration: a directory, read from the working
// tree or from a Git revision.
type sourceFlags struct {
	dir  string // Configuration directory.
	repo string // Git repository; defaults to the one containing dir.
}

func (f *sourceFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.dir, "dir", ".", "directory of the configuration's CUE package")
	cmd.Flags().StringVar(&f.repo, "repo", "", "Git repository to read revisions from (default: the one containing --dir; with --repo, --dir is a path inside the repository, which also works for bare clones)")
}

// loaded is a configuration read from one revision.
type loaded struct {
	cfg    *config.Config
	commit string // "" for the working tree
	diags  diag.Diagnostics
	// absent is set when the revision has no CUE files in the directory
	// at all (the change that adds a configuration); cfg is then nil.
	absent bool
	// dirty is set when the working tree's CUE files differ from HEAD's;
	// commit is then HEAD's.
	dirty bool
}

// open opens the Git repository for revision reads and returns the
// configuration directory inside it.
func (f *sourceFlags) open() (*gitsrc.Repo, string, error) {
	at := f.repo
	if at == "" {
		at = f.dir
	}
	r, err := gitsrc.Open(at)
	if err != nil {
		return nil, "", err
	}
	dir := f.dir
	if f.repo != "" && r.Root() != "" {
		// An explicit non-bare --repo: --dir is a path inside it.
		dir = filepath.Join(r.Root(), f.dir)
	}
	inTree, err := r.InTreeDir(dir)
	return r, inTree, err
}

// load reads, unifies and checks the configuration at rev ("" for the
// working tree). Diagnostics are returned, not printed.
func (f *sourceFlags) load(rev string) (*loaded, error) {
	var snap *gitsrc.Snapshot
	dirty := false
	if rev == "" && f.repo == "" {
		root, rel, err := gitsrc.WorkTreeRoot(f.dir)
		if err != nil {
			return nil, err
		}
		if snap, err = gitsrc.ReadWorkTree(root, rel); err != nil {
			return nil, err
		}
		// The working tree of a Git repository records HEAD's commit when
		// it holds exactly HEAD's configuration, so the next incremental
		// run can compare with it; otherwise it is dirty.
		if r, err := gitsrc.Open(root); err == nil && r.Root() != "" {
			if head, clean, err := r.Clean(snap); err == nil {
				dirty = !clean
				snap.Commit = head
			}
		}
	} else {
		if rev == "" {
			rev = "HEAD"
		}
		r, dir, err := f.open()
		if err != nil {
			return nil, err
		}
		if snap, err = r.Read(rev, dir); err != nil {
			return nil, err
		}
	}
	files := config.Files{Files: snap.Files, Dir: snap.Dir, Symlinks: snap.Symlinks}
	cfg, partial, ds := config.LoadAll(files)
	switch {
	case cfg != nil:
		ds = append(ds, validate.Desired(cfg.Desired, cfg.Locate)...)
	case partial != nil:
		// Schema and semantic errors in one pass; a semantic error at the
		// same place as a schema error would only repeat it.
		for _, d := range validate.Desired(partial.Desired, partial.Locate) {
			if !slices.ContainsFunc(ds, func(x diag.Diagnostic) bool { return sameSubject(x.Subject, d.Subject) }) {
				ds = append(ds, d)
			}
		}
	}
	ds.Sort()
	return &loaded{cfg: cfg, commit: snap.Commit, diags: ds, absent: !config.HasPackage(files), dirty: dirty}, nil
}

func sameSubject(a, b *diag.Range) bool {
	return a != nil && b != nil && a.Filename == b.Filename && a.Start.Line == b.Start.Line && a.Start.Column == b.Start.Column
}

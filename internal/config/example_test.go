package config_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/validate"
)

// readDir returns the .cue files of a directory as a snapshot rooted there.
func readDir(t testing.TB, dir string) config.Files {
	t.Helper()
	files := map[string][]byte{}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(m)] = data
	}
	return config.Files{Files: files, Dir: "."}
}

func TestExampleContosoIsValid(t *testing.T) {
	cfg, ds := config.Load(readDir(t, "../../examples/contoso"))
	if ds.HasErrors() {
		t.Fatalf("load: %v", ds.Err())
	}
	if vds := validate.Desired(cfg.Desired, cfg.Locate); len(vds) > 0 {
		t.Fatalf("validate: %v", vds)
	}
	d := cfg.Desired
	if n := len(d.Groups); n < 8 {
		t.Errorf("example declares %d groups, want at least 8", n)
	}
	if g := d.Groups["sg-finance"]; g.MailNickname != "sg-finance" || g.Membership.Mode != "full" {
		t.Errorf("sg-finance decoded as %+v", g)
	}
	if g := d.Groups["sg-finance-leads"]; g.Membership.Mode != "incremental" || g.Kind != "security" {
		t.Errorf("defaults not applied: %+v", g)
	}
	if j := d.CrossTenant.SyncJobs["to-fabrikam"]; j.TemplateID != "Azure2Azure" || !j.AttributeMappings["mobilePhone"].Remove {
		t.Errorf("sync job decoded as %+v", j)
	}
	if r := cfg.Locate(`groups."sg-finance".owners[1]`); r == nil || r.Filename != "groups.cue" {
		t.Errorf("Locate owners[1] = %v", r)
	}
}

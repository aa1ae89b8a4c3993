package config_test

import (
	"testing"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/validate"
)

// FuzzLoad feeds arbitrary text to the loader and the validator: invalid
// input must come back as diagnostics, never as a panic, and every error
// must say where it is when it is about a user file.
func FuzzLoad(f *testing.F) {
	seeds := []string{
		"package cfg\ntenant: id: \"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10\"\n",
		"package cfg\ngroups: a: {displayName: \"A\", membership: {mode: \"full\", users: [\"a@b.co\"], groups: [\"a\"]}}\n",
		"package cfg\ngroups: d: {displayName: \"D\", dynamicRule: \"user.x -eq \\\"y\\\"\", membership: from: [{users: \"a eq 'b'\"}]}\n",
		"package cfg\ncrossTenant: syncJobs: j: {displayName: \"J\", targetTenantId: \"x\", schedule: interval: \"PT\"}\n",
		"package cfg\nimport \"github.com/entrasync/entrasync/schema\"\nschema.#Config\n",
		"package cfg\ngroups: [string]: owners: [...]\n",
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		cfg, ds := config.Load(config.Files{Files: map[string][]byte{"c.cue": []byte(src)}, Dir: "."})
		if cfg == nil && !ds.HasErrors() {
			t.Fatal("no configuration and no error")
		}
		if cfg != nil {
			ds = append(ds, validate.Desired(cfg.Desired, cfg.Locate)...)
		}
		for _, d := range ds {
			if d.Summary == "" {
				t.Fatalf("diagnostic without a summary: %+v", d)
			}
		}
	})
}

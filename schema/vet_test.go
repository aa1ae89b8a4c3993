package schema_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/load"

	"github.com/entrasync/entrasync/schema"
)

// vet does what `cue vet` does to a user's package that imports the
// vendored schema: load it from disk with CUE alone (no entrasync
// overlay), and check it is concrete and valid.
func vet(t *testing.T, config string) error {
	t.Helper()
	root := t.TempDir()
	write := func(name, data string) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cue.mod/module.cue", "module: \"contoso.com/entra@v0\"\nlanguage: version: \"v0.12.0\"\n")
	write(filepath.Join("cue.mod/pkg", schema.ImportPath, "entrasync.cue"), string(schema.Source))
	write("config.cue", config)
	insts := load.Instances([]string{"."}, &load.Config{Dir: root, Env: []string{}})
	if err := insts[0].Err; err != nil {
		return err
	}
	v := cuecontext.New().BuildInstance(insts[0])
	if err := v.Err(); err != nil {
		return err
	}
	return v.Validate(cue.Concrete(true))
}

// wrap is the documented pattern: the file's declarations unified with
// schema.#Config. (Embedding schema.#Config beside the declarations does
// not close the file under CUE v0.17, so misspellings would pass cue vet.)
func wrap(decls string) string {
	return `package entra

import "github.com/entrasync/entrasync/schema"

schema.#Config & {
	tenant: id: "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"
	` + decls + `
}
`
}

func TestVendoredSchemaVetsUserPackage(t *testing.T) {
	if err := vet(t, wrap(`groups: a: {displayName: "A", membership: users: ["a@contoso.com"]}`)); err != nil {
		t.Fatalf("valid package: %v", err)
	}
	err := vet(t, wrap(`groups: a: {displayName: "A", securityEnabld: true}`))
	if err == nil || !strings.Contains(err.Error(), "securityEnabld: field not allowed") {
		t.Fatalf("misspelled field: got %v", err)
	}
	err = vet(t, wrap(`groups: a: {kind: "security"}`))
	if err == nil || !strings.Contains(err.Error(), "displayName") {
		t.Fatalf("missing displayName: got %v", err)
	}
}

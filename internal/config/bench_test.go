package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/validate"
)

// generated writes a configuration of n groups with refs user references
// each (spread over 50 files, as a large tenant's repository would be), and
// every tenth group nesting the previous one.
func generated(groups, refs int) config.Files {
	files := map[string][]byte{}
	perFile := groups / 50
	for f := 0; f < 50; f++ {
		var b strings.Builder
		b.WriteString("package cfg\n")
		if f == 0 {
			b.WriteString("tenant: id: \"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10\"\n")
		}
		for g := f * perFile; g < (f+1)*perFile; g++ {
			fmt.Fprintf(&b, "groups: \"g%05d\": {\n\tdisplayName: \"Group %d\"\n\towners: [\"owner%d@contoso.com\"]\n\tmembership: {\n\t\tmode: \"full\"\n\t\tusers: [", g, g, g%100)
			for r := 0; r < refs; r++ {
				if r > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "\"u%06d@contoso.com\"", (g*refs+r)%100000)
			}
			b.WriteString("]\n")
			if g%10 == 9 {
				fmt.Fprintf(&b, "\t\tgroups: [\"g%05d\"]\n", g-1)
			}
			b.WriteString("\t}\n}\n")
		}
		files[fmt.Sprintf("groups%02d.cue", f)] = []byte(b.String())
	}
	return config.Files{Files: files, Dir: "."}
}

// BenchmarkValidate10k validates 10,000 groups with 200,000 member
// references. Plain CUE unification of this configuration with the schema
// takes about 3.5 s and 1 GB; member lists taken out of CUE (lists.go)
// and groups evaluated in parts on every core (parts.go) bring it to
// about 1.3 s and 600 MB allocated (the target is 2 s and 600 MB).
func BenchmarkValidate10k(b *testing.B) {
	files := generated(10000, 20)
	size := 0
	for _, f := range files.Files {
		size += len(f)
	}
	b.ReportMetric(float64(size)/1e6, "MB-of-CUE")
	b.ReportAllocs()
	for b.Loop() {
		cfg, ds := config.Load(files)
		if ds.HasErrors() {
			b.Fatal(ds.Err())
		}
		if vds := validate.Desired(cfg.Desired, cfg.Locate); vds.HasErrors() {
			b.Fatal(vds.Err())
		}
	}
}

func TestGeneratedIsValid(t *testing.T) {
	cfg, ds := config.Load(generated(100, 3))
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	if vds := validate.Desired(cfg.Desired, cfg.Locate); len(vds) > 0 {
		t.Fatal(vds)
	}
	if len(cfg.Desired.Groups) != 100 {
		t.Fatalf("%d groups", len(cfg.Desired.Groups))
	}
}

package config

import (
	"path"
	"slices"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/model"
)

// checkFiles reports the .cue files the loader would otherwise ignore
// without a word, the same whether they come from the working tree or a
// revision: a file of the configuration directory without a package
// clause (an error: what it declares is not applied), files in its
// subdirectories (a warning: entrasync reads only the directory), and
// symbolic links (an error: only regular files are read).
func checkFiles(files Files, dir string) diag.Diagnostics {
	var ds diag.Diagnostics
	for _, name := range files.Symlinks {
		if strings.HasSuffix(name, ".cue") && inside(name, dir) {
			ds.Errorf(fileStart(name), "", "%s is a symbolic link; entrasync reads only regular files, so what it points to is not part of the configuration", name)
		}
	}
	for _, name := range slices.Sorted(mapKeys(files.Files)) {
		if !strings.HasSuffix(name, ".cue") || !inside(name, dir) || strings.Contains("/"+name, "/cue.mod/") {
			continue
		}
		if path.Dir(name) != dir {
			ds.Warnf(fileStart(name), "", "%s is in a subdirectory of %s; entrasync reads only the configuration directory, so it is not applied", name, displayDir(dir))
			continue
		}
		// The package clause is all this needs; the loader parses the
		// rest, once.
		f, err := parser.ParseFile(name, files.Files[name], parser.PackageClauseOnly)
		if err != nil {
			continue // the loader reports syntax errors with their positions
		}
		if f.PackageName() == "" {
			ds.Errorf(fileStart(name), "",
				"%s has no package clause, so CUE leaves it out of the configuration; start it with the package the other files use", name)
		}
	}
	return ds
}

// checkGroupKeys warns about a group key declared in more than one of the
// package's files, naming both: CUE merges them into one group, which is
// rarely what was meant.
func checkGroupKeys(parsed []*ast.File) diag.Diagnostics {
	var ds diag.Diagnostics
	byName := map[string]*ast.File{}
	var names []string
	for _, f := range parsed {
		if name, ok := userFile(f.Filename); ok {
			byName[name] = f
			names = append(names, name)
		}
	}
	slices.Sort(names)
	keys := map[string]*diag.Range{}
	for _, name := range names {
		for _, k := range groupKeys(byName[name]) {
			r := &diag.Range{Filename: name, Start: toPos(k.pos), End: toPos(k.pos)}
			first, dup := keys[k.name]
			switch {
			case !dup:
				keys[k.name] = r
			case first.Filename != name:
				ds.Warnf(r, model.Path("groups", k.name), "groups.%s is also declared in %s; CUE merges both into one group", k.name, first.Filename)
			}
		}
	}
	return ds
}

// fileStart is the position of a file as a whole: its first character.
func fileStart(name string) *diag.Range {
	return &diag.Range{Filename: name, Start: diag.Pos{Line: 1, Column: 1}, End: diag.Pos{Line: 1, Column: 1}}
}

func inside(name, dir string) bool {
	return dir == "." || strings.HasPrefix(name, dir+"/")
}

type keyAt struct {
	name string
	pos  token.Pos
}

// groupKeys lists the group keys a file declares at the top level, in
// either form: groups: a: {…} or groups: {a: {…}}.
func groupKeys(f *ast.File) []keyAt {
	var out []keyAt
	for _, d := range f.Decls {
		field, ok := d.(*ast.Field)
		if !ok || labelName(field.Label) != "groups" {
			continue
		}
		st, ok := field.Value.(*ast.StructLit)
		if !ok {
			continue
		}
		for _, e := range st.Elts {
			if g, ok := e.(*ast.Field); ok {
				if name := labelName(g.Label); name != "" {
					out = append(out, keyAt{name, g.Label.Pos()})
				}
			}
		}
	}
	return out
}

func labelName(l ast.Label) string {
	name, _, err := ast.LabelName(l)
	if err != nil {
		return ""
	}
	return name
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

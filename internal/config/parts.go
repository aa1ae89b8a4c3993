package config

import (
	"encoding/json"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/cuecontext"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/schema"
)

// CUE evaluates one package on one core, and holds all of it in memory
// until the value is dropped. When groups are separable (no reference
// reaches from one group into another, packageScan.separable), the
// package is evaluated in parts: each part is the whole package with only
// its share of the groups, evaluated in a context of its own, and freed
// once decoded. Everything outside groups is in every part, so each part
// is checked against the schema exactly as the whole would be.
//
// The parts share the package's syntax tree. A part is compiled by
// swapping, in the declaration lists that hold groups, the declarations
// for the part's own; no node is copied, so every identifier keeps the
// scope it was resolved in and every position stays where it was.
// Compiling is the only step that reads the tree's structure (evaluation
// reads positions only), so the parts are compiled one after another and
// evaluated in parallel. When a part has
// errors, the whole package is evaluated instead, so that errors are
// reported as CUE reports them on the whole (a compile error there hides
// the rest), with the values as written for the semantic checks.

// defaultPartSize is the number of groups in one part. Smaller parts lower
// the peak memory and repeat the rest of the package more often.
const defaultPartSize = 1000

// split is a package divided into parts.
type split struct {
	inst  *build.Instance
	parts int
	swaps []swap
}

// swap is a declaration list that holds groups, and what it holds in each
// part.
type swap struct {
	at    *[]ast.Decl
	whole []ast.Decl
	parts [][]ast.Decl
}

// splitParts divides the package into parts of size groups by key; nil
// when the groups are not separable or too few to divide.
func splitParts(inst *build.Instance, scan *packageScan, size int) *split {
	if size <= 0 || len(scan.groupDecls) <= size || !scan.separable() {
		return nil
	}
	keys := slices.Sorted(mapKeys(scan.groupDecls))
	partOf := make(map[string]int, len(keys))
	for i, k := range keys {
		partOf[k] = i / size
	}
	s := &split{inst: inst, parts: (len(keys) + size - 1) / size}
	for _, f := range inst.Files {
		s.divide(&f.Decls, partOf)
	}
	return s
}

// divide records what each part keeps of the declaration list at: a
// groups field whose groups are all in one part only in that part (so
// that a file of 10,000 groups: k: {…} does not leave each part 10,000
// groups: {} to unify), a groups field of several parts' groups in every
// part with its own groups swapped in turn, and everything else in every
// part. Embedded structs (schema.#Config & {…}) are divided likewise.
func (s *split) divide(at *[]ast.Decl, partOf map[string]int) {
	sw := swap{at: at, whole: *at, parts: make([][]ast.Decl, s.parts)}
	for _, d := range *at {
		only := -1
		switch d := d.(type) {
		case *ast.Field:
			if name, _ := plainLabel(d.Label); name == "groups" {
				st := d.Value.(*ast.StructLit) // packageScan.topLevel made sure
				if only = s.onlyPart(st.Elts, partOf); only < 0 {
					s.divideGroups(st, partOf)
				}
			}
		case *ast.EmbedDecl:
			s.divideEmbedded(d.Expr, partOf)
		}
		for i := range sw.parts {
			if only < 0 || only == i {
				sw.parts[i] = append(sw.parts[i], d)
			}
		}
	}
	s.swaps = append(s.swaps, sw)
}

// onlyPart is the part all the groups in elts are in, or -1.
func (s *split) onlyPart(elts []ast.Decl, partOf map[string]int) int {
	only := -1
	for _, e := range elts {
		f, ok := e.(*ast.Field)
		if !ok {
			continue
		}
		key, _ := plainLabel(f.Label)
		switch p := partOf[key]; {
		case only < 0:
			only = p
		case only != p:
			return -1
		}
	}
	return only
}

func (s *split) divideGroups(st *ast.StructLit, partOf map[string]int) {
	sw := swap{at: &st.Elts, whole: st.Elts, parts: make([][]ast.Decl, s.parts)}
	for _, e := range st.Elts {
		for i := range sw.parts {
			f, ok := e.(*ast.Field)
			if key, _ := plainLabel(f.Label); !ok || partOf[key] == i {
				sw.parts[i] = append(sw.parts[i], e)
			}
		}
	}
	s.swaps = append(s.swaps, sw)
}

func (s *split) divideEmbedded(x ast.Expr, partOf map[string]int) {
	switch x := x.(type) {
	case *ast.StructLit:
		s.divide(&x.Elts, partOf)
	case *ast.BinaryExpr:
		s.divideEmbedded(x.X, partOf)
		s.divideEmbedded(x.Y, partOf)
	}
}

// build compiles part i.
func (s *split) build(i int) compiled {
	for _, sw := range s.swaps {
		*sw.at = sw.parts[i]
	}
	defer func() {
		for _, sw := range s.swaps {
			*sw.at = sw.whole
		}
	}()
	return compile(s.inst)
}

// evaluate compiles the parts one after another and evaluates them as
// many at once as there are cores, a batch at a time; the configuration
// they make together, or nil when a part has errors. Compiling swaps
// declarations that evaluation reads positions from (ast.File.Pos reads
// the first declaration), so the two never overlap. Only a batch is held
// in memory at once.
func (s *split) evaluate() *model.Desired {
	var desired *model.Desired
	batch := runtime.GOMAXPROCS(0)
	for start := 0; start < s.parts; start += batch {
		var compiledParts []compiled
		for i := start; i < min(start+batch, s.parts); i++ {
			compiledParts = append(compiledParts, s.build(i))
		}
		results := make([]partResult, len(compiledParts))
		var g sync.WaitGroup
		for i, c := range compiledParts {
			g.Go(func() { results[i] = c.evaluate() })
		}
		g.Wait()
		for _, r := range results {
			switch {
			case r.desired == nil:
				return nil
			case desired == nil:
				desired = r.desired
			default:
				if desired.Groups == nil {
					desired.Groups = map[string]model.Group{}
				}
				maps.Copy(desired.Groups, r.desired.Groups)
			}
		}
	}
	return desired
}

// partResult is the package or a part evaluated: its configuration, or
// its diagnostics and its values decoded without the schema.
type partResult struct {
	desired *model.Desired
	// relaxed is the values decoded without the schema, when there are
	// errors.
	relaxed *model.Desired
	ds      diag.Diagnostics
	// user is the package as the user wrote it.
	user cue.Value
}

// compiled is a package or a part built, not yet unified with the
// schema.
type compiled struct {
	root, user cue.Value
}

func compile(inst *build.Instance) compiled {
	ctx := cuecontext.New()
	return compiled{root: compileSchema(ctx), user: ctx.BuildInstance(inst)}
}

// evaluate unifies the user's values with the schema and decodes them.
func (c compiled) evaluate() partResult {
	user := c.user
	unified := c.root.Unify(user)
	var ds diag.Diagnostics
	if err := unified.Validate(cue.Concrete(true)); err != nil {
		ds = fromCUE(err, user)
	} else if err := user.Err(); err != nil {
		ds = fromCUE(err, user)
	}
	if ds.HasErrors() {
		return partResult{ds: ds, relaxed: relaxed(user), user: user}
	}
	// MarshalJSON + encoding/json is about 3x faster than Value.Decode on
	// large configurations (measured on 10,000 groups).
	data, err := unified.MarshalJSON()
	if err != nil {
		return partResult{ds: fromCUE(err, user), user: user}
	}
	var d model.Desired
	if err := json.Unmarshal(data, &d); err != nil {
		ds.Errorf(nil, "", "decoding configuration: %v", err)
		return partResult{ds: ds, user: user}
	}
	if err := model.AttachDeclared(&d, data); err != nil {
		ds.Errorf(nil, "", "decoding configuration: %v", err)
		return partResult{ds: ds, user: user}
	}
	return partResult{desired: &d, user: user}
}

func compileSchema(ctx *cue.Context) cue.Value {
	sv := ctx.CompileBytes(schema.Source, cue.Filename(schema.Filename))
	if err := sv.Err(); err != nil {
		// The schema is embedded and tested; this is a build defect.
		panic(fmt.Sprintf("config: embedded schema does not compile: %v", err))
	}
	return sv.LookupPath(cue.ParsePath(schema.Root))
}

// locator finds the source of a configuration path: in a member list
// taken out of CUE, or in the package as the user wrote it, before
// unification with the schema, whose positions are all in user files.
// After a load without errors the package is built again on first use:
// keeping it would keep its syntax tree and values, most of the memory a
// large configuration takes, for diagnostics few runs have.
type locator struct {
	lists   literalLists
	files   map[string][]byte
	rebuild func() cue.Value

	mu    sync.Mutex
	user  cue.Value
	lines map[string]*lineIndex
}

func (l *locator) locate(p string) *diag.Range {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.lists.locate(p, l.lineIndex); ok {
		return r
	}
	if !l.user.Exists() {
		l.user = l.rebuild()
	}
	return locate(l.user, p)
}

func (l *locator) lineIndex(file string) *lineIndex {
	src, ok := l.files[file]
	if !ok {
		return nil
	}
	if l.lines == nil {
		l.lines = map[string]*lineIndex{}
	}
	if l.lines[file] == nil {
		l.lines[file] = newLineIndex(src)
	}
	return l.lines[file]
}

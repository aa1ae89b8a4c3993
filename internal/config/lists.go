package config

import (
	"sort"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/model"
)

// Member lists are most of a large configuration: CUE spends about two
// thirds of a 10,000-group, 200,000-reference load unifying each reference
// with the schema and marshalling it back, and most of the memory. A list
// written as plain string literals at groups.<key>.membership.<kind> has
// no CUE meaning beyond its strings, so it is taken out of the syntax tree
// before evaluation (CUE sees []) and put back into the decoded
// configuration, element positions kept for diagnostics.
//
// The result must always be what CUE would have given, so a list is taken
// out only when nothing in CUE could observe or constrain it:
//   - every declaration on its path (groups, groups.<key>,
//     groups.<key>.membership) is a struct literal of plainly labelled
//     fields: no embedding, comprehension, pattern, dynamic label or alias
//     can add to it, and no top-level pattern, comprehension or embedding
//     other than an imported definition (schema.#Config & {…}) can reach
//     groups;
//   - the list is declared once, as a regular field;
//   - no identifier anywhere names a field on its path (groups, the group
//     key, membership, users…), so no reference, comprehension or let can
//     read it; CUE references are lexical, and there is no other way in;
//   - every element is a non-empty string literal, which the schema's
//     element constraint (string & strings.MinRunes(1), checked by a test)
//     accepts. A list with anything else stays in, and CUE reports it as
//     it always has.

// memberListKinds are the membership lists that may be taken out.
var memberListKinds = map[string]bool{"users": true, "groups": true, "devices": true, "servicePrincipals": true}

// literalList is a member list taken out of the syntax tree.
type literalList struct {
	values []string
	// file and at say where each value was written: byte offsets, not the
	// literals or CUE positions (which hold the syntax tree and a copy of
	// the source), so that all of CUE's memory is freed after loading.
	file string
	at   []litSpan
}

// litSpan is where a literal is in its file: its offset and its length
// in bytes.
type litSpan struct{ off, n int32 }

// listAt addresses a member list: groups.<group>.membership.<kind>.
type listAt struct{ group, kind string }

// literalLists are the lists taken out of one load.
type literalLists map[listAt]*literalList

// packageScan is what the package's syntax says about how its groups can
// be reached.
type packageScan struct {
	// plain: groups is declared only as struct literals of plainly
	// labelled fields, and nothing else at the top level can add to it.
	plain      bool
	groupDecls map[string][]ast.Expr
	// referenced holds the identifiers, among groups, the group keys,
	// membership and the member list kinds, that some reference uses;
	// "" when an alias is declared (an alias can name anything).
	referenced map[string]bool
}

func scanPackage(files []*ast.File) *packageScan {
	s := &packageScan{plain: true, groupDecls: map[string][]ast.Expr{}}
	for _, f := range files {
		if !s.topLevel(f, f.Decls) {
			s.plain = false
			break
		}
	}
	names := map[string]bool{"groups": true, "membership": true}
	for kind := range memberListKinds {
		names[kind] = true
	}
	for key := range s.groupDecls {
		names[key] = true
	}
	s.referenced = referenced(files, names)
	return s
}

// separable reports whether each group's value depends on nothing of
// another group's, so that groups may be evaluated apart (parts.go).
func (s *packageScan) separable() bool {
	if !s.plain || s.referenced[""] || s.referenced["groups"] {
		return false
	}
	for key := range s.groupDecls {
		if s.referenced[key] {
			return false
		}
	}
	return true
}

// takeLiteralLists removes every member list that is safe to check
// outside CUE (see above) from the syntax tree, and returns them.
func (s *packageScan) takeLiteralLists() literalLists {
	if !s.separable() || s.referenced["membership"] {
		return nil
	}
	for kind := range memberListKinds {
		if s.referenced[kind] {
			return nil
		}
	}
	candidates := map[listAt][]*ast.Field{}
	for key, decls := range s.groupDecls {
		fields, ok := plainFields(decls)
		if !ok {
			continue
		}
		var memberships []ast.Expr
		for _, f := range fields {
			if n, _ := plainLabel(f.Label); n == "membership" {
				memberships = append(memberships, f.Value)
			}
		}
		lists, ok := plainFields(memberships)
		if !ok {
			continue
		}
		for _, f := range lists {
			if kind, _ := plainLabel(f.Label); memberListKinds[kind] {
				at := listAt{key, kind}
				candidates[at] = append(candidates[at], f)
			}
		}
	}
	out := literalLists{}
	for at, fields := range candidates {
		if len(fields) != 1 || fields[0].Constraint != token.ILLEGAL {
			continue
		}
		list, ok := fields[0].Value.(*ast.ListLit)
		if !ok {
			continue
		}
		values, lits, ok := nonEmptyStrings(list)
		if !ok {
			continue
		}
		file, ok := userFile(list.Pos().Filename())
		if !ok {
			continue
		}
		spans := make([]litSpan, len(lits))
		for i, lit := range lits {
			spans[i] = litSpan{int32(lit.Pos().Offset()), int32(len(lit.Value))}
		}
		out[at] = &literalList{values: values, file: file, at: spans}
		list.Elts = nil
	}
	return out
}

// topLevel walks a file's (or a top-level embedded struct's) declarations;
// false when something there could add to groups.
func (s *packageScan) topLevel(f *ast.File, decls []ast.Decl) bool {
	for _, d := range decls {
		switch d := d.(type) {
		case *ast.Package, *ast.ImportDecl, *ast.Attribute, *ast.CommentGroup, *ast.LetClause:
		case *ast.Field:
			name, ok := plainLabel(d.Label)
			if !ok {
				return false
			}
			if name != "groups" {
				continue
			}
			fields, ok := plainFields([]ast.Expr{d.Value})
			if !ok {
				return false
			}
			for _, g := range fields {
				key, _ := plainLabel(g.Label)
				s.groupDecls[key] = append(s.groupDecls[key], g.Value)
			}
		case *ast.EmbedDecl:
			if !s.embedded(f, d.Expr) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// embedded accepts the forms a file embeds at its top level that cannot
// reach groups by themselves: a struct literal, an imported definition
// (schema.#Config), and their conjunction.
func (s *packageScan) embedded(f *ast.File, x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.StructLit:
		return s.topLevel(f, x.Elts)
	case *ast.BinaryExpr:
		return x.Op == token.AND && s.embedded(f, x.X) && s.embedded(f, x.Y)
	case *ast.SelectorExpr:
		pkg, ok := x.X.(*ast.Ident)
		return ok && importsName(f, pkg.Name)
	}
	return false
}

func importsName(f *ast.File, name string) bool {
	for spec := range f.ImportSpecs() {
		local := ""
		if spec.Name != nil {
			local = spec.Name.Name
		} else if p, err := literal.Unquote(spec.Path.Value); err == nil {
			local = ast.ParseImportPath(p).Qualifier
		}
		if local == name {
			return true
		}
	}
	return false
}

// plainFields returns the fields of values that are all struct literals
// holding only plainly labelled fields; false otherwise.
func plainFields(values []ast.Expr) ([]*ast.Field, bool) {
	var out []*ast.Field
	for _, v := range values {
		st, ok := v.(*ast.StructLit)
		if !ok {
			return nil, false
		}
		for _, e := range st.Elts {
			switch e := e.(type) {
			case *ast.Field:
				if _, ok := plainLabel(e.Label); !ok {
					return nil, false
				}
				out = append(out, e)
			case *ast.CommentGroup, *ast.Attribute:
			default:
				return nil, false
			}
		}
	}
	return out, true
}

// plainLabel is a label's name when it is an identifier or a string
// literal: not a pattern, an alias, a dynamic or interpolated label.
func plainLabel(l ast.Label) (string, bool) {
	switch l.(type) {
	case *ast.Ident, *ast.BasicLit:
	default:
		return "", false
	}
	name, _, err := ast.LabelName(l)
	return name, err == nil
}

// referenced returns those of names that an identifier in files uses as
// a reference (not as a field label or a selector's field name), and ""
// when an alias is declared.
func referenced(files []*ast.File, names map[string]bool) map[string]bool {
	found := map[string]bool{}
	for _, f := range files {
		notRef := map[*ast.Ident]bool{}
		ast.Walk(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ListLit:
				// A list of literals holds no identifier; member lists are
				// most of the tree.
				if onlyLiterals(n) {
					return false
				}
			case *ast.Field:
				if id, ok := n.Label.(*ast.Ident); ok {
					notRef[id] = true
				}
			case *ast.SelectorExpr:
				if id, ok := n.Sel.(*ast.Ident); ok {
					notRef[id] = true
				}
			case *ast.ImportSpec:
				return false
			case *ast.Alias:
				found[""] = true
			case *ast.Ident:
				if !notRef[n] && names[n.Name] {
					found[n.Name] = true
				}
			}
			return true
		}, nil)
	}
	return found
}

func onlyLiterals(list *ast.ListLit) bool {
	for _, e := range list.Elts {
		if _, ok := e.(*ast.BasicLit); !ok {
			return false
		}
	}
	return true
}

// nonEmptyStrings returns a list literal's values when every element is a
// string literal that is not empty.
func nonEmptyStrings(list *ast.ListLit) ([]string, []*ast.BasicLit, bool) {
	values := make([]string, 0, len(list.Elts))
	lits := make([]*ast.BasicLit, 0, len(list.Elts))
	for _, e := range list.Elts {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return nil, nil, false
		}
		s, err := literal.Unquote(lit.Value)
		if err != nil || s == "" {
			return nil, nil, false
		}
		values = append(values, s)
		lits = append(lits, lit)
	}
	return values, lits, true
}

// restore puts the lists back into a decoded configuration.
func (ls literalLists) restore(d *model.Desired) {
	for at, l := range ls {
		g, ok := d.Groups[at.group]
		if !ok || g.Membership == nil {
			continue
		}
		m := *g.Membership
		switch at.kind {
		case "users":
			m.Users = l.values
		case "groups":
			m.Groups = l.values
		case "devices":
			m.Devices = l.values
		case "servicePrincipals":
			m.ServicePrincipals = l.values
		}
		g.Membership = &m
		d.Groups[at.group] = g
	}
}

// locate is the range of an element of a list taken out, addressed as
// groups.<key>.membership.<kind>[i]; src is the file it is in.
func (ls literalLists) locate(p string, src func(file string) *lineIndex) (*diag.Range, bool) {
	if len(ls) == 0 {
		return nil, false
	}
	sels := cue.ParsePath(p).Selectors()
	if len(sels) != 5 || sels[4].Type() != cue.IndexLabel {
		return nil, false
	}
	for _, s := range sels[:4] {
		if s.LabelType() != cue.StringLabel {
			return nil, false
		}
	}
	if sels[0].Unquoted() != "groups" || sels[2].Unquoted() != "membership" {
		return nil, false
	}
	l, ok := ls[listAt{sels[1].Unquoted(), sels[3].Unquoted()}]
	if !ok {
		return nil, false
	}
	i := sels[4].Index()
	if i < 0 || i >= len(l.at) {
		return nil, false
	}
	at, lines := l.at[i], src(l.file)
	if lines == nil {
		return nil, false
	}
	return &diag.Range{Filename: l.file, Start: lines.pos(int(at.off)), End: lines.pos(int(at.off + at.n))}, true
}

// lineIndex turns byte offsets of a file into lines and columns, as CUE
// counts them (columns in bytes, from 1).
type lineIndex struct{ starts []int }

func newLineIndex(src []byte) *lineIndex {
	starts := []int{0}
	for i, c := range src {
		if c == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &lineIndex{starts: starts}
}

func (x *lineIndex) pos(off int) diag.Pos {
	line := sort.SearchInts(x.starts, off+1) - 1
	return diag.Pos{Line: line + 1, Column: off - x.starts[line] + 1, Byte: off}
}

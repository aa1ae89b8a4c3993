package config

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/load"
	"cuelang.org/go/cue/token"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/schema"
)

// virtualRoot is where the snapshot is mounted for the CUE loader. It never
// exists on disk; every file comes from the overlay.
const virtualRoot = "/entrasync-repo"

// Files is a snapshot of a configuration repository: CUE files by
// slash-separated path relative to the repository root, and the directory
// (also relative, "." for the root) that holds the configuration package.
type Files struct {
	Files map[string][]byte
	Dir   string
	// Symlinks are the paths of symbolic links, which are not read.
	Symlinks []string
}

// Config is a loaded, schema-valid configuration.
type Config struct {
	Desired *model.Desired
	// loc finds where a value was written: in the package as the user
	// wrote it, before unification with the schema, whose positions are
	// all in user files.
	loc *locator
}

// Locate returns the source range of the value at a CUE path such as
// groups."sg-finance".owners[0], or nil when the path is not in user files.
func (c *Config) Locate(p string) *diag.Range {
	if c == nil || c.loc == nil {
		return nil
	}
	return c.loc.locate(p)
}

func locate(v cue.Value, p string) *diag.Range {
	cp := cue.ParsePath(p)
	if cp.Err() != nil {
		return nil
	}
	sels := cp.Selectors()
	// Walk up until something exists: a missing field is reported at its
	// parent struct, which is where the user has to add it.
	for n := len(sels); n >= 0; n-- {
		x := v.LookupPath(cue.MakePath(sels[:n]...))
		if !x.Exists() {
			continue
		}
		if r := rangeOf(x); r != nil {
			return r
		}
	}
	return nil
}

// rangeOf returns the range of the value's source node, preferring the
// value over its label.
func rangeOf(v cue.Value) *diag.Range {
	src := v.Source()
	if f, ok := src.(*ast.Field); ok && f.Value != nil {
		// Point at the value: that is what is wrong, and in-string offsets
		// (filter syntax errors) are counted from it.
		src = f.Value
	}
	if src != nil && src.Pos().IsValid() {
		if r := makeRange(src.Pos(), src.End()); r != nil {
			return r
		}
	}
	return makeRange(v.Pos(), token.NoPos)
}

func makeRange(start, end token.Pos) *diag.Range {
	if !start.IsValid() {
		return nil
	}
	name, ok := userFile(start.Filename())
	if !ok {
		return nil
	}
	r := &diag.Range{Filename: name, Start: toPos(start), End: toPos(start)}
	if end.IsValid() && end.Filename() == start.Filename() {
		r.End = toPos(end)
	}
	return r
}

func toPos(p token.Pos) diag.Pos {
	return diag.Pos{Line: p.Line(), Column: p.Column(), Byte: p.Offset()}
}

// userFile maps a loader filename to a repository-relative one, and says
// whether it is a user file (not the schema, not a vendored schema copy).
func userFile(filename string) (string, bool) {
	rel, ok := strings.CutPrefix(filename, virtualRoot+"/")
	if !ok || strings.HasPrefix(rel, "cue.mod/") || strings.Contains(rel, "/cue.mod/") {
		return filename, false
	}
	return rel, true
}

// Load unifies the configuration package in files.Dir with the schema and
// decodes it. Diagnostics are sorted; on any error the returned Config is nil.
func Load(files Files) (*Config, diag.Diagnostics) {
	cfg, _, ds := LoadAll(files)
	return cfg, ds
}

// LoadAll is Load, and when the schema finds errors it also returns the
// configuration as written, decoded without the schema where that is
// possible, so the semantic checks can run in the same pass and an
// administrator sees every error at once. The partial Config is never
// to be applied: only checked.
func LoadAll(files Files) (*Config, *Config, diag.Diagnostics) {
	return loadAll(files, loadOptions{literalLists: true, partSize: defaultPartSize})
}

// loadOptions switch the two ways around CUE's cost on large packages;
// tests turn them off to compare with CUE evaluating everything whole.
type loadOptions struct {
	// literalLists takes member lists of plain literals out of CUE
	// (lists.go).
	literalLists bool
	// partSize, when above zero, evaluates separable packages with more
	// groups than this in parts of this many groups (parts.go).
	partSize int
	// evaluated, when set, is told after each evaluation how many parts
	// it had (in parts, then whole when the parts had errors) and how many
	// lists were taken out (tests).
	evaluated func(parts, lists int)
}

func loadAll(files Files, opts loadOptions) (*Config, *Config, diag.Diagnostics) {
	var ds diag.Diagnostics
	dir := path.Clean(files.Dir)
	if dir == ".." || strings.HasPrefix(dir, "../") || path.IsAbs(dir) {
		ds.Errorf(nil, "", "configuration directory %q is outside the repository", files.Dir)
		return nil, nil, ds
	}
	if !HasPackage(files) {
		ds.Errorf(nil, "", "no .cue files in %s", displayDir(dir))
		return nil, nil, ds
	}

	ds = append(ds, checkFiles(files, dir)...)

	insts := load.Instances([]string{"."}, loaderConfig(files.Files, dir))
	if len(insts) != 1 {
		ds.Errorf(nil, "", "%s: expected one CUE package, found %d", displayDir(dir), len(insts))
		return nil, nil, ds
	}
	if err := insts[0].Err; err != nil {
		ds = append(ds, fromCUE(err, cue.Value{})...)
		ds.Sort()
		return nil, nil, ds
	}
	inst := insts[0]
	ds = append(ds, checkGroupKeys(inst.Files)...)
	scan := scanPackage(inst.Files)
	loc := &locator{files: files.Files, rebuild: func() cue.Value {
		inst := load.Instances([]string{"."}, loaderConfig(files.Files, dir))[0]
		if opts.literalLists {
			scanPackage(inst.Files).takeLiteralLists()
		}
		return cuecontext.New().BuildInstance(inst)
	}}
	if opts.literalLists {
		loc.lists = scan.takeLiteralLists()
	}
	var desired, partial *model.Desired
	if parts := splitParts(inst, scan, opts.partSize); parts != nil {
		desired = parts.evaluate()
		if opts.evaluated != nil {
			opts.evaluated(parts.parts, len(loc.lists))
		}
	}
	if desired == nil {
		r := compile(inst).evaluate()
		if opts.evaluated != nil {
			opts.evaluated(1, len(loc.lists))
		}
		desired, partial = r.desired, r.relaxed
		ds = append(ds, r.ds...)
		if r.ds.HasErrors() {
			loc.user = r.user
		}
	}
	ds.Sort()
	finish := func(d *model.Desired) *Config {
		if d == nil {
			return nil
		}
		loc.lists.restore(d)
		applyDerivedDefaults(d)
		return &Config{Desired: d, loc: loc}
	}
	if ds.HasErrors() {
		return nil, finish(partial), ds
	}
	return finish(desired), nil, ds
}

// loaderConfig mounts files for CUE's loader, with dir as the package.
func loaderConfig(files map[string][]byte, dir string) *load.Config {
	modRoot := moduleRoot(files, dir)
	return &load.Config{
		Dir:        path.Join(virtualRoot, dir),
		ModuleRoot: path.Join(virtualRoot, modRoot),
		Overlay:    overlay(files, modRoot),
		// No environment: the loader must not reach a registry or read
		// CUE_* settings from the machine it runs on.
		Env: []string{},
	}
}

// relaxed decodes the user's values without the schema, with the
// schema's defaults that the semantic checks rely on; nil when the values
// do not decode.
func relaxed(user cue.Value) *model.Desired {
	if !user.Exists() || user.Err() != nil {
		return nil
	}
	data, err := user.MarshalJSON()
	if err != nil {
		return nil
	}
	var d model.Desired
	if json.Unmarshal(data, &d) != nil {
		return nil
	}
	if d.Configuration == "" {
		d.Configuration = "default"
	}
	for key, g := range d.Groups {
		if g.Kind == "" {
			g.Kind = model.GroupSecurity
		}
		if g.Membership != nil && g.Membership.Mode == "" {
			g.Membership.Mode = model.ModeIncremental
		}
		d.Groups[key] = g
	}
	return &d
}

// applyDerivedDefaults sets the defaults that depend on an object's key,
// which the schema documents but cannot express without making an invalid
// key produce a confusing CUE error.
func applyDerivedDefaults(d *model.Desired) {
	for key, g := range d.Groups {
		if g.MailNickname == "" {
			g.MailNickname = key
			d.Groups[key] = g
		}
	}
}

// HasPackage reports whether files has any .cue file directly in Dir: a
// revision without one has no configuration at all (the change that adds
// it), which callers may treat differently from an invalid one.
func HasPackage(files Files) bool {
	dir := path.Clean(files.Dir)
	for name := range files.Files {
		if path.Dir(name) == dir && strings.HasSuffix(name, ".cue") {
			return true
		}
	}
	return false
}

func displayDir(dir string) string {
	if dir == "." {
		return "the repository root"
	}
	return dir
}

// overlay mounts the snapshot under virtualRoot. It adds a module file when
// the repository has none, and the embedded schema as a vendored package
// when the repository does not vendor its own copy, so that
// `import "github.com/entrasync/entrasync/schema"` always resolves.
func overlay(files map[string][]byte, modRoot string) map[string]load.Source {
	ov := make(map[string]load.Source, len(files)+2)
	for name, data := range files {
		ov[path.Join(virtualRoot, name)] = load.FromBytes(data)
	}
	if _, ok := files[path.Join(modRoot, "cue.mod/module.cue")]; !ok {
		ov[path.Join(virtualRoot, modRoot, "cue.mod/module.cue")] = load.FromString(
			"module: \"entrasync.local/config@v0\"\nlanguage: version: \"v0.12.0\"\n")
	}
	vendored := path.Join(modRoot, "cue.mod/pkg", schema.ImportPath)
	hasVendored := false
	for name := range files {
		if strings.HasPrefix(name, vendored+"/") {
			hasVendored = true
			break
		}
	}
	if !hasVendored {
		ov[path.Join(virtualRoot, vendored, path.Base(schema.Filename))] = load.FromBytes(schema.Source)
	}
	return ov
}

// moduleRoot is the nearest ancestor of dir (or dir itself) holding
// cue.mod/module.cue, or the repository root when there is none.
func moduleRoot(files map[string][]byte, dir string) string {
	for d := dir; ; d = path.Dir(d) {
		if _, ok := files[path.Join(d, "cue.mod/module.cue")]; ok {
			return d
		}
		if d == "." || d == "/" {
			return "."
		}
	}
}

// fromCUE converts a CUE error into diagnostics. The subject is the first
// position in a user file; schema positions become related ranges. When no
// position is in a user file (a required field is missing), the subject is
// the nearest enclosing value the user wrote.
func fromCUE(err error, user cue.Value) diag.Diagnostics {
	var items []cueItem
	for _, e := range cueerrors.Errors(cueerrors.Sanitize(cueerrors.Promote(err, ""))) {
		format, args := e.Msg()
		it := cueItem{format: format, args: args, d: diag.Diagnostic{
			Severity: diag.Error, Path: cuePath(e.Path()), Summary: fmt.Sprintf(format, args...),
		}}
		for _, pos := range cueerrors.Positions(e) {
			r := makeRange(pos, token.NoPos)
			if r == nil {
				name := pos.Filename()
				// One pointer into the schema is enough to find the rule.
				if (strings.Contains(name, "/cue.mod/pkg/") || name == schema.Filename) &&
					!slices.ContainsFunc(it.d.Related, func(r diag.Range) bool { return r.Filename == schema.Filename }) {
					it.d.Related = append(it.d.Related, diag.Range{Filename: schema.Filename, Start: toPos(pos), End: toPos(pos)})
				}
				continue
			}
			if it.d.Subject == nil {
				it.d.Subject = r
			} else {
				it.d.Related = append(it.d.Related, *r)
			}
		}
		if strings.HasPrefix(format, "incomplete value") && user.Exists() && it.d.Path != "" {
			if !user.LookupPath(cue.ParsePath(it.d.Path)).Exists() {
				it.d.Summary = fmt.Sprintf("missing required field %s", lastLabel(it.d.Path))
			}
		}
		if it.d.Subject == nil && user.Exists() && it.d.Path != "" {
			it.d.Subject = locate(user, it.d.Path)
		}
		items = append(items, it)
	}
	var ds diag.Diagnostics
	seen := map[string]bool{}
	for _, d := range mergeDisjunctions(items) {
		d.Summary = explain(d.Summary)
		if key := d.String(); !seen[key] {
			seen[key] = true
			ds = append(ds, d)
		}
	}
	return ds
}

type cueItem struct {
	format string
	args   []any
	d      diag.Diagnostic
}

// mergeDisjunctions replaces CUE's "N errors in empty disjunction" and the
// per-alternative errors that follow it with one diagnostic per path:
// `"distribution" is not allowed: want one of "security", "microsoft365"`,
// or the alternatives' own messages (a regex bound) when they say more.
func mergeDisjunctions(items []cueItem) []diag.Diagnostic {
	items = withoutNullAlternative(items)
	disjunct := map[string]bool{}
	for _, it := range items {
		if strings.Contains(it.format, "errors in empty disjunction") {
			disjunct[it.d.Path] = true
		}
	}
	var out []diag.Diagnostic
	done := map[string]bool{}
	for _, it := range items {
		p := it.d.Path
		if !disjunct[p] {
			out = append(out, it.d)
			continue
		}
		if done[p] {
			continue
		}
		done[p] = true
		var conflicts [][2]string
		var others []diag.Diagnostic
		var subject *diag.Range
		for _, x := range items {
			if x.d.Path != p || strings.Contains(x.format, "errors in empty disjunction") {
				continue
			}
			if subject == nil || x.d.Subject != nil && x.d.Subject.Start.Byte > subject.Start.Byte {
				subject = x.d.Subject
			}
			if strings.HasPrefix(x.format, "conflicting values %s and %s") && len(x.args) >= 2 {
				conflicts = append(conflicts, [2]string{fmt.Sprint(x.args[0]), fmt.Sprint(x.args[1])})
				continue
			}
			others = append(others, x.d)
		}
		merged := it.d
		merged.Subject = subject
		switch {
		case len(others) > 0:
			// A failed constraint (regex, bound) explains more than the
			// default it failed to match.
			merged.Summary = others[0].Summary
			merged.Related = others[0].Related
		case len(conflicts) >= 2:
			got, allowed := commonValue(conflicts)
			merged.Summary = fmt.Sprintf("%s is not allowed: want one of %s", got, strings.Join(allowed, ", "))
		case len(conflicts) == 1:
			merged.Summary = fmt.Sprintf("conflicting values %s and %s", conflicts[0][0], conflicts[0][1])
		default:
			merged.Summary = "value matches none of the allowed forms"
		}
		out = append(out, merged)
	}
	return out
}

// withoutNullAlternative drops "conflicting values X and null" when an
// error inside X explains the problem: a nullable setting (null | {…})
// whose object is wrong is an error in the object, not a wish for null.
func withoutNullAlternative(items []cueItem) []cueItem {
	deeper := func(p string) bool {
		return slices.ContainsFunc(items, func(x cueItem) bool { return strings.HasPrefix(x.d.Path, p+".") })
	}
	return slices.DeleteFunc(slices.Clone(items), func(x cueItem) bool {
		if !strings.HasPrefix(x.format, "conflicting values %s and %s") || len(x.args) < 2 {
			return false
		}
		isNull := fmt.Sprint(x.args[0]) == "null" || fmt.Sprint(x.args[1]) == "null"
		return isNull && deeper(x.d.Path)
	})
}

// commonValue finds the value present in every conflict (the user's) and
// returns it with the other sides (the allowed values).
func commonValue(conflicts [][2]string) (string, []string) {
	for _, cand := range conflicts[0] {
		var allowed []string
		ok := true
		for _, c := range conflicts {
			switch cand {
			case c[0]:
				allowed = append(allowed, c[1])
			case c[1]:
				allowed = append(allowed, c[0])
			default:
				ok = false
			}
		}
		if ok {
			return cand, allowed
		}
	}
	return conflicts[0][1], []string{conflicts[0][0]}
}

func lastLabel(p string) string {
	sels := cue.ParsePath(p).Selectors()
	if len(sels) == 0 {
		return p
	}
	return sels[len(sels)-1].String()
}

// cuePath renders an error path without the schema's #Config root, with
// list indexes in brackets.
func cuePath(elems []string) string {
	if len(elems) > 0 && strings.HasPrefix(elems[0], "#") {
		elems = elems[1:]
	}
	var b strings.Builder
	for _, e := range elems {
		if _, err := strconv.Atoi(e); err == nil {
			b.WriteString("[" + e + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e)
	}
	return b.String()
}

// explain rewrites the CUE messages users meet most into plainer words,
// keeping CUE's text where it is already clear.
// boundRe matches CUE's message for a value outside a length bound:
// invalid value "…" (does not satisfy strings.MaxRunes(256)).
var boundRe = regexp.MustCompile(`^invalid value (.*) \(does not satisfy (strings\.MaxRunes|strings\.MinRunes|list\.MaxItems|list\.MinItems)\((\d+)\)\)$`)

// explainBound says a length bound in an administrator's words, without
// a dump of the value: "at most 256 characters (got 300)".
func explainBound(msg string) (string, bool) {
	m := boundRe.FindStringSubmatch(msg)
	if m == nil {
		return "", false
	}
	value, bound, limit := m[1], m[2], m[3]
	got := ""
	if s, err := strconv.Unquote(value); err == nil {
		got = fmt.Sprintf(" (got %d)", utf8.RuneCountInString(s))
	} else if strings.HasPrefix(value, "[") {
		var items []json.RawMessage
		if json.Unmarshal([]byte(value), &items) == nil {
			got = fmt.Sprintf(" (got %d)", len(items))
		}
	}
	switch bound {
	case "strings.MinRunes":
		if limit == "1" {
			return "must not be empty", true
		}
		return "at least " + limit + " characters" + got, true
	case "strings.MaxRunes":
		return "at most " + limit + " characters" + got, true
	case "list.MinItems":
		return "at least " + limit + " entries" + got, true
	}
	return "at most " + limit + " entries" + got, true
}

func explain(msg string) string {
	if friendly, ok := explainBound(msg); ok {
		return friendly
	}
	switch {
	case msg == "field not allowed":
		return "field not allowed by the entrasync schema (misspelled, or in the wrong place)"
	case strings.HasPrefix(msg, "incomplete value"):
		return "value is not concrete (a type or constraint where a value is needed): " + msg
	case strings.HasPrefix(msg, "invalid value") && strings.Contains(msg, "(out of bound =~"):
		for bound, want := range friendlyBounds() {
			if strings.Contains(msg, "(out of bound "+bound+")") {
				return strings.Replace(msg, "(out of bound "+bound+")", "(want "+want+")", 1)
			}
		}
	}
	return msg
}

// boundDescriptions describe the schema's named formats in words.
var boundDescriptions = map[string]string{
	"#GUID":                               "a GUID such as 3d0f5dec-5d3d-455c-8016-e2af1ae4d31a",
	"#IDRef":                              "id:GUID",
	"#Domain":                             "a domain name such as contoso.com",
	"#MailNickname":                       "1-64 ASCII characters without spaces or @ ( ) \\ [ ] \" ; : . < > ,",
	"#UserAttribute":                      "an Entra user property such as mobilePhone, or extension_<appId without dashes>_<name>",
	"#Duration":                           "an ISO 8601 duration such as PT40M",
	"#ProfileMapping.sharePoint.adminUrl": "https://<tenant>-admin.sharepoint.com",
	"#ProfileMapping.sharePoint.site":     "a https://<tenant>.sharepoint.com/ URL",
	"#ProfileMapping.idProperty":          "a field name of letters, digits and _",
}

var friendlyBounds = sync.OnceValue(func() map[string]string {
	sv := cuecontext.New().CompileBytes(schema.Source, cue.Filename(schema.Filename))
	out := map[string]string{}
	for def, want := range boundDescriptions {
		v := sv.LookupPath(cue.ParsePath(def))
		// A default (*"IdName" | =~…) prints as a disjunction; the bound
		// is its last alternative.
		if op, alts := v.Expr(); op == cue.OrOp {
			v = alts[len(alts)-1]
		}
		if b := fmt.Sprint(v); strings.HasPrefix(b, "=~") {
			out[b] = want
		}
	}
	return out
})

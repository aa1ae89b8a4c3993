package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/schema"
)

const tenantLine = "tenant: id: \"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10\"\n"

// whole is CUE evaluating everything, as entrasync did before lists were
// taken out and packages split: the reference the fast path must match.
var whole = loadOptions{}

// apart takes lists out and splits packages into parts of one group, so
// that every group is evaluated on its own.
var apart = loadOptions{literalLists: true, partSize: 1}

// outcome is everything a caller of the loader can observe.
type outcome struct {
	Desired, Partial *model.Desired
	Diagnostics      []string
	Located          map[string]string
}

// observe loads files, and says how: the parts evaluated first, and the
// lists taken out of the evaluation that counted.
func observe(t *testing.T, files map[string]string, opts loadOptions) (o outcome, parts, lists int) {
	t.Helper()
	fs := Files{Files: map[string][]byte{}, Dir: "."}
	for name, src := range files {
		fs.Files[name] = []byte(src)
	}
	opts.evaluated = func(n, taken int) {
		if parts == 0 {
			parts = n
		}
		lists = taken
	}
	cfg, partial, ds := loadAll(fs, opts)
	for _, d := range ds {
		o.Diagnostics = append(o.Diagnostics, d.String()+fmt.Sprint(d.Related))
	}
	located := cfg
	if cfg != nil {
		o.Desired = cfg.Desired
	}
	if partial != nil {
		o.Partial = partial.Desired
		located = partial
	}
	o.Located = map[string]string{}
	if located != nil {
		for _, p := range locatable(located.Desired) {
			if r := located.Locate(p); r != nil {
				o.Located[p] = r.String()
			}
		}
	}
	return o, parts, lists
}

// locatable lists the paths diagnostics use, for every group: its
// fields, each member list element, one past the last, and the tenant.
func locatable(d *model.Desired) []string {
	out := []string{"tenant.id", "configuration", "groups.nosuch.displayName"}
	for key, g := range d.Groups {
		out = append(out, model.Path("groups", key), model.Path("groups", key, "displayName"), model.Path("groups", key, "owners", 0))
		if g.Membership == nil {
			continue
		}
		for kind, list := range map[string][]string{"users": g.Membership.Users, "groups": g.Membership.Groups,
			"devices": g.Membership.Devices, "servicePrincipals": g.Membership.ServicePrincipals} {
			for i := range len(list) + 1 {
				out = append(out, model.Path("groups", key, "membership", kind, i))
			}
		}
	}
	slices.Sort(out)
	return out
}

func TestFastPathMatchesWholeEvaluation(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		// parts and lists say what the fast path is expected to have done,
		// so that a case cannot pass by taking the slow path unnoticed: the
		// parts it tried first (with errors, the whole is evaluated after
		// them), and the lists taken out of what counted.
		lists, parts int
	}{{
		name: "plain lists in every string form",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine + `
groups: a: {displayName: "A", owners: ["o@x.com"], membership: {mode: "full", users: ["a@x.com", "b\u00e9@x.com", #"c\d@x.com"#, """
	multi
	"""], devices: ["laptop 1"], servicePrincipals: ["appId:1b4e6c5e-0c57-4a58-9a8b-0c1d2e3f4a5b"]}}
groups: b: membership: groups: ["a", "id:02bd9fd6-8f93-4758-87c3-1fb73740a315"]
groups: b: displayName: "B"
`},
		lists: 4, parts: 2,
	}, {
		name: "groups in a struct, and schema.#Config embedded",
		files: map[string]string{
			"a.cue": "package cfg\n" + tenantLine + "groups: {a: {displayName: \"A\", membership: users: [\"a@x.com\"]}, b: {displayName: \"B\"}}\n",
			"b.cue": "package cfg\nimport \"github.com/entrasync/entrasync/schema\"\nschema.#Config & {groups: c: {displayName: \"C\", membership: users: [\"c@x.com\"]}}\n",
		},
		lists: 2, parts: 3,
	}, {
		name: "an empty string stays for CUE to report",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine +
			"groups: a: {displayName: \"A\", membership: users: [\"a@x.com\", \"\"]}\ngroups: b: {displayName: \"B\", membership: users: [\"b@x.com\"]}\n"},
		lists: 1, parts: 2,
	}, {
		name: "a number, an interpolation, a reference in a list",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine + `
_d: "x.com"
_u: "u@x.com"
groups: a: {displayName: "A", membership: users: ["a@x.com", 3]}
groups: b: {displayName: "B", membership: users: ["b@\(_d)"]}
groups: c: {displayName: "C", membership: users: [_u]}
groups: d: {displayName: "D", membership: users: ["d@x.com"]}
`},
		lists: 1, parts: 4,
	}, {
		name: "a list declared twice, equal and different",
		files: map[string]string{
			"a.cue": "package cfg\n" + tenantLine + "groups: a: {displayName: \"A\", membership: users: [\"a@x.com\"]}\ngroups: b: {displayName: \"B\", membership: users: [\"b@x.com\"]}\n",
			"b.cue": "package cfg\ngroups: a: membership: users: [\"a@x.com\"]\ngroups: b: membership: users: [\"other@x.com\"]\n",
		},
		lists: 0, parts: 2,
	}, {
		name: "a list constrained elsewhere",
		files: map[string]string{
			"a.cue": "package cfg\n" + tenantLine + "groups: a: {displayName: \"A\", membership: users: [\"a@x.com\"]}\ngroups: b: {displayName: \"B\", membership: users: [\"b@x.com\"]}\n",
			"b.cue": "package cfg\nimport \"list\"\ngroups: a: membership: users: list.MinItems(2)\n",
		},
		lists: 1, parts: 2,
	}, {
		name: "a pattern over every group",
		files: map[string]string{"a.cue": "package cfg\nimport \"list\"\n" + tenantLine +
			"groups: [string]: membership: users: list.MinItems(2)\ngroups: a: {displayName: \"A\", membership: users: [\"a@x.com\"]}\n"},
		lists: 0, parts: 1,
	}, {
		name: "one group's list read by another",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine +
			"groups: a: {displayName: \"A\", membership: users: [\"a@x.com\"]}\ngroups: b: {displayName: \"B\", membership: users: groups.a.membership.users}\n"},
		lists: 0, parts: 1,
	}, {
		name: "a sibling list read by name",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine +
			"groups: a: {displayName: \"A\", membership: {users: [\"a@x.com\"], devices: users}}\ngroups: b: {displayName: \"B\"}\n"},
		lists: 0, parts: 2,
	}, {
		name: "a group copied by key",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine +
			"groups: {a: {displayName: \"A\", membership: users: [\"a@x.com\"]}, b: a & {mailNickname: \"b\"}}\n"},
		lists: 0, parts: 1,
	}, {
		name: "an alias, a let and a comprehension",
		files: map[string]string{
			"a.cue": "package cfg\n" + tenantLine + "G=groups: a: {displayName: \"A\", membership: users: [\"a@x.com\"]}\nx: G.a.displayName\n",
			"b.cue": "package cfg\nlet all = groups\n_n: len(all)\n",
			"c.cue": "package cfg\nfor k in [\"c\"] {groups: (k): {displayName: \"C\", membership: users: [\"c@x.com\"]}}\n",
		},
		lists: 0, parts: 1,
	}, {
		name: "membership from a template",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine + `
_base: {users: []}
groups: a: {displayName: "A", membership: _base}
groups: a: membership: users: ["a@x.com"]
groups: b: {displayName: "B", membership: users: ["b@x.com"]}
`},
		lists: 1, parts: 2,
	}, {
		name: "an optional list, and a group declared optional",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine +
			"groups: a: {displayName: \"A\", membership: users?: [\"a@x.com\"]}\ngroups: b?: {displayName: \"B\", membership: users: [\"b@x.com\"]}\n"},
		lists: 1, parts: 2,
	}, {
		name: "errors in several parts and outside groups",
		files: map[string]string{"a.cue": "package cfg\ntenant: id: \"nope\"\nprune: 3\n" +
			"groups: a: {displayName: \"\", membership: users: [\"a@x.com\"]}\ngroups: b: {displayName: \"B\", kind: \"distribution\"}\ngroups: c: {displayName: \"C\", membership: users: [\"\"]}\ngroups: d: {displayNam: \"D\"}\n"},
		lists: 1, parts: 4,
	}, {
		name: "a typo inside a member list's group",
		files: map[string]string{"a.cue": "package cfg\n" + tenantLine +
			"groups: a: {displayName: \"A\", membership: {mode: \"fulll\", users: [\"a@x.com\", \"b@x.com\"]}}\ngroups: b: {displayName: \"B\", membership: usrs: [\"b@x.com\"]}\n"},
		lists: 1, parts: 2,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _, _ := observe(t, tt.files, whole)
			got, parts, lists := observe(t, tt.files, apart)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the fast path differs from CUE evaluating the whole package (-whole +fast):\n%s", diff)
			}
			if lists != tt.lists || parts != tt.parts {
				t.Errorf("took out %d lists and evaluated %d parts first; want %d and %d", lists, parts, tt.lists, tt.parts)
			}
		})
	}
}

// TestListElementsAreLocated: an element of a list taken out of CUE is
// located exactly, as validate reports an unknown user.
func TestListElementsAreLocated(t *testing.T) {
	src := "package cfg\n" + tenantLine + "groups: a: {\n\tdisplayName: \"A\"\n\tmembership: users: [\n\t\t\"a@x.com\",\n\t\t\"b@x.com\",\n\t]\n}\n"
	cfg, _, ds := loadAll(Files{Files: map[string][]byte{"a.cue": []byte(src)}, Dir: "."}, apart)
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	if len(cfg.loc.lists) != 1 {
		t.Fatal("the list was not taken out")
	}
	got := cfg.Locate("groups.a.membership.users[1]")
	want := &diag.Range{Filename: "a.cue", Start: diag.Pos{Line: 7, Column: 3, Byte: strings.Index(src, "\"b@x.com\"")},
		End: diag.Pos{Line: 7, Column: 12, Byte: strings.Index(src, "\"b@x.com\"") + 9}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("located (-want +got):\n%s", diff)
	}
}

// FuzzFastPath: for any package, taking lists out and evaluating in parts
// gives what CUE gives evaluating it whole.
func FuzzFastPath(f *testing.F) {
	f.Add("package cfg\n" + tenantLine + "groups: a: {displayName: \"A\", membership: users: [\"a@x.com\", \"b\"]}\ngroups: b: {displayName: \"B\", membership: groups: [\"a\"]}\n")
	f.Add("package cfg\n" + tenantLine + "_o: [\"o@x.com\"]\ngroups: {a: {displayName: \"A\", owners: _o}, b: {displayName: \"B\", membership: {mode: \"full\", devices: [\"d\"]}}}\n")
	f.Add("package cfg\nimport \"list\"\n" + tenantLine + "groups: a: {displayName: \"A\", membership: users: list.Concat([[\"a\"], [\"b\"]])}\ngroups: b: {displayName: \"B\"}\n")
	f.Add("package cfg\nimport \"github.com/entrasync/entrasync/schema\"\nschema.#Config & {" + tenantLine + "groups: a: {displayName: \"A\", membership: users: [\"a\"]}, groups: b: displayName: \"B\"}\n")
	f.Fuzz(func(t *testing.T, src string) {
		files := map[string]string{"a.cue": src}
		want, _, _ := observe(t, files, whole)
		got, _, _ := observe(t, files, apart)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("the fast path differs from CUE evaluating the whole package (-whole +fast):\n%s", diff)
		}
	})
}

// TestMemberListsAcceptAnyNonEmptyString holds the schema to what lists.go
// assumes when it takes a list out of CUE: each member list's elements
// accept every non-empty string. A constraint added to #UserRef and the
// like must be checked in lists.go too (or the list left to CUE).
func TestMemberListsAcceptAnyNonEmptyString(t *testing.T) {
	ctx := cuecontext.New()
	membership := ctx.CompileBytes(schema.Source, cue.Filename(schema.Filename)).LookupPath(cue.ParsePath("#Membership"))
	samples := []string{"a", " ", "\t", "é", "\u0000", "id:not-a-guid", strings.Repeat("x", 10000), "\"quoted\"", "\\(x)", "日本語@例え.jp"}
	for kind := range memberListKinds {
		elem := membership.LookupPath(cue.MakePath(cue.Str(kind), cue.AnyIndex))
		if !elem.Exists() {
			t.Fatalf("#Membership.%s has no element type", kind)
		}
		for _, s := range samples {
			if err := elem.Unify(ctx.Encode(s)).Validate(cue.Concrete(true)); err != nil {
				t.Errorf("#Membership.%s refuses %q, which lists.go would let through: %v", kind, s, err)
			}
		}
		if err := elem.Unify(ctx.Encode("")).Validate(cue.Concrete(true)); err == nil {
			t.Errorf("#Membership.%s accepts the empty string; lists.go leaves it to CUE, which is harmless, but the schema changed", kind)
		}
	}
}

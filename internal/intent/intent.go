package intent

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/model"
)

// FormatVersion is the version of the JSON form of a Diff.
const FormatVersion = "1"

// Action says what a change does to a declared object.
type Action string

// The actions of an intent diff.
const (
	Added   Action = "added"
	Removed Action = "removed"
	Changed Action = "changed"
)

// Diff is the declared difference between two revisions.
type Diff struct {
	FormatVersion string   `json:"format_version"`
	From          Revision `json:"from"`
	To            Revision `json:"to"`
	// Changes are sorted by address; unchanged objects are left out.
	Changes []Change `json:"changes"`
}

// Revision names one side of the diff.
type Revision struct {
	Rev    string `json:"rev"`
	Commit string `json:"commit,omitempty"`
}

// Change is what the diff declares for one address.
type Change struct {
	Address model.Address `json:"address"`
	Action  Action        `json:"action"`
	// Attributes are the scalar and structured fields that differ, by
	// path relative to the object. For Added and Removed objects they list
	// every field of the side that exists.
	Attributes []AttrChange `json:"attributes,omitempty"`
	// References are the reference lists that differ: members, owners, scope.
	References []RefChange `json:"references,omitempty"`
}

// AttrChange is one attribute's before and after; a nil side is absent.
type AttrChange struct {
	Path   string `json:"path"`
	Before any    `json:"before,omitempty"`
	After  any    `json:"after,omitempty"`
}

// RefChange lists the references added to and removed from one list.
type RefChange struct {
	List    string   `json:"list"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// Summary counts the changes by action.
func (d *Diff) Summary() (added, changed, removed int) {
	for _, c := range d.Changes {
		switch c.Action {
		case Added:
			added++
		case Changed:
			changed++
		case Removed:
			removed++
		}
	}
	return added, changed, removed
}

// Compute diffs two declared states. Either may be nil (no configuration).
func Compute(from, to *model.Desired, fromRev, toRev Revision) *Diff {
	before, after := objects(from), objects(to)
	keys := slices.SortedFunc(maps.Keys(union(before, after)), model.Address.Compare)
	d := &Diff{FormatVersion: FormatVersion, From: fromRev, To: toRev, Changes: []Change{}}
	for _, a := range keys {
		b, inBefore := before[a]
		n, inAfter := after[a]
		var c Change
		switch {
		case inBefore && !inAfter:
			c = Change{Action: Removed}
			c.Attributes, c.References = diffObject(b, object{})
		case !inBefore && inAfter:
			c = Change{Action: Added}
			c.Attributes, c.References = diffObject(object{}, n)
		default:
			c = Change{Action: Changed}
			c.Attributes, c.References = diffObject(b, n)
			if len(c.Attributes) == 0 && len(c.References) == 0 {
				continue
			}
		}
		c.Address = a
		d.Changes = append(d.Changes, c)
	}
	return d
}

// union returns the keys present in either map.
func union[K comparable, V any](a, b map[K]V) map[K]bool {
	m := make(map[K]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// object is a declared object split into its flattened attributes and its
// reference lists.
type object struct {
	attrs map[string]any
	refs  map[string][]string
}

// refLists are the fields, per kind, that hold references: diffing them as
// sets (added/removed) says more than an attribute diff of two lists.
var refLists = map[model.Kind][]string{
	model.KindGroup: {"owners", "membership.users", "membership.groups", "membership.devices",
		"membership.servicePrincipals", "membership.from"},
	model.KindSyncJob: {"scope.groups", "scope.users"},
}

func objects(d *model.Desired) map[model.Address]object {
	out := map[model.Address]object{}
	if d == nil {
		return out
	}
	add := func(kind model.Kind, key string, v any) {
		out[model.Address{Kind: kind, Key: key}] = split(kind, v)
	}
	for k, g := range d.Groups {
		add(model.KindGroup, k, g)
	}
	for k, m := range d.ProfileMappings {
		add(model.KindProfileMapping, k, m)
	}
	for k, p := range d.CrossTenant.Partners {
		add(model.KindPartner, k, p)
	}
	for k, j := range d.CrossTenant.SyncJobs {
		add(model.KindSyncJob, k, j)
	}
	if d.CrossTenant.Default != nil {
		add(model.KindDefaultPolicy, "", d.CrossTenant.Default)
	}
	return out
}

// split flattens an object through its JSON form, so attribute paths use
// the configuration's own field names.
func split(kind model.Kind, v any) object {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("intent: model value does not marshal: %v", err))
	}
	var tree map[string]any
	if err := json.Unmarshal(data, &tree); err != nil {
		panic(fmt.Sprintf("intent: model value does not unmarshal: %v", err))
	}
	o := object{attrs: map[string]any{}, refs: map[string][]string{}}
	for _, list := range refLists[kind] {
		o.refs[list] = refStrings(take(tree, strings.Split(list, ".")))
	}
	flatten("", tree, o.attrs)
	return o
}

// take removes and returns the value at path.
func take(tree map[string]any, path []string) any {
	for _, p := range path[:len(path)-1] {
		next, ok := tree[p].(map[string]any)
		if !ok {
			return nil
		}
		tree = next
	}
	v := tree[path[len(path)-1]]
	delete(tree, path[len(path)-1])
	return v
}

func refStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			// A computed source: {"group": "k"} or {"users": "filter"}.
			for _, k := range slices.Sorted(maps.Keys(x)) {
				out = append(out, fmt.Sprintf("%s: %v", k, x[k]))
			}
		}
	}
	return out
}

// flatten writes leaves (scalars and lists) by dotted path; nested objects
// are descended into so a change to one policy flag shows as one line.
func flatten(prefix string, v any, out map[string]any) {
	m, ok := v.(map[string]any)
	if !ok {
		out[prefix] = v
		return
	}
	if len(m) == 0 && prefix != "" {
		return
	}
	for k, x := range m {
		p := k
		if prefix != "" {
			p = prefix + "." + k
		}
		flatten(p, x, out)
	}
}

func diffObject(before, after object) ([]AttrChange, []RefChange) {
	var attrs []AttrChange
	for _, p := range slices.Sorted(maps.Keys(union(before.attrs, after.attrs))) {
		b, bok := before.attrs[p]
		a, aok := after.attrs[p]
		if bok && aok && cmp.Equal(b, a) {
			continue
		}
		if isEmpty(b) && isEmpty(a) {
			continue
		}
		attrs = append(attrs, AttrChange{Path: p, Before: b, After: a})
	}
	var refs []RefChange
	for _, l := range slices.Sorted(maps.Keys(union(before.refs, after.refs))) {
		added, removed := setDiff(before.refs[l], after.refs[l])
		if len(added)+len(removed) > 0 {
			refs = append(refs, RefChange{List: l, Added: added, Removed: removed})
		}
	}
	return attrs, refs
}

func isEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case []any:
		return len(v) == 0
	case string:
		return v == ""
	case bool:
		return !v
	}
	return false
}

// setDiff compares reference lists case-insensitively, as Graph matches
// UPNs and mail addresses.
func setDiff(before, after []string) (added, removed []string) {
	in := func(list []string) map[string]string {
		m := make(map[string]string, len(list))
		for _, s := range list {
			m[strings.ToLower(s)] = s
		}
		return m
	}
	b, a := in(before), in(after)
	for k, s := range a {
		if _, ok := b[k]; !ok {
			added = append(added, s)
		}
	}
	for k, s := range b {
		if _, ok := a[k]; !ok {
			removed = append(removed, s)
		}
	}
	sort.Strings(added)
	sort.Strings(removed)
	return added, removed
}

package crosstenant

import (
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"sort"

	"github.com/entrasync/entrasync/internal/plan"
)

// diff compares the declared settings with the live document, leaf by
// leaf, and returns the leaves that change and the PATCH body: each
// top-level setting with a change, whole (live laid under declared).
// order fixes the order of top-level settings; others follow sorted.
func diff(declared, live map[string]any, prefix string, order []string) ([]plan.FieldChange, map[string]any) {
	var fields []plan.FieldChange
	patch := map[string]any{}
	for _, k := range orderedKeys(declared, order) {
		changed := leafChanges(prefix+k, declared[k], live[k])
		if len(changed) == 0 {
			continue
		}
		fields = append(fields, changed...)
		patch[k] = overlay(live[k], declared[k])
	}
	return fields, patch
}

// leafChanges lists the leaves of declared that differ from live. A null
// declared replaces the whole live value.
func leafChanges(path string, declared, live any) []plan.FieldChange {
	d, isMap := declared.(map[string]any)
	if !isMap {
		if same(declared, live) {
			return nil
		}
		return []plan.FieldChange{{Path: path, Before: live, After: declared}}
	}
	l, _ := live.(map[string]any)
	var out []plan.FieldChange
	for _, k := range slices.Sorted(maps.Keys(d)) {
		out = append(out, leafChanges(path+"."+k, d[k], l[k])...)
	}
	return out
}

// overlay lays declared over live: objects merge key by key, anything
// else (a list, a scalar, null) replaces.
func overlay(live, declared any) any {
	d, isMap := declared.(map[string]any)
	if !isMap {
		return declared
	}
	out := map[string]any{}
	if l, ok := live.(map[string]any); ok {
		maps.Copy(out, l)
	}
	for k, v := range d {
		out[k] = overlay(out[k], v)
	}
	return out
}

// same compares JSON values. An object whose leaves are all null is null
// (Graph returns an inheriting automaticUserConsentSettings as
// {"inboundAllowed":null,"outboundAllowed":null}), and the order of a
// target list does not matter.
func same(a, b any) bool {
	return reflect.DeepEqual(canonical(a), canonical(b))
}

func canonical(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if c := canonical(e); c != nil {
				out[k] = c
			}
		}
		if len(out) == 0 {
			return nil
		}
		return out
	case []any:
		items := make([]any, len(x))
		keys := make([]string, len(x))
		for i, e := range x {
			items[i] = canonical(e)
			data, _ := json.Marshal(items[i])
			keys[i] = string(data)
		}
		sort.Sort(byKey{items, keys})
		return items
	}
	return v
}

type byKey struct {
	items []any
	keys  []string
}

func (b byKey) Len() int           { return len(b.items) }
func (b byKey) Less(i, j int) bool { return b.keys[i] < b.keys[j] }
func (b byKey) Swap(i, j int) {
	b.items[i], b.items[j] = b.items[j], b.items[i]
	b.keys[i], b.keys[j] = b.keys[j], b.keys[i]
}

// orderedKeys are m's keys: those in order first, in that order, then
// the rest sorted.
func orderedKeys(m map[string]any, order []string) []string {
	var out []string
	for _, k := range order {
		if _, ok := m[k]; ok {
			out = append(out, k)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(order, k) {
			out = append(out, k)
		}
	}
	return out
}

// withoutNulls drops null settings: on create, null and absent both
// inherit the default.
func withoutNulls(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		if v != nil {
			out[k] = v
		}
	}
	return out
}

package export

import (
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
)

// Keys gives every group its key: the address this configuration's marker
// records, or one derived from its mailNickname that is unique among the
// groups and unused in taken (the keys the existing configuration
// declares elsewhere).
func Keys(groups []entra.Group, tenant, configuration string, taken map[string]bool) map[string]string {
	keys := map[string]string{}
	used := map[string]bool{}
	for k := range taken {
		used[k] = true
	}
	var rest []entra.Group
	for _, g := range groups {
		if m := g.Marker; m != nil && m.Role == "" && m.Ours(tenant, configuration) {
			if key, ok := strings.CutPrefix(m.Address, "groups."); ok && key != "" && !used[key] {
				keys[g.ID], used[key] = key, true
				continue
			}
		}
		rest = append(rest, g)
	}
	byBase := map[string][]entra.Group{}
	for _, g := range rest {
		b := baseKey(g.MailNickname)
		byBase[b] = append(byBase[b], g)
	}
	for _, base := range slices.Sorted(maps.Keys(byBase)) {
		set := byBase[base]
		// Ids order the set, so the result never depends on listing order.
		slices.SortFunc(set, func(a, b entra.Group) int { return strings.Compare(strings.ToLower(a.ID), strings.ToLower(b.ID)) })
		owner := -1
		if !used[base] {
			owner = max(0, slices.IndexFunc(set, func(g entra.Group) bool { return strings.ToLower(g.MailNickname) == base }))
		}
		for i, g := range set {
			key := base
			if i != owner {
				key = suffixed(base, g.ID, used)
			}
			keys[g.ID], used[key] = key, true
		}
	}
	return keys
}

// uniqueKeys keys objects other than groups: by the key their record
// gives them when no other has it, else by their name normalised as a
// group's mailNickname is, else by prefix and the start of their id;
// unique among them and unused in taken, in an order that does not
// depend on the order of objects.
func uniqueKeys[T any](objects []T, id, recorded, name func(T) string, prefix string, taken map[string]bool) map[string]string {
	keys, used := map[string]string{}, maps.Clone(taken)
	if used == nil {
		used = map[string]bool{}
	}
	for _, o := range objects {
		if k := recorded(o); k != "" && !used[k] {
			keys[id(o)], used[k] = k, true
		}
	}
	rest := slices.Clone(objects)
	slices.SortFunc(rest, func(a, b T) int { return strings.Compare(strings.ToLower(id(a)), strings.ToLower(id(b))) })
	for _, o := range rest {
		oid := strings.ToLower(id(o))
		if _, done := keys[id(o)]; done {
			continue
		}
		base := prefix + "-" + oid[:min(8, len(oid))]
		if n := baseKey(name(o)); n != "group" {
			base = n
		}
		key := base
		if used[key] {
			key = suffixed(base, oid, used)
		}
		keys[id(o)], used[key] = key, true
	}
	return keys
}

// suffixed is base with the group's id appended: its first eight
// characters, or all of it in the unlikely case those are taken too.
func suffixed(base, id string, used map[string]bool) string {
	id = strings.ToLower(id)
	if k := base + "-" + id[:min(8, len(id))]; !used[k] {
		return k
	}
	return base + "-" + id
}

// baseKey normalises a mailNickname to a key: lower case, and every run of
// characters other than ASCII letters and digits one "-", so keys look
// alike and need no thought when typed in --target.
func baseKey(nick string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(nick) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	key := strings.Trim(b.String(), "-")
	if key == "" {
		return "group"
	}
	return key
}

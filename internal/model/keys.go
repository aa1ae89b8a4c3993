package model

import (
	"cmp"
	"maps"
	"slices"
)

// SortedKeys returns a map's keys in order, for deterministic iteration over
// declared objects.
func SortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

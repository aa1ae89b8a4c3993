package plan

import (
	"fmt"
	"maps"
	"slices"

	"github.com/entrasync/entrasync/internal/model"
)

// Declarations are groups as the configuration declared them at earlier
// commits: by commit, then by group key. A commit it lacks is unknown:
// not in this clone (shallow, or history rewritten), or its
// configuration does not load with this schema.
type Declarations map[string]map[string]model.Group

// History finds, for each commit of need, the groups keyed there that it
// declared, reporting progress as it goes. A plan asks once, with every
// commit its markers name, so that an implementation can load each
// version of the configuration once and keep only the groups asked of it:
// markers spread over many commits then cost one load per version, and
// memory for one configuration at a time.
type History func(need map[string][]string, progress func(done, total int)) (Declarations, error)

// HistoryOf makes a History of a loader of whole configurations by commit
// (ok false: the commit is unknown). It keeps nothing between calls.
func HistoryOf(load func(commit string) (d *model.Desired, ok bool, err error)) History {
	return func(need map[string][]string, progress func(done, total int)) (Declarations, error) {
		if progress == nil {
			progress = func(int, int) {}
		}
		out := Declarations{}
		commits := slices.Sorted(maps.Keys(need))
		for i, commit := range commits {
			progress(i, len(commits))
			d, ok, err := load(commit)
			if err != nil {
				return nil, fmt.Errorf("reading the configuration at %s: %w", short(commit), err)
			}
			if ok {
				out[commit] = Pick(d, need[commit])
			}
		}
		progress(len(commits), len(commits))
		return out, nil
	}
}

// Pick returns the groups of d that keys name (a key d does not declare
// is left out).
func Pick(d *model.Desired, keys []string) map[string]model.Group {
	out := make(map[string]model.Group, len(keys))
	for _, k := range keys {
		if g, ok := d.Groups[k]; ok {
			out[k] = g
		}
	}
	return out
}

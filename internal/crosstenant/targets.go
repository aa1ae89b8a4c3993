package crosstenant

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// b2bSettings are the settings whose usersAndGroups name users and groups.
var b2bSettings = []string{"b2bCollaborationInbound", "b2bCollaborationOutbound",
	"b2bDirectConnectInbound", "b2bDirectConnectOutbound", "tenantRestrictions"}

// targetRef is one user or group target as declared.
type targetRef struct {
	// path is the CUE path of the target's "target" field.
	path string
	item map[string]any
}

// targetsOf lists the user and group targets of a declared document.
func targetsOf(base []any, doc map[string]any) []targetRef {
	var out []targetRef
	for _, s := range b2bSettings {
		setting, _ := doc[s].(map[string]any)
		ug, _ := setting["usersAndGroups"].(map[string]any)
		list, _ := ug["targets"].([]any)
		for i, t := range list {
			item, ok := t.(map[string]any)
			if !ok {
				continue
			}
			if tt := item["targetType"]; tt == "user" || tt == "group" {
				out = append(out, targetRef{path: model.Path(append(slices.Clone(base), s, "usersAndGroups", "targets", i, "target")...), item: item})
			}
		}
	}
	return out
}

// resolveTargets replaces every user and group target in the documents
// with the object id Graph stores: a UPN is looked up (all of them in one
// call), a group key is the group's id or, for a group this plan creates,
// its placeholder; id:GUID is the GUID. The documents are changed in place
// (they are the planner's copies).
func resolveTargets(ctx context.Context, env *plan.Env, refs []targetRef) (diag.Diagnostics, error) {
	var ds diag.Diagnostics
	var upns []string
	for _, r := range refs {
		target, _ := r.item["target"].(string)
		if r.item["targetType"] == "user" && target != "AllUsers" && !model.IsGUID(target) && !strings.HasPrefix(target, "id:") {
			upns = append(upns, target)
		}
	}
	users := map[string]entra.Principal{}
	if len(upns) > 0 {
		found, err := env.Reader.ResolveUsers(ctx, upns)
		if err != nil {
			return nil, fmt.Errorf("resolving b2b targets: %w", err)
		}
		for ref, p := range found {
			users[strings.ToLower(ref)] = p
		}
	}
	for _, r := range refs {
		target, _ := r.item["target"].(string)
		switch {
		case target == "AllUsers" || model.IsGUID(target):
		case strings.HasPrefix(target, "id:"):
			r.item["target"] = strings.TrimPrefix(target, "id:")
		case r.item["targetType"] == "group":
			id, ok := env.GroupRef(target)
			if !ok {
				ds.Errorf(env.Locate(r.path), r.path, "group %q is not declared here and is not an id:GUID", target)
				continue
			}
			r.item["target"] = id
		default:
			u, ok := users[strings.ToLower(target)]
			switch {
			case !ok:
				ds.Errorf(env.Locate(r.path), r.path, "no user %q in the tenant", target)
			case len(u.Candidates) > 0:
				ds.Errorf(env.Locate(r.path), r.path, "%q names %d users; name the one meant by id:GUID", target, len(u.Candidates))
			default:
				r.item["target"] = u.ID
			}
		}
	}
	return ds, nil
}

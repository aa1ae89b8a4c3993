package sim

import (
	"net/http"
	"slices"
)

// memberOf and transitiveMemberOf on users, groups and devices (Graph
// docs: List a user's direct memberships; List a user's memberships
// (direct and transitive); List memberOf, whose example 3 counts a
// device's). The emulated directory has groups
// only, no directory roles or administrative units, so the listings hold
// groups; they page, cast and count as members do.
func (s *Server) routeMemberOf() {
	for _, kind := range []string{"users", "groups", "devices"} {
		for _, rel := range []string{"memberOf", "transitiveMemberOf"} {
			list := s.listMemberOf(kind, rel == "transitiveMemberOf")
			base := "GET /v1.0/" + kind + "/{id}/" + rel
			s.mux.HandleFunc(base, list)
			s.mux.HandleFunc(base+"/{cast}", list)
			s.mux.HandleFunc(base+"/$count", s.countOf(list))
			s.mux.HandleFunc(base+"/{cast}/$count", s.countOf(list))
		}
	}
}

func (s *Server) listMemberOf(kind string, transitive bool) http.HandlerFunc {
	return s.listObjects(func(w http.ResponseWriter, r *http.Request) ([]string, bool) {
		var id string
		switch kind {
		case "users":
			u, ok := s.user(w, r)
			if !ok {
				return nil, false
			}
			id = u.ID
		case "devices":
			d, ok := s.t.devices[lower(r.PathValue("id"))]
			if !ok {
				notFound(w, r, r.PathValue("id"))
				return nil, false
			}
			id = d.ID
		default:
			g, ok := s.group(w, r)
			if !ok {
				return nil, false
			}
			id = g.ID
		}
		return s.groupsOf(lower(id), transitive), true
	})
}

// groupsOf returns the ids of the groups id is a member of, directly or,
// when transitive, through nested groups too, in id order.
func (s *Server) groupsOf(id string, transitive bool) []string {
	s.refreshAllDynamic()
	direct := func(id string) []string {
		var out []string
		for _, gid := range s.t.groupOrder {
			if s.t.groups[gid].members[id] {
				out = append(out, gid)
			}
		}
		return out
	}
	if !transitive {
		return slices.Sorted(slices.Values(direct(id)))
	}
	return reach(id, direct)
}

package sim

import (
	"net/http"
	"slices"
	"strings"
)

func (s *Server) routeMembers() {
	for _, rel := range []string{"members", "owners", "transitiveMembers"} {
		s.mux.HandleFunc("GET /v1.0/groups/{id}/"+rel, s.listRelation(rel))
		// OData casts such as /members/microsoft.graph.user (Graph docs: List group members).
		s.mux.HandleFunc("GET /v1.0/groups/{id}/"+rel+"/{cast}", s.listRelation(rel))
	}
	s.mux.HandleFunc("POST /v1.0/groups/{id}/members/$ref", s.addRef("members"))
	s.mux.HandleFunc("POST /v1.0/groups/{id}/owners/$ref", s.addRef("owners"))
	s.mux.HandleFunc("DELETE /v1.0/groups/{id}/members/{member}/$ref", s.removeRef("members"))
	s.mux.HandleFunc("DELETE /v1.0/groups/{id}/owners/{member}/$ref", s.removeRef("owners"))
	s.mux.HandleFunc("DELETE /v1.0/groups/{id}/members/{member}", s.deleteMemberObject)
}

var castTypes = map[string]string{
	"microsoft.graph.user": "#microsoft.graph.user", "microsoft.graph.group": "#microsoft.graph.group",
	"microsoft.graph.device": "#microsoft.graph.device", "microsoft.graph.servicePrincipal": "#microsoft.graph.servicePrincipal",
}

// castTypeOf is the @odata.type a cast segment names, in any case
// (example 3 of List group transitive members casts to microsoft.graph.group
// after a lower-cased transitivemembers), or "".
func castTypeOf(cast string) string {
	for name, typ := range castTypes {
		if strings.EqualFold(name, cast) {
			return typ
		}
	}
	return ""
}

// relationIDs returns the ids in a group's members, owners or
// transitiveMembers, in a stable order. Dynamic groups are evaluated.
func (s *Server) relationIDs(g *Group, rel string) []string {
	switch rel {
	case "owners":
		return slices.Sorted(func(yield func(string) bool) {
			for id := range g.owners {
				if !yield(id) {
					return
				}
			}
		})
	case "transitiveMembers":
		return reach(g.ID, func(id string) []string {
			if nested, ok := s.t.groups[lower(id)]; ok {
				return s.memberIDs(nested)
			}
			return nil
		})
	}
	return s.memberIDs(g)
}

// reach returns every id reachable from start through next, start
// excluded unless a cycle leads back to it, in id order: the closure
// behind transitiveMembers and transitiveMemberOf.
func reach(start string, next func(id string) []string) []string {
	seen := map[string]bool{}
	var out []string
	queue := []string{start}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, id := range next(cur) {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
				queue = append(queue, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) memberIDs(g *Group) []string {
	s.refreshDynamic(g)
	return g.sortedMembers()
}

// directoryObject renders a member with its type's default properties.
func (s *Server) directoryObject(id string, sel []string) map[string]any {
	obj, typ, ok := s.t.object(id)
	if !ok {
		return nil
	}
	var p map[string]any
	switch o := obj.(type) {
	case *User:
		p = project(o.props(), sel, defaultUserProperties)
	case *Group:
		p = project(o.props(), sel, defaultGroupProperties)
	case *Device:
		p = project(o.props(), sel, defaultDeviceProperties)
	case *ServicePrincipal:
		p = project(o.props(), sel, []string{"id", "appId", "displayName"})
	}
	p["@odata.type"] = typ
	return p
}

// listRelation lists a directoryObject collection (Graph docs: List group members): typed items,
// pages of 100 by default; $filter, $orderby and casts need an advanced
// query. Without them only the current page is rendered, so paging a
// large group stays cheap.
func (s *Server) listRelation(rel string) http.HandlerFunc {
	return s.listObjects(func(w http.ResponseWriter, r *http.Request) ([]string, bool) {
		g, ok := s.group(w, r)
		if !ok {
			return nil, false
		}
		ids := s.relationIDs(g, rel)
		if (rel == "members" || rel == "owners") && r.PathValue("cast") == "" && !isBeta(r) {
			ids = s.withoutServicePrincipals(ids)
		}
		return ids, true
	})
}

// withoutServicePrincipals is what Graph v1.0 lists of a group's members
// or owners: no service principal (Graph docs: List group members and
// List group owners, "known issue"; Known issues in Microsoft Graph: GET
// /groups/{id}/members doesn't return service principals in v1.0). The
// /beta listing and the type cast /members/microsoft.graph.servicePrincipal
// list them, as the workarounds on those pages and reports from tenants
// say. ids may be a cached slice: it is copied before anything is left out.
func (s *Server) withoutServicePrincipals(ids []string) []string {
	for i, id := range ids {
		if _, sp := s.t.sps[id]; sp {
			out := slices.Clone(ids[:i])
			for _, id := range ids[i+1:] {
				if _, sp := s.t.sps[id]; !sp {
					out = append(out, id)
				}
			}
			return out
		}
	}
	return ids
}

// listObjects answers a listing of directory objects whose ids idsOf
// finds (answering 404 itself): paging, casts, $select, and $filter,
// $orderby and $search as advanced queries.
func (s *Server) listObjects(idsOf func(http.ResponseWriter, *http.Request) ([]string, bool)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ids, ok := idsOf(w, r)
		if !ok {
			return
		}
		lq, ok := parseList(w, r)
		if !ok {
			return
		}
		castType := ""
		if cast := r.PathValue("cast"); cast != "" {
			if castType = castTypeOf(cast); castType == "" {
				unknownRoute(w, r)
				return
			}
		}
		if (lq.filter != nil || lq.orderBy != "" || castType != "") && !lq.advanced {
			writeError(w, r, http.StatusBadRequest, "Request_UnsupportedQuery",
				"This query on a directory relationship needs an advanced query: add $count=true and the ConsistencyLevel: eventual header.")
			return
		}
		context := "directoryObjects"
		if castType == "" && lq.filter == nil && lq.search == nil && lq.orderBy == "" {
			start, end := window(lq, len(ids))
			items := make([]map[string]any, 0, end-start)
			for _, id := range ids[start:end] {
				if p := s.directoryObject(id, lq.sel); p != nil {
					items = append(items, p)
				}
			}
			writePage(w, r, lq, context, items, len(ids))
			return
		}
		var all []map[string]any
		for _, id := range ids {
			obj, typ, ok := s.t.object(id)
			if !ok || (castType != "" && typ != castType) {
				continue
			}
			p := s.withAssignments(propsOf(obj), lq)
			p["@odata.type"] = typ
			all = append(all, p)
		}
		if castType != "" {
			context = strings.TrimPrefix(castType, "#microsoft.graph.") + "s"
		}
		page(w, r, lq, context, selectItems(lq, all, defaultsOf(castType)))
	}
}

func propsOf(obj any) map[string]any {
	switch o := obj.(type) {
	case *User:
		return o.props()
	case *Group:
		return o.props()
	case *Device:
		return o.props()
	case *ServicePrincipal:
		return o.props()
	}
	return map[string]any{}
}

func defaultsOf(castType string) []string {
	switch castType {
	case "#microsoft.graph.user":
		return defaultUserProperties
	case "#microsoft.graph.group":
		return defaultGroupProperties
	case "#microsoft.graph.device":
		return defaultDeviceProperties
	}
	return []string{"id", "displayName"}
}

// addRef is POST /groups/{id}/members/$ref or /owners/$ref (Graph docs: Add members; Add owners):
// 204; 400 "already exist" for a member; 404 for a missing object.
func (s *Server) addRef(rel string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, ok := s.group(w, r)
		if !ok {
			return
		}
		var in map[string]any
		if !decodeBody(w, r, &in) {
			return
		}
		ref, _ := in["@odata.id"].(string)
		if ref == "" {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier ''.")
			return
		}
		ids, ok := s.resolveBinds(w, r, []string{ref})
		if !ok {
			return
		}
		id := ids[0]
		if rel == "members" {
			if g.IsDynamic() {
				dynamicRefused(w, r)
				return
			}
			if g.members[id] {
				alreadyExists(w, r, rel)
				return
			}
			s.t.setMember(g, id, true)
		} else {
			if _, isUser := s.t.users[id]; !isUser {
				if _, isSP := s.t.sps[id]; !isSP {
					writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Only users and service principals can own a group.")
					return
				}
			}
			if g.owners[id] {
				alreadyExists(w, r, rel)
				return
			}
			g.owners[id] = true
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// removeRef is DELETE /groups/{id}/members/{memberId}/$ref (Graph docs: Remove member): 204;
// 404 Request_ResourceNotFound for a non-member; the last owner cannot
// be removed.
func (s *Server) removeRef(rel string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		g, ok := s.group(w, r)
		if !ok {
			return
		}
		id := lower(r.PathValue("member"))
		if rel == "members" {
			if g.IsDynamic() {
				dynamicRefused(w, r)
				return
			}
			if !g.members[id] {
				notFound(w, r, r.PathValue("member"))
				return
			}
			s.t.setMember(g, id, false)
		} else {
			if !g.owners[id] {
				notFound(w, r, r.PathValue("member"))
				return
			}
			if len(g.owners) == 1 {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
					"The group must have at least one owner, hence this owner cannot be removed.")
				return
			}
			delete(g.owners, id)
		}
		w.WriteHeader(http.StatusNoContent)
	}
}

// deleteMemberObject: DELETE without /$ref deletes the member object
// itself (Graph docs: Remove member). Only user members are deletable here.
func (s *Server) deleteMemberObject(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	id := lower(r.PathValue("member"))
	if !g.members[id] {
		notFound(w, r, r.PathValue("member"))
		return
	}
	if _, isUser := s.t.users[id]; !isUser {
		writeError(w, r, http.StatusForbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
		return
	}
	r.SetPathValue("id", id)
	s.deleteUser(w, r)
}

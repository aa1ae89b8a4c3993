package sim

import (
	"net/http"
	"slices"
	"strings"
)

// Service principals and their app role assignments (Graph v1.0:
// servicePrincipal list/get/update, serviceprincipal-post-approleassignedto,
// serviceprincipal-list-approleassignedto, serviceprincipal-delete-approleassignedto).
// Member references by app and entrasync's cross-tenant sync jobs read them.

var defaultServicePrincipalProperties = []string{"id", "appId", "displayName", "tags", "appRoles",
	"appRoleAssignmentRequired", "applicationTemplateId", "servicePrincipalType"}

// AppRoleAssignment assigns a user or group to a service principal.
type AppRoleAssignment struct {
	ID            string `json:"id"`
	PrincipalID   string `json:"principalId"`
	PrincipalType string `json:"principalType"`
	AppRoleID     string `json:"appRoleId"`
}

func (s *Server) routeServicePrincipals() {
	s.mux.HandleFunc("GET /v1.0/servicePrincipals", s.listServicePrincipals)
	s.mux.HandleFunc("GET /v1.0/servicePrincipals/{id}", s.getServicePrincipal)
	s.mux.HandleFunc("PATCH /v1.0/servicePrincipals/{id}", s.patchServicePrincipal)
	s.mux.HandleFunc("DELETE /v1.0/servicePrincipals/{id}", s.deleteServicePrincipal)
	s.mux.HandleFunc("GET /v1.0/servicePrincipals/{id}/appRoleAssignedTo", s.listAssignments)
	s.mux.HandleFunc("POST /v1.0/servicePrincipals/{id}/appRoleAssignedTo", s.assign)
	s.mux.HandleFunc("DELETE /v1.0/servicePrincipals/{id}/appRoleAssignedTo/{assignment}", s.unassign)
}

func (sp *ServicePrincipal) props() map[string]any {
	roles := []any{}
	if sp.AppRoleID != "" {
		// An application made from the cross-tenant sync template has one
		// role, msiam_access, assignable to users (and groups).
		roles = append(roles, map[string]any{"id": sp.AppRoleID, "value": "msiam_access", "displayName": "msiam_access",
			"allowedMemberTypes": []any{"User"}, "isEnabled": true})
	}
	tags := []any{}
	for _, t := range sp.Tags {
		tags = append(tags, t)
	}
	return map[string]any{"id": sp.ID, "appId": sp.AppID, "displayName": sp.DisplayName, "tags": tags, "appRoles": roles,
		"appRoleAssignmentRequired": sp.AppRoleID != "", "applicationTemplateId": nullIfEmpty(sp.TemplateID),
		"servicePrincipalType": "Application"}
}

func (s *Server) listServicePrincipals(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	var all []map[string]any
	for _, sp := range s.t.spList() {
		if !s.lagged(sp.ID) {
			all = append(all, sp.props())
		}
	}
	page(w, r, lq, "servicePrincipals", selectItems(lq, all, defaultServicePrincipalProperties))
}

// spList is the service principals in id order.
func (t *tenant) spList() []*ServicePrincipal {
	var out []*ServicePrincipal
	for _, sp := range t.sps {
		out = append(out, sp)
	}
	slices.SortFunc(out, func(a, b *ServicePrincipal) int { return strings.Compare(lower(a.ID), lower(b.ID)) })
	return out
}

// servicePrincipal finds {id}; one created moments ago is not readable
// yet (replication lag, as for groups).
func (s *Server) servicePrincipal(w http.ResponseWriter, r *http.Request) (*ServicePrincipal, bool) {
	id := r.PathValue("id")
	sp, ok := s.t.sps[lower(id)]
	if !ok || s.lagged(id) {
		notFound(w, r, id)
		return nil, false
	}
	return sp, true
}

func (s *Server) getServicePrincipal(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := project(sp.props(), lq.sel, defaultServicePrincipalProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals/$entity"
	writeJSON(w, http.StatusOK, body)
}

// patchServicePrincipal updates tags and displayName; 204.
func (s *Server) patchServicePrincipal(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	var in struct {
		Tags        *[]string `json:"tags"`
		DisplayName *string   `json:"displayName"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if in.Tags != nil {
		sp.Tags = *in.Tags
	}
	if in.DisplayName != nil {
		sp.DisplayName = *in.DisplayName
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteServicePrincipal is 204; its assignments and synchronization jobs
// go with it (servicePrincipal-delete). The application registration is
// not emulated, so nothing else changes.
func (s *Server) deleteServicePrincipal(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	delete(s.t.sps, lower(sp.ID))
	w.WriteHeader(http.StatusNoContent)
}

// withAssignments adds to an object's properties the app role assignments
// it holds as a principal, when lq's $filter names them: they are a
// relationship, which only a filter reads (appRoleAssignments/$count).
func (s *Server) withAssignments(props map[string]any, lq listQuery) map[string]any {
	if !filterNames(lq, "appRoleAssignments") {
		return props
	}
	id, _ := props["id"].(string)
	held := []any{}
	for _, sp := range s.t.sps {
		for _, a := range sp.Assignments {
			if strings.EqualFold(a.PrincipalID, id) {
				held = append(held, s.assignmentBody(sp, a))
			}
		}
	}
	props["appRoleAssignments"] = held
	return props
}

func (s *Server) assignmentBody(sp *ServicePrincipal, a AppRoleAssignment) map[string]any {
	name := ""
	if u := s.t.users[lower(a.PrincipalID)]; u != nil {
		name = u.DisplayName
	} else if g := s.t.groups[lower(a.PrincipalID)]; g != nil {
		name = g.DisplayName
	}
	return map[string]any{"id": a.ID, "appRoleId": a.AppRoleID, "principalId": a.PrincipalID, "principalType": a.PrincipalType,
		"principalDisplayName": name, "resourceId": sp.ID, "resourceDisplayName": sp.DisplayName}
}

func (s *Server) listAssignments(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	items := []map[string]any{}
	for _, a := range sp.Assignments {
		items = append(items, s.assignmentBody(sp, a))
	}
	page(w, r, lq, "servicePrincipals('"+sp.ID+"')/appRoleAssignedTo", items)
}

// assign is POST .../appRoleAssignedTo {principalId, resourceId, appRoleId}:
// 201. The principal must be a user or group, the role the resource's;
// assigning the same principal and role twice is refused.
func (s *Server) assign(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	var in struct {
		PrincipalID string `json:"principalId"`
		ResourceID  string `json:"resourceId"`
		AppRoleID   string `json:"appRoleId"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	principalType := ""
	switch {
	case s.t.users[lower(in.PrincipalID)] != nil && !s.lagged(in.PrincipalID):
		principalType = "User"
	case s.t.groups[lower(in.PrincipalID)] != nil && !s.lagged(in.PrincipalID):
		principalType = "Group"
	default:
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'principalId' of resource 'AppRoleAssignment'.")
		return
	}
	if !strings.EqualFold(in.ResourceID, sp.ID) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.")
		return
	}
	if sp.AppRoleID == "" || !strings.EqualFold(in.AppRoleID, sp.AppRoleID) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Permission being assigned was not found on application")
		return
	}
	for _, a := range sp.Assignments {
		if strings.EqualFold(a.PrincipalID, in.PrincipalID) && strings.EqualFold(a.AppRoleID, in.AppRoleID) {
			writeError(w, r, http.StatusConflict, "Request_BadRequest", "Permission being assigned already exists on the object")
			return
		}
	}
	a := AppRoleAssignment{ID: newID(), PrincipalID: lower(in.PrincipalID), PrincipalType: principalType, AppRoleID: sp.AppRoleID}
	sp.Assignments = append(sp.Assignments, a)
	body := s.assignmentBody(sp, a)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals('" + sp.ID + "')/appRoleAssignedTo/$entity"
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) unassign(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	id := r.PathValue("assignment")
	i := slices.IndexFunc(sp.Assignments, func(a AppRoleAssignment) bool { return strings.EqualFold(a.ID, id) })
	if i < 0 {
		notFound(w, r, id)
		return
	}
	sp.Assignments = slices.Delete(sp.Assignments, i, i+1)
	w.WriteHeader(http.StatusNoContent)
}

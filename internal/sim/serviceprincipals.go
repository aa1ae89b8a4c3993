package sim

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Service principals and their app role assignments (Graph v1.0:
// servicePrincipal list/get/update, serviceprincipal-post-approleassignedto,
// serviceprincipal-list-approleassignedto, serviceprincipal-delete-approleassignedto).
// Member references by app and entrasync's cross-tenant sync jobs read them.

// defaultServicePrincipalProperties are the default property set (List and
// Get servicePrincipal responses).
var defaultServicePrincipalProperties = []string{"id", "deletedDateTime", "accountEnabled", "addIns", "alternativeNames",
	"appDisplayName", "appId", "applicationTemplateId", "appOwnerOrganizationId", "appRoleAssignmentRequired", "appRoles",
	"description", "disabledByMicrosoftStatus", "displayName", "homepage", "info", "keyCredentials", "loginUrl", "logoutUrl",
	"notes", "notificationEmailAddresses", "oauth2PermissionScopes", "passwordCredentials", "preferredSingleSignOnMode",
	"publisherName", "replyUrls", "resourceSpecificApplicationPermissions", "servicePrincipalNames", "servicePrincipalType",
	"signInAudience", "tags", "tokenEncryptionKeyId", "verifiedPublisher"}

// writableServicePrincipal are the properties Update servicePrincipal
// takes besides displayName and tags, which the emulator keeps apart.
var writableServicePrincipal = []string{"accountEnabled", "addIns", "alternativeNames", "appRoleAssignmentRequired", "appRoles",
	"customSecurityAttributes", "description", "homepage", "keyCredentials", "loginUrl", "logoutUrl", "notes",
	"notificationEmailAddresses", "oauth2PermissionScopes", "preferredSingleSignOnMode", "replyUrls",
	"servicePrincipalNames", "tokenEncryptionKeyId"}

// defaultAppRole is the role an assignment names when the resource
// declares none: access to the application itself (appRoleAssignment:
// "the default app role ID").
const defaultAppRole = "00000000-0000-0000-0000-000000000000"

// AppRoleAssignment assigns a user, group or service principal to a
// service principal.
type AppRoleAssignment struct {
	ID              string `json:"id"`
	PrincipalID     string `json:"principalId"`
	PrincipalType   string `json:"principalType"`
	AppRoleID       string `json:"appRoleId"`
	CreatedDateTime string `json:"createdDateTime,omitempty"`
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
	props := map[string]any{"id": sp.ID, "appId": sp.AppID, "displayName": sp.DisplayName, "appDisplayName": sp.DisplayName,
		"tags": tags, "appRoles": roles, "appRoleAssignmentRequired": sp.AppRoleID != "", "applicationTemplateId": nullIfEmpty(sp.TemplateID),
		"servicePrincipalType": "Application", "accountEnabled": true, "servicePrincipalNames": []any{sp.AppID},
		"signInAudience":    "AzureADMyOrg",
		"info":              map[string]any{"termsOfServiceUrl": nil, "supportUrl": nil, "privacyStatementUrl": nil, "marketingUrl": nil, "logoUrl": nil},
		"verifiedPublisher": map[string]any{"displayName": nil, "verifiedPublisherId": nil, "addedDateTime": nil}}
	for _, list := range []string{"addIns", "alternativeNames", "keyCredentials", "notificationEmailAddresses", "oauth2PermissionScopes",
		"passwordCredentials", "replyUrls", "resourceSpecificApplicationPermissions"} {
		props[list] = []any{}
	}
	maps.Copy(props, sp.Properties)
	return props
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
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals" + lq.contextSelection(body) + "/$entity"
	writeJSON(w, http.StatusOK, body)
}

// patchServicePrincipal is 204. Custom security attributes merge by
// attribute, a null removing one (Graph: custom security attribute
// examples, "remove an assignment"); other properties are replaced. A
// property the type has not, or cannot be written, is refused.
func (s *Server) patchServicePrincipal(w http.ResponseWriter, r *http.Request) {
	sp, ok := s.servicePrincipal(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	for k := range in {
		if strings.HasPrefix(k, "@odata.") {
			delete(in, k) // an annotation, as the SDKs send @odata.type
		}
	}
	var tags []string
	for k, v := range in {
		switch {
		case k == "displayName":
			if _, ok := v.(string); !ok {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'displayName' of resource 'ServicePrincipal'.")
				return
			}
		case k == "tags":
			list, ok := v.([]any)
			for _, t := range list {
				str, isString := t.(string)
				ok = ok && isString
				tags = append(tags, str)
			}
			if !ok {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'tags' of resource 'ServicePrincipal'.")
				return
			}
		case !slices.Contains(writableServicePrincipal, k):
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is read-only or does not exist on type 'microsoft.graph.servicePrincipal'.")
			return
		}
	}
	if v, ok := in["displayName"].(string); ok {
		sp.DisplayName = v
	}
	if _, ok := in["tags"]; ok {
		sp.Tags = tags
	}
	for k, v := range in {
		if k == "displayName" || k == "tags" {
			continue
		}
		if sp.Properties == nil {
			sp.Properties = map[string]any{}
		}
		if k == "customSecurityAttributes" {
			v = mergeAttributes(sp.Properties[k], v)
		}
		sp.Properties[k] = v
	}
	w.WriteHeader(http.StatusNoContent)
}

// mergeAttributes applies a PATCH of customSecurityAttributes: attribute
// sets merge attribute by attribute, null removes an attribute.
func mergeAttributes(current, patch any) any {
	have, _ := current.(map[string]any)
	sets, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	out := map[string]any{}
	for name, set := range have {
		m, _ := set.(map[string]any)
		out[name] = maps.Clone(m)
	}
	for name, set := range sets {
		attrs, ok := set.(map[string]any)
		if !ok {
			continue
		}
		merged, _ := out[name].(map[string]any)
		if merged == nil {
			merged = map[string]any{}
		}
		for k, v := range attrs {
			if v == nil {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		out[name] = merged
	}
	return out
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
	} else if client := s.t.sps[lower(a.PrincipalID)]; client != nil {
		name = client.DisplayName
	}
	return map[string]any{"id": a.ID, "appRoleId": a.AppRoleID, "principalId": a.PrincipalID, "principalType": a.PrincipalType,
		"principalDisplayName": name, "resourceId": sp.ID, "resourceDisplayName": sp.DisplayName,
		"createdDateTime": nullIfEmpty(a.CreatedDateTime), "deletedDateTime": nil}
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
	case s.t.sps[lower(in.PrincipalID)] != nil && !s.lagged(in.PrincipalID):
		// A client service principal: an application permission.
		principalType = "ServicePrincipal"
	default:
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'principalId' of resource 'AppRoleAssignment'.")
		return
	}
	if !strings.EqualFold(in.ResourceID, sp.ID) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.")
		return
	}
	role := sp.AppRoleID
	if role == "" {
		role = defaultAppRole
	}
	if principalType == "ServicePrincipal" && role != defaultAppRole {
		// msiam_access allows users (and their groups) only; an
		// application needs a role whose allowedMemberTypes name it.
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The app role's allowedMemberTypes do not include Application; it cannot be assigned to a service principal.")
		return
	}
	if !strings.EqualFold(in.AppRoleID, role) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Permission being assigned was not found on application")
		return
	}
	for _, a := range sp.Assignments {
		if strings.EqualFold(a.PrincipalID, in.PrincipalID) && strings.EqualFold(a.AppRoleID, in.AppRoleID) {
			writeError(w, r, http.StatusConflict, "Request_BadRequest", "Permission being assigned already exists on the object")
			return
		}
	}
	a := AppRoleAssignment{ID: newID(), PrincipalID: lower(in.PrincipalID), PrincipalType: principalType, AppRoleID: role,
		CreatedDateTime: s.opts.Now().UTC().Format(time.RFC3339Nano)}
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

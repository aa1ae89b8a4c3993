package sim

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"time"
)

// defaultGroupProperties: the create response and GET without $select
// return these, unset ones as explicit nulls (graph-api.md §2.1).
var defaultGroupProperties = []string{"id", "deletedDateTime", "classification", "createdDateTime",
	"description", "displayName", "expirationDateTime", "groupTypes", "isAssignableToRole", "mail",
	"mailEnabled", "mailNickname", "membershipRule", "membershipRuleProcessingState",
	"onPremisesSyncEnabled", "preferredDataLocation", "proxyAddresses", "renewedDateTime",
	"securityEnabled", "theme", "visibility"}

func (s *Server) routeGroups() {
	s.mux.HandleFunc("GET /v1.0/groups", s.listGroups)
	s.mux.HandleFunc("POST /v1.0/groups", s.createGroup)
	s.mux.HandleFunc("GET /v1.0/groups/{id}", s.getGroup)
	s.mux.HandleFunc("GET /v1.0/groups/{id}/members", s.listMembers)
	s.mux.HandleFunc("POST /v1.0/groups/{id}/members/$ref", s.addMember)
	s.mux.HandleFunc("DELETE /v1.0/groups/{id}/members/{member}/$ref", s.removeMember)
}

func (g *Group) props() map[string]any {
	m := map[string]any{
		"id": g.ID, "displayName": g.DisplayName, "mailNickname": g.MailNickname,
		"mailEnabled": g.MailEnabled, "securityEnabled": g.SecurityEnabled,
		"groupTypes": nonNil(g.GroupTypes), "proxyAddresses": []string{},
		"createdDateTime": g.CreatedDateTime,
	}
	set := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	set("description", g.Description)
	set("visibility", g.Visibility)
	set("membershipRule", g.MembershipRule)
	set("membershipRuleProcessingState", g.MembershipRuleProcessingState)
	if g.IsAssignableToRole {
		m["isAssignableToRole"] = true
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) group(w http.ResponseWriter, r *http.Request) (*Group, bool) {
	id := r.PathValue("id")
	g, ok := s.dir.groups[strings.ToLower(id)]
	if !ok {
		notFound(w, r, id)
	}
	return g, ok
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	all := make([]map[string]any, len(s.dir.groupOrder))
	for i, g := range s.dir.groupOrder {
		all[i] = g.props()
	}
	page(w, r, lq, "groups", selectItems(lq, all, defaultGroupProperties))
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := project(g.props(), lq.sel, defaultGroupProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#groups/$entity"
	writeJSON(w, http.StatusOK, body)
}

// createGroup is POST /groups: displayName, mailEnabled, mailNickname and
// securityEnabled are required; mailNickname is unique (§2.1).
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	var in struct {
		DisplayName     *string  `json:"displayName"`
		Description     string   `json:"description"`
		MailEnabled     *bool    `json:"mailEnabled"`
		MailNickname    *string  `json:"mailNickname"`
		SecurityEnabled *bool    `json:"securityEnabled"`
		GroupTypes      []string `json:"groupTypes"`
		Visibility      string   `json:"visibility"`
		MembershipRule  string   `json:"membershipRule"`
		RuleState       string   `json:"membershipRuleProcessingState"`
		IsAssignable    bool     `json:"isAssignableToRole"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid JSON in request body: "+err.Error())
		return
	}
	for name, missing := range map[string]bool{"displayName": in.DisplayName == nil, "mailEnabled": in.MailEnabled == nil,
		"mailNickname": in.MailNickname == nil, "securityEnabled": in.SecurityEnabled == nil} {
		if missing {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
				"Invalid value specified for property '"+name+"' of resource 'Group'.")
			return
		}
	}
	if len(*in.DisplayName) > 256 || len(*in.MailNickname) > 64 || *in.MailNickname == "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"Invalid value specified for property 'mailNickname' of resource 'Group'.")
		return
	}
	for _, g := range s.dir.groupOrder {
		if strings.EqualFold(g.MailNickname, *in.MailNickname) {
			writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
				"Another object with the same value for property mailNickname already exists.")
			return
		}
	}
	g := &Group{ID: newID(), DisplayName: *in.DisplayName, Description: in.Description,
		MailNickname: *in.MailNickname, MailEnabled: *in.MailEnabled, SecurityEnabled: *in.SecurityEnabled,
		GroupTypes: in.GroupTypes, Visibility: in.Visibility, MembershipRule: in.MembershipRule,
		MembershipRuleProcessingState: in.RuleState, IsAssignableToRole: in.IsAssignable,
		CreatedDateTime: time.Now().UTC().Format(time.RFC3339)}
	s.dir.groups[strings.ToLower(g.ID)] = g
	s.dir.groupOrder = append(s.dir.groupOrder, g)
	s.dir.members[g.ID] = map[string]bool{}
	s.dir.owners[g.ID] = map[string]bool{}
	body := project(g.props(), nil, defaultGroupProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#groups/$entity"
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	ids := make([]string, 0, len(s.dir.members[g.ID]))
	for id := range s.dir.members[g.ID] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	items := []map[string]any{}
	for _, id := range ids {
		obj, typ, ok := s.dir.object(id)
		if !ok {
			continue
		}
		var p map[string]any
		switch o := obj.(type) {
		case *User:
			p = project(o.props(), lq.sel, []string{"id", "displayName", "userPrincipalName"})
		case *Group:
			p = project(o.props(), lq.sel, []string{"id", "displayName"})
		case *Device:
			p = map[string]any{"id": o.ID, "displayName": o.DisplayName, "deviceId": o.DeviceID}
		}
		p["@odata.type"] = typ
		items = append(items, p)
	}
	page(w, r, lq, "directoryObjects", items)
}

// addMember is POST /groups/{id}/members/$ref with
// {"@odata.id": ".../directoryObjects/{id}"} (§2.5).
func (s *Server) addMember(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	var in map[string]string
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in["@odata.id"] == "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid object identifier '"+in["@odata.id"]+"'.")
		return
	}
	ref := in["@odata.id"]
	id := ref[strings.LastIndex(ref, "/")+1:]
	if _, _, ok := s.dir.object(id); !ok {
		notFound(w, r, id)
		return
	}
	if s.dir.members[g.ID][strings.ToLower(id)] {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"One or more added object references already exist for the following modified properties: 'members'.")
		return
	}
	s.dir.members[g.ID][strings.ToLower(id)] = true
	w.WriteHeader(http.StatusNoContent)
}

// removeMember is DELETE /groups/{id}/members/{memberId}/$ref (§2.6).
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	id := strings.ToLower(r.PathValue("member"))
	if !s.dir.members[g.ID][id] {
		notFound(w, r, r.PathValue("member"))
		return
	}
	delete(s.dir.members[g.ID], id)
	w.WriteHeader(http.StatusNoContent)
}

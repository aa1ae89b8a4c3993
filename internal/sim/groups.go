package sim

import (
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultGroupProperties: the create response and GET or list without
// $select return these, unset ones as explicit nulls or empty lists (the
// example responses of Graph v1.0's "List groups" and "Get group"; the
// onPremises* properties stay null for a cloud group).
var defaultGroupProperties = []string{"id", "deletedDateTime", "classification", "createdDateTime",
	"creationOptions", "description", "displayName", "expirationDateTime", "groupTypes", "isAssignableToRole",
	"mail", "mailEnabled", "mailNickname", "membershipRule", "membershipRuleProcessingState",
	"onPremisesDomainName", "onPremisesLastSyncDateTime", "onPremisesNetBiosName", "onPremisesSamAccountName",
	"onPremisesSecurityIdentifier", "onPremisesSyncEnabled", "preferredDataLocation", "preferredLanguage",
	"proxyAddresses", "renewedDateTime", "resourceBehaviorOptions", "resourceProvisioningOptions",
	"securityEnabled", "securityIdentifier", "theme", "uniqueName", "visibility",
	"onPremisesProvisioningErrors", "serviceProvisioningErrors"}

// maxBindRefs is the limit on members@odata.bind / owners@odata.bind in one
// request (Graph docs: Create group; Update group).
const maxBindRefs = 20

func (s *Server) routeGroups() {
	s.mux.HandleFunc("GET /v1.0/groups", s.listGroups)
	s.mux.HandleFunc("POST /v1.0/groups", s.createGroup)
	s.mux.HandleFunc("GET /v1.0/groups/{id}", s.getGroup)
	s.mux.HandleFunc("PATCH /v1.0/groups/{id}", s.updateGroup)
	s.mux.HandleFunc("DELETE /v1.0/groups/{id}", s.deleteGroup)
}

func (g *Group) props() map[string]any {
	m := map[string]any{
		"id": g.ID, "displayName": g.DisplayName, "mailNickname": g.MailNickname,
		"mailEnabled": g.MailEnabled, "securityEnabled": g.SecurityEnabled,
		"groupTypes": nonNil(g.GroupTypes), "proxyAddresses": []string{},
		"createdDateTime": nullIfEmpty(g.CreatedDateTime), "deletedDateTime": nullIfEmpty(g.DeletedDateTime),
		"description": nullIfEmpty(g.Description), "visibility": nullIfEmpty(g.Visibility),
		"membershipRule":                nullIfEmpty(g.MembershipRule),
		"membershipRuleProcessingState": nullIfEmpty(g.MembershipRuleProcessingState),
		"isAssignableToRole":            nil,
		"uniqueName":                    nullIfEmpty(g.UniqueName),
		// A group renews when created (Graph's group resource:
		// renewedDateTime); the lists are empty, not null.
		"renewedDateTime": nullIfEmpty(g.CreatedDateTime), "securityIdentifier": securityIdentifier(g.ID),
		"creationOptions": []string{}, "resourceBehaviorOptions": []string{}, "resourceProvisioningOptions": []string{},
		"onPremisesProvisioningErrors": []any{}, "serviceProvisioningErrors": []any{},
		"assignedLicenses": nonNilAny(g.AssignedLicenses), "hasMembersWithLicenseErrors": g.HasMembersWithLicenseErrors,
	}
	if g.IsAssignableToRole {
		m["isAssignableToRole"] = true
	}
	if g.OnPremisesSyncEnabled {
		m["onPremisesSyncEnabled"] = true
	}
	if g.MailEnabled {
		// The mail address is also the primary SMTP proxy address
		// (Create group, example 1).
		mail := g.MailNickname + "@emulated.onmicrosoft.com"
		m["mail"], m["proxyAddresses"] = mail, []string{"SMTP:" + mail}
	}
	return m
}

// securityIdentifier is the SID Entra gives a cloud group: S-1-12-1-
// followed by the object id's 16 bytes as four little-endian 32-bit
// numbers (Graph's group resource: securityIdentifier; Entra's object-id
// to SID mapping).
func securityIdentifier(id string) any {
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", ""))
	if err != nil || len(raw) != 16 {
		return nil
	}
	// The GUID's first three fields are stored little-endian.
	b := []byte{raw[3], raw[2], raw[1], raw[0], raw[5], raw[4], raw[7], raw[6]}
	b = append(b, raw[8:]...)
	parts := make([]string, 4)
	for i := range parts {
		parts[i] = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(b[4*i:])), 10)
	}
	return "S-1-12-1-" + strings.Join(parts, "-")
}

func nonNilAny(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// group finds a group by id, answering 404 itself.
func (s *Server) group(w http.ResponseWriter, r *http.Request) (*Group, bool) {
	id := r.PathValue("id")
	g, ok := s.t.groups[lower(id)]
	switch {
	case ok && s.lagged(id) && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/members"):
		// Adding members to a group created moments ago (Graph's "add
		// member" and group-post-groups guidance on replication delay).
		referencedLagging(w, r)
		return nil, false
	case !ok || s.lagged(id):
		notFound(w, r, id)
		return nil, false
	}
	return g, true
}

// referencedLagging is Graph's answer when a request refers to an object
// that exists but has not replicated yet: retry it after a moment.
func referencedLagging(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
		"The source resource object or one of the objects being referenced do not exist.")
}

// groupBody is a group as a response carries it: $select or the default
// set, and the relations $expand asks for.
func (s *Server) groupBody(r *http.Request, g *Group, lq listQuery) map[string]any {
	body := project(g.props(), lq.sel, defaultGroupProperties)
	if e, ok := lq.expanding("extensions"); ok {
		body["extensions"] = expandedExtensions(g.Extensions, e)
	}
	for _, rel := range []string{"members", "owners"} {
		if e, ok := lq.expanding(rel); ok {
			body[rel] = s.expandedRelation(r, g, rel, e.sel)
		}
	}
	return body
}

// maxExpanded is how many objects an expanded relationship of a directory
// object holds, with no nextLink to the rest (Graph's known issues: "Some
// limitations apply to query parameters": $expand returns a maximum of 20
// objects).
const maxExpanded = 20

// expandedPageSize caps a listing's page when it expands a relationship
// (Graph docs: Use query parameters, $expand; reports from tenants: pages
// of 100 however large $top is).
const expandedPageSize = 100

// expandedRelation is a group's members or owners as $expand embeds them:
// the first maxExpanded, typed, with the nested $select. Like the
// relationship's own v1.0 listing, it leaves out service principals.
func (s *Server) expandedRelation(r *http.Request, g *Group, rel string, sel []string) []map[string]any {
	ids := s.relationIDs(g, rel)
	if !isBeta(r) {
		ids = s.withoutServicePrincipals(ids)
	}
	out := make([]map[string]any, 0, min(len(ids), maxExpanded))
	for _, id := range ids {
		if len(out) == maxExpanded {
			break
		}
		if p := s.directoryObject(id, sel); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// groupExpansions are the relations a group's $expand can name.
var groupExpansions = []string{"extensions", "members", "owners"}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	if msg := unsupportedExpand(lq.expand, groupExpansions); msg != "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	if lq.advanced && filterNames(lq, "hasMembersWithLicenseErrors") {
		// The one filter that fails as an advanced query (reported on
		// List groups, example 2, which the page then changed to send
		// no ConsistencyLevel; the advanced query guide lists it).
		writeError(w, r, http.StatusBadRequest, "Request_UnsupportedQuery",
			"Unsupported or invalid query filter clause specified for property 'hasMembersWithLicenseErrors' of resource 'Group'.")
		return
	}
	for _, rel := range []string{"members", "owners"} {
		if _, ok := lq.expanding(rel); ok {
			lq.top = min(lq.top, expandedPageSize)
		}
	}
	all := make([]map[string]any, 0, len(s.t.groupOrder))
	for _, id := range s.t.groupOrder {
		if !s.lagged(id) { // still replicating: no read path shows it yet
			all = append(all, s.withAssignments(s.t.groups[id].props(), lq))
		}
	}
	kept := filterSort(lq, all)
	// Only the page is rendered: expanding every group's members would
	// make a large listing cost what a full read of the tenant does.
	start, end := window(lq, len(kept))
	items := make([]map[string]any, 0, end-start)
	for _, p := range kept[start:end] {
		items = append(items, s.groupBody(r, s.t.groups[lower(p["id"].(string))], lq))
	}
	writePage(w, r, lq, "groups", items, len(kept))
}

// unsupportedExpand returns the error for an $expand item outside allowed.
func unsupportedExpand(expand []expansion, allowed []string) string {
	for _, e := range expand {
		if !slices.Contains(allowed, e.prop) {
			return "Expanding '" + e.prop + "' is not emulated; only " + strings.Join(allowed, ", ") + " are."
		}
	}
	return ""
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
	if msg := unsupportedExpand(lq.expand, groupExpansions); msg != "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	body := s.groupBody(r, g, lq)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#groups" + lq.contextSelection(body) + "/$entity"
	writeJSON(w, http.StatusOK, body)
}

// groupInput is the writable part of a group in POST and PATCH bodies.
type groupInput struct {
	DisplayName     *string  `json:"displayName"`
	Description     *string  `json:"description"`
	MailEnabled     *bool    `json:"mailEnabled"`
	MailNickname    *string  `json:"mailNickname"`
	UniqueName      *string  `json:"uniqueName"`
	SecurityEnabled *bool    `json:"securityEnabled"`
	GroupTypes      []string `json:"groupTypes"`
	Visibility      *string  `json:"visibility"`
	MembershipRule  *string  `json:"membershipRule"`
	RuleState       *string  `json:"membershipRuleProcessingState"`
	IsAssignable    *bool    `json:"isAssignableToRole"`
	MembersBind     []string `json:"members@odata.bind"`
	OwnersBind      []string `json:"owners@odata.bind"`
}

func invalidProperty(w http.ResponseWriter, r *http.Request, name string) {
	writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
		"Invalid value specified for property '"+name+"' of resource 'Group'.")
}

func (s *Server) uniqueNameTaken(name string) bool {
	for _, g := range s.t.groups {
		if strings.EqualFold(g.UniqueName, name) {
			return true
		}
	}
	return false
}

// createGroup is POST /groups (Graph docs: Create group): displayName, mailEnabled,
// mailNickname and securityEnabled are required; at most 20 relationships
// may be bound at creation.
func (s *Server) createGroup(w http.ResponseWriter, r *http.Request) {
	var in groupInput
	if !decodeBody(w, r, &in) {
		return
	}
	switch {
	case in.DisplayName == nil || *in.DisplayName == "" || len([]rune(*in.DisplayName)) > 256:
		invalidProperty(w, r, "displayName")
		return
	case in.MailEnabled == nil:
		invalidProperty(w, r, "mailEnabled")
		return
	case in.MailNickname == nil || !validNickname(*in.MailNickname):
		invalidProperty(w, r, "mailNickname")
		return
	case in.SecurityEnabled == nil:
		invalidProperty(w, r, "securityEnabled")
		return
	}
	g := &Group{ID: newID(), DisplayName: *in.DisplayName, MailNickname: *in.MailNickname,
		MailEnabled: *in.MailEnabled, SecurityEnabled: *in.SecurityEnabled, GroupTypes: in.GroupTypes,
		CreatedDateTime: s.opts.Now().UTC().Format(time.RFC3339)}
	if g.MailEnabled && !g.IsUnified() {
		// Graph creates only Microsoft 365 and security groups; mail-enabled
		// security and distribution groups belong to Exchange (DC
		// group-post-groups.md). The message is the emulator's own.
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"Only Microsoft 365 groups (groupTypes Unified) can be created mail-enabled through Microsoft Graph.")
		return
	}
	// uniqueName is an alternate key: set at creation (or once, while
	// null), unique in the tenant (Graph's group resource and Update
	// group: "can be updated only if null and is immutable once set").
	if in.UniqueName != nil && *in.UniqueName != "" {
		if s.uniqueNameTaken(*in.UniqueName) {
			writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
				"Another object with the same value for property uniqueName already exists.")
			return
		}
		g.UniqueName = *in.UniqueName
	}
	if g.IsUnified() && s.nicknameTaken(g.MailNickname, "") {
		writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property mailNickname already exists.")
		return
	}
	if msg := s.applyGroup(g, &in); msg != "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	if g.Visibility == "" {
		// Graph's group resource, visibility: a Microsoft 365 group is
		// Public unless told otherwise, a role-assignable one Private.
		// It says a security group is Private too, yet every example
		// response of a security group (Create group, example 2; List
		// groups) shows null, so that is what it answers here.
		switch {
		case g.IsAssignableToRole:
			g.Visibility = "Private"
		case g.IsUnified():
			g.Visibility = "Public"
		}
	}
	if len(in.MembersBind)+len(in.OwnersBind) > maxBindRefs {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The request contains too many relationships to add; at most 20 can be set when creating a group.")
		return
	}
	members, owners, ok := s.resolveGroupBinds(w, r, &in)
	if !ok {
		return
	}
	_ = s.t.addGroup(g)
	s.t.created[lower(g.ID)] = s.opts.Now()
	for _, id := range members {
		s.t.setMember(g, id, true)
	}
	for _, id := range owners {
		g.owners[id] = true
	}
	body := project(g.props(), nil, defaultGroupProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#groups/$entity"
	writeJSON(w, http.StatusCreated, body)
}

// validNickname: at most 64 ASCII characters without @ ( ) \ [ ] " ; : . < > , or space (Graph docs: Create group).
func validNickname(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if c <= ' ' || c > '~' || strings.IndexByte(`@()\[]";:.<>,`, c) >= 0 {
			return false
		}
	}
	return true
}

// nicknameTaken: mailNickname is unique among Microsoft 365 groups (Graph docs: Create group).
func (s *Server) nicknameTaken(nick, except string) bool {
	for _, id := range s.t.groupOrder {
		g := s.t.groups[id]
		if g.IsUnified() && id != lower(except) && strings.EqualFold(g.MailNickname, nick) {
			return true
		}
	}
	return false
}

// applyGroup copies writable properties and checks the rules that tie
// them together; it returns a Graph error message or "".
func (s *Server) applyGroup(g *Group, in *groupInput) string {
	if in.DisplayName != nil {
		if *in.DisplayName == "" {
			return "Invalid value specified for property 'displayName' of resource 'Group'."
		}
		g.DisplayName = *in.DisplayName
	}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.Visibility != nil {
		g.Visibility = *in.Visibility
	}
	if in.MembershipRule != nil {
		g.MembershipRule = *in.MembershipRule
	}
	if in.RuleState != nil {
		if *in.RuleState != "On" && *in.RuleState != "Paused" {
			return "Invalid value specified for property 'membershipRuleProcessingState' of resource 'Group'."
		}
		g.MembershipRuleProcessingState = *in.RuleState
	}
	if in.IsAssignable != nil {
		g.IsAssignableToRole = *in.IsAssignable
	}
	if in.GroupTypes != nil {
		g.GroupTypes = in.GroupTypes
	}
	if g.IsDynamic() {
		if g.MembershipRule == "" {
			return "Invalid value specified for property 'membershipRule' of resource 'Group'."
		}
		if _, err := parseRule(g.MembershipRule); err != nil {
			return "Invalid membershipRule: " + err.Error()
		}
		if g.MembershipRuleProcessingState == "" {
			g.MembershipRuleProcessingState = "On"
		}
		if g.IsAssignableToRole {
			// A role-assignable group cannot be dynamic (Graph docs: Create group).
			return "A role-assignable group cannot have dynamic membership."
		}
	}
	return ""
}

// resolveBinds turns @odata.bind URLs into object ids, answering 404 for
// a missing object and 400 for one still replicating.
func (s *Server) resolveBinds(w http.ResponseWriter, r *http.Request, refs []string) ([]string, bool) {
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		id := lower(ref[strings.LastIndex(ref, "/")+1:])
		if _, _, ok := s.t.object(id); !ok {
			notFound(w, r, id)
			return nil, false
		}
		if s.lagged(id) {
			referencedLagging(w, r)
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// resolveGroupBinds resolves both relationship binds of a request body.
func (s *Server) resolveGroupBinds(w http.ResponseWriter, r *http.Request, in *groupInput) (members, owners []string, ok bool) {
	if members, ok = s.resolveBinds(w, r, in.MembersBind); !ok {
		return nil, nil, false
	}
	owners, ok = s.resolveBinds(w, r, in.OwnersBind)
	return members, owners, ok
}

// updateGroup is PATCH /groups/{id} (Graph docs: Update group): 204; members@odata.bind adds
// at most 20 members, all or nothing.
func (s *Server) updateGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	var in groupInput
	if !decodeBody(w, r, &in) {
		return
	}
	if len(in.MembersBind) > maxBindRefs || len(in.OwnersBind) > maxBindRefs {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The request contains too many relationships to add; at most 20 can be added in one request.")
		return
	}
	if len(in.MembersBind) > 0 && g.IsDynamic() {
		dynamicRefused(w, r)
		return
	}
	if in.UniqueName != nil && !strings.EqualFold(*in.UniqueName, g.UniqueName) {
		if g.UniqueName != "" {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Property 'uniqueName' is immutable once set.")
			return
		}
		if s.uniqueNameTaken(*in.UniqueName) {
			writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
				"Another object with the same value for property uniqueName already exists.")
			return
		}
		g.UniqueName = *in.UniqueName
	}
	if in.MailNickname != nil {
		if !validNickname(*in.MailNickname) {
			invalidProperty(w, r, "mailNickname")
			return
		}
		if g.IsUnified() && s.nicknameTaken(*in.MailNickname, g.ID) {
			writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
				"Another object with the same value for property mailNickname already exists.")
			return
		}
	}
	members, owners, ok := s.resolveGroupBinds(w, r, &in)
	if !ok {
		return
	}
	// All or nothing: one reference that is already a member fails the
	// whole request with the "already exist" error (Graph docs: Update group; Add members).
	for _, id := range members {
		if g.members[id] {
			alreadyExists(w, r, "members")
			return
		}
	}
	for _, id := range owners {
		if g.owners[id] {
			alreadyExists(w, r, "owners")
			return
		}
	}
	before, beforeProps := *g, g.props()
	if msg := s.applyGroup(g, &in); msg != "" {
		*g = before
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	if in.MailNickname != nil {
		g.MailNickname = *in.MailNickname
	}
	for _, id := range members {
		s.t.setMember(g, id, true)
	}
	for _, id := range owners {
		g.owners[id] = true
	}
	// Any property that changed is news to delta; a PATCH that changes
	// nothing is not.
	if after := g.props(); !reflect.DeepEqual(beforeProps, after) {
		prev := g.seq
		g.seq = s.t.next()
		g.changes.record(prev, beforeProps, after, g.seq)
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteGroup is DELETE /groups/{id} (Graph docs: Delete group): a Microsoft 365 group goes
// to deletedItems for 30 days; a security group is gone at once.
func (s *Server) deleteGroup(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	id := lower(g.ID)
	delete(s.t.groups, id)
	s.t.groupOrder = removeID(s.t.groupOrder, id)
	s.t.removeEverywhere(id)
	reason := "deleted"
	if g.IsUnified() {
		reason = "changed"
		g.DeletedDateTime = s.opts.Now().UTC().Format(time.RFC3339)
		s.t.deleted[id] = g
	}
	s.t.tombstones = append(s.t.tombstones, tombstone{seq: s.t.next(), id: g.ID, kind: "group", reason: reason})
	w.WriteHeader(http.StatusNoContent)
}

func alreadyExists(w http.ResponseWriter, r *http.Request, rel string) {
	writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
		"One or more added object references already exist for the following modified properties: '"+rel+"'.")
}

// dynamicRefused: members of a dynamic group cannot be changed by hand
// (Graph docs: Create group; Remove member). The message is the emulator's own.
func dynamicRefused(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
		"Insufficient privileges to complete the operation: the group's membership is dynamic.")
}

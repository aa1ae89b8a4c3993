package sim

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/odata"
)

// defaultUserProperties is the property set of GET /users without $select
// (Graph's user resource).
var defaultUserProperties = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle",
	"mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

func (s *Server) routeUsers() {
	s.mux.HandleFunc("GET /v1.0/users", s.listUsers)
	s.mux.HandleFunc("POST /v1.0/users", s.createUser)
	s.mux.HandleFunc("GET /v1.0/users/{id}", s.getUser)
	s.mux.HandleFunc("PATCH /v1.0/users/{id}", s.updateUser)
	s.mux.HandleFunc("DELETE /v1.0/users/{id}", s.deleteUser)
	// The emulator's callers are apps with application permissions, and
	// /me needs a signed-in user: Graph answers an app-only token's /me
	// with 400 (SDK issue reports quote the body; Get user's note).
	s.mux.HandleFunc("/v1.0/me", meNeedsUser)
	s.mux.HandleFunc("/v1.0/me/{rest...}", meNeedsUser)
}

func (u *User) props() map[string]any {
	m := map[string]any{"businessPhones": []any{}}
	for k, v := range u.Properties {
		m[k] = v
	}
	m["id"] = u.ID
	m["userPrincipalName"] = u.UserPrincipalName
	m["displayName"] = u.DisplayName
	m["accountEnabled"] = u.AccountEnabled
	m["userType"] = nullIfEmpty(u.UserType)
	m["mail"] = nullIfEmpty(u.Mail)
	m["mailNickname"] = nullIfEmpty(u.MailNickname)
	return m
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// user finds a user by id or userPrincipalName, answering 404 itself
// (also during the replication window of a new user).
func (s *Server) user(w http.ResponseWriter, r *http.Request) (*User, bool) {
	id := r.PathValue("id")
	u, ok := s.t.users[lower(id)]
	if !ok {
		u, ok = s.t.upns[lower(id)]
	}
	if !ok || s.lagged(u.ID) {
		notFound(w, r, id)
		return nil, false
	}
	return u, true
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	// A filter on a property the user resource does not have is Graph's
	// 400, never an empty result (which would read as "nobody matches").
	if lq.filter != nil {
		for _, p := range odata.Properties(lq.filter) {
			if !model.KnownUserProperty(p.Path) {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
					"Could not find a property named '"+p.Path[0]+"' on type 'microsoft.graph.user'.")
				return
			}
		}
	}
	all := make([]map[string]any, 0, len(s.t.userOrder))
	for _, id := range s.t.userOrder {
		if !s.lagged(id) {
			all = append(all, s.withAssignments(s.t.users[id].props(), lq))
		}
	}
	if selectsOrFilters(lq, "signInActivity") {
		// Graph docs: List users, example 11: with signInActivity a page
		// holds at most 120 users, whatever $top says.
		lq.top = min(lq.top, signInActivityPageSize)
	}
	items := selectItems(lq, all, defaultUserProperties)
	for _, it := range items {
		withoutUnsetExtensions(it)
	}
	page(w, r, lq, "users", items)
}

const signInActivityPageSize = 120

// selectsOrFilters reports whether $select or $filter names prop.
func selectsOrFilters(lq listQuery, prop string) bool {
	return slices.Contains(lq.sel, prop) || filterNames(lq, prop)
}

// filterNames reports whether $filter names prop (a path's first step).
func filterNames(lq listQuery, prop string) bool {
	if lq.filter != nil {
		for _, p := range odata.Properties(lq.filter) {
			if len(p.Path) > 0 && strings.EqualFold(p.Path[0], prop) {
				return true
			}
		}
	}
	return false
}

// withoutUnsetExtensions drops the extension properties that $select
// asked for but the object does not carry: Graph leaves them out rather
// than answer null (Graph docs: List users, example 10).
func withoutUnsetExtensions(item map[string]any) {
	for k, v := range item {
		if v == nil && model.ExtensionProperty(k) {
			delete(item, k)
		}
	}
}

// upnDomainVerified answers 400 itself unless upn's domain is one of the
// tenant's verified domains (Graph docs: Create user and Update user,
// userPrincipalName).
func (s *Server) upnDomainVerified(w http.ResponseWriter, r *http.Request, upn string) bool {
	if _, domain, _ := strings.Cut(upn, "@"); !s.t.verifiedDomain(domain) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The domain portion of the userPrincipalName property is invalid. You must use one of the verified domain names in your organization.")
		return false
	}
	return true
}

func meNeedsUser(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusBadRequest, "BadRequest", "/me request is only valid with delegated authentication flow.")
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := project(u.props(), lq.sel, defaultUserProperties)
	withoutUnsetExtensions(body)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users" + lq.contextSelection(body) + "/$entity"
	writeJSON(w, http.StatusOK, body)
}

// createUser is POST /users: accountEnabled, displayName, mailNickname,
// userPrincipalName and passwordProfile are required.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	for _, req := range []string{"accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"} {
		if in[req] == nil {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
				"Invalid value specified for property '"+req+"' of resource 'User'.")
			return
		}
	}
	upn, _ := in["userPrincipalName"].(string)
	if !s.upnDomainVerified(w, r, upn) {
		return
	}
	if _, dup := s.t.upns[lower(upn)]; dup {
		writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property userPrincipalName already exists.")
		return
	}
	u := &User{ID: newID(), Properties: map[string]any{}}
	applyUser(u, in)
	_ = s.t.addUser(u)
	s.t.created[lower(u.ID)] = s.opts.Now()
	body := project(u.props(), nil, defaultUserProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
	writeJSON(w, http.StatusCreated, body)
}

// applyUser copies request properties onto a user; the password is
// accepted and never stored.
func applyUser(u *User, in map[string]any) {
	for k, v := range in {
		switch k {
		case "id", "passwordProfile", "@odata.type":
		case "userPrincipalName":
			u.UserPrincipalName, _ = v.(string)
		case "displayName":
			u.DisplayName, _ = v.(string)
		case "mail":
			u.Mail, _ = v.(string)
		case "mailNickname":
			u.MailNickname, _ = v.(string)
		case "userType":
			u.UserType, _ = v.(string)
		case "accountEnabled":
			u.AccountEnabled, _ = v.(bool)
		default:
			if v == nil {
				delete(u.Properties, k)
			} else {
				u.Properties[k] = v
			}
		}
	}
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	if upn, ok := in["userPrincipalName"].(string); ok && lower(upn) != lower(u.UserPrincipalName) {
		if !s.upnDomainVerified(w, r, upn) {
			return
		}
		if _, dup := s.t.upns[lower(upn)]; dup {
			writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
				"Another object with the same value for property userPrincipalName already exists.")
			return
		}
		delete(s.t.upns, lower(u.UserPrincipalName))
		s.t.upns[lower(upn)] = u
	}
	if u.Properties == nil {
		u.Properties = map[string]any{}
	}
	beforeProps := u.props()
	applyUser(u, in)
	if after := u.props(); !reflect.DeepEqual(beforeProps, after) {
		prev := u.seq
		u.seq = s.t.next()
		u.changes.record(prev, beforeProps, after, u.seq)
	}
	w.WriteHeader(http.StatusNoContent)
}

// deleteUser soft-deletes the user (Graph docs: Delete user): it leaves
// its groups and owned groups, its userPrincipalName is free for a new
// user, and for 30 days it can be restored from deletedItems with its
// memberships. Delta reports it removed with reason "changed".
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.user(w, r)
	if !ok {
		return
	}
	id := lower(u.ID)
	u.MemberOf, u.OwnerOf = nil, nil
	for _, gid := range s.t.groupOrder {
		g := s.t.groups[gid]
		// A dynamic group takes the user back by its rule, not by record.
		if g.members[id] && !g.IsDynamic() {
			u.MemberOf = append(u.MemberOf, g.ID)
		}
		if g.owners[id] {
			u.OwnerOf = append(u.OwnerOf, g.ID)
		}
	}
	s.t.removeEverywhere(id)
	delete(s.t.users, id)
	delete(s.t.upns, lower(u.UserPrincipalName))
	s.t.userOrder = removeID(s.t.userOrder, id)
	u.DeletedDateTime = s.opts.Now().UTC().Format(time.RFC3339)
	s.t.deletedUsers[id] = u
	s.t.tombstones = append(s.t.tombstones, tombstone{seq: s.t.next(), id: u.ID, kind: "user", reason: "changed"})
	w.WriteHeader(http.StatusNoContent)
}

// decodeBody reads a JSON object body, answering 400 itself.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid JSON in request body: "+err.Error())
		return false
	}
	return true
}

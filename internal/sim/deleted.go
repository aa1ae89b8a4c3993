package sim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"time"
)

// deletedRetention is how long a soft-deleted group or user can be
// restored (Graph docs: Delete group; Restore deleted item).
const deletedRetention = 30 * 24 * time.Hour

func (s *Server) routeDeleted() {
	s.mux.HandleFunc("GET /v1.0/directory/deletedItems/microsoft.graph.group", s.listDeletedGroups)
	s.mux.HandleFunc("GET /v1.0/directory/deletedItems/microsoft.graph.user", s.listDeletedUsers)
	s.mux.HandleFunc("GET /v1.0/directory/deletedItems/{id}", s.getDeleted)
	s.mux.HandleFunc("POST /v1.0/directory/deletedItems/{id}/restore", s.restoreDeleted)
	s.mux.HandleFunc("DELETE /v1.0/directory/deletedItems/{id}", s.deleteForGood)
}

// purgeExpired drops soft-deleted objects past their retention; delta
// then reports them deleted for good.
func (s *Server) purgeExpired() {
	now := s.opts.Now()
	expired := func(at string) bool {
		t, err := time.Parse(time.RFC3339, at)
		return err == nil && now.Sub(t) > deletedRetention
	}
	for id, g := range s.t.deleted {
		if expired(g.DeletedDateTime) {
			s.forget(id)
		}
	}
	for id, u := range s.t.deletedUsers {
		if expired(u.DeletedDateTime) {
			s.forget(id)
		}
	}
}

// forget removes a soft-deleted object for good.
func (s *Server) forget(id string) {
	kind := "group"
	if _, ok := s.t.deletedUsers[id]; ok {
		kind = "user"
	}
	delete(s.t.deleted, id)
	delete(s.t.deletedUsers, id)
	s.t.tombstones = append(s.t.tombstones, tombstone{seq: s.t.next(), id: id, kind: kind, reason: "deleted"})
}

func (s *Server) listDeletedGroups(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	var all []map[string]any
	for _, id := range slices.Sorted(maps.Keys(s.t.deleted)) {
		all = append(all, s.t.deleted[id].props())
	}
	page(w, r, lq, "groups", selectItems(lq, all, defaultGroupProperties))
}

// deletedUserProperties: a deleted user carries the user's default
// properties and when it was deleted.
var deletedUserProperties = append(slices.Clone(defaultUserProperties), "deletedDateTime")

func deletedUserProps(u *User) map[string]any {
	p := u.props()
	p["deletedDateTime"] = u.DeletedDateTime
	return p
}

func (s *Server) listDeletedUsers(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	var all []map[string]any
	for _, id := range slices.Sorted(maps.Keys(s.t.deletedUsers)) {
		all = append(all, deletedUserProps(s.t.deletedUsers[id]))
	}
	page(w, r, lq, "users", selectItems(lq, all, deletedUserProperties))
}

func (s *Server) getDeleted(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	id := lower(r.PathValue("id"))
	var body map[string]any
	if g, ok := s.t.deleted[id]; ok {
		body = project(g.props(), nil, defaultGroupProperties)
		body["@odata.type"] = "#microsoft.graph.group"
	} else if u, ok := s.t.deletedUsers[id]; ok {
		body = project(deletedUserProps(u), nil, deletedUserProperties)
		body["@odata.type"] = "#microsoft.graph.user"
	} else {
		notFound(w, r, r.PathValue("id"))
		return
	}
	// Graph docs: Get deleted item: a directoryObject entity.
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity"
	writeJSON(w, http.StatusOK, body)
}

// deleteForGood is DELETE /directory/deletedItems/{id}: 204, and the
// object cannot be restored any more (Graph docs: Permanently delete item).
func (s *Server) deleteForGood(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	id := lower(r.PathValue("id"))
	_, isGroup := s.t.deleted[id]
	_, isUser := s.t.deletedUsers[id]
	if !isGroup && !isUser {
		notFound(w, r, r.PathValue("id"))
		return
	}
	s.forget(id)
	w.WriteHeader(http.StatusNoContent)
}

// restoreDeleted is POST /directory/deletedItems/{id}/restore: 200 with
// the object, typed, in a directoryObjects context. A group comes back
// with its members and owners; a user rejoins the groups it left.
func (s *Server) restoreDeleted(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	id := lower(r.PathValue("id"))
	var body map[string]any
	if g, ok := s.t.deleted[id]; ok {
		if body, ok = s.restoreGroup(w, r, g); !ok {
			return
		}
	} else if u, ok := s.t.deletedUsers[id]; ok {
		if body, ok = s.restoreUser(w, r, u); !ok {
			return
		}
	} else {
		notFound(w, r, r.PathValue("id"))
		return
	}
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity"
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) restoreGroup(w http.ResponseWriter, r *http.Request, g *Group) (map[string]any, bool) {
	if s.nicknameTaken(g.MailNickname, "") {
		writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property mailNickname already exists.")
		return nil, false
	}
	id := lower(g.ID)
	delete(s.t.deleted, id)
	g.DeletedDateTime = ""
	g.sorted = nil
	g.seq = s.t.next()
	g.changes.reset()
	s.t.groups[id] = g
	s.t.groupOrder = append(s.t.groupOrder, id)
	body := project(g.props(), nil, defaultGroupProperties)
	body["@odata.type"] = "#microsoft.graph.group"
	return body, true
}

// restoreInput is the optional body of a user's restore: a new
// userPrincipalName when another user took the old one meanwhile (Graph
// docs: Restore deleted item, request body).
type restoreInput struct {
	NewUserPrincipalName string `json:"newUserPrincipalName"`
}

func (s *Server) restoreUser(w http.ResponseWriter, r *http.Request, u *User) (map[string]any, bool) {
	var in restoreInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil && err != io.EOF {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid JSON in request body: "+err.Error())
		return nil, false
	}
	upn := u.UserPrincipalName
	if in.NewUserPrincipalName != "" {
		upn = in.NewUserPrincipalName
	}
	if _, taken := s.t.upns[lower(upn)]; taken {
		writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property userPrincipalName already exists.")
		return nil, false
	}
	id := lower(u.ID)
	delete(s.t.deletedUsers, id)
	u.UserPrincipalName, u.DeletedDateTime = upn, ""
	u.seq = s.t.next()
	u.changes.reset()
	s.t.users[id] = u
	s.t.upns[lower(upn)] = u
	s.t.userOrder = append(s.t.userOrder, id)
	// Groups deleted meanwhile are skipped: there is nothing to rejoin.
	for _, gid := range u.MemberOf {
		if g, ok := s.t.groups[lower(gid)]; ok {
			s.t.setMember(g, id, true)
		}
	}
	for _, gid := range u.OwnerOf {
		if g, ok := s.t.groups[lower(gid)]; ok {
			g.owners[id] = true
		}
	}
	u.MemberOf, u.OwnerOf = nil, nil
	body := project(u.props(), nil, defaultUserProperties)
	body["@odata.type"] = "#microsoft.graph.user"
	return body, true
}

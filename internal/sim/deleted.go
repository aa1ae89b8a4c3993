package sim

import (
	"net/http"
	"slices"
	"time"
)

// deletedRetention is how long a soft-deleted group can be restored (Graph docs: Delete group).
const deletedRetention = 30 * 24 * time.Hour

func (s *Server) routeDeleted() {
	s.mux.HandleFunc("GET /v1.0/directory/deletedItems/microsoft.graph.group", s.listDeletedGroups)
	s.mux.HandleFunc("GET /v1.0/directory/deletedItems/{id}", s.getDeleted)
	s.mux.HandleFunc("POST /v1.0/directory/deletedItems/{id}/restore", s.restoreDeleted)
}

// purgeExpired drops soft-deleted groups past their retention.
func (s *Server) purgeExpired() {
	now := s.opts.Now()
	for id, g := range s.t.deleted {
		if at, err := time.Parse(time.RFC3339, g.DeletedDateTime); err == nil && now.Sub(at) > deletedRetention {
			delete(s.t.deleted, id)
		}
	}
}

func (s *Server) listDeletedGroups(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	var all []map[string]any
	for _, id := range slices.Sorted(func(yield func(string) bool) {
		for id := range s.t.deleted {
			if !yield(id) {
				return
			}
		}
	}) {
		all = append(all, s.t.deleted[id].props())
	}
	page(w, r, lq, "groups", selectItems(lq, all, defaultGroupProperties))
}

func (s *Server) getDeleted(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	g, ok := s.t.deleted[lower(r.PathValue("id"))]
	if !ok {
		notFound(w, r, r.PathValue("id"))
		return
	}
	body := project(g.props(), nil, defaultGroupProperties)
	body["@odata.type"] = "#microsoft.graph.group"
	writeJSON(w, http.StatusOK, body)
}

// restoreDeleted is POST /directory/deletedItems/{id}/restore: 200 with
// the object typed #microsoft.graph.group in a directoryObjects context.
// Members and owners come back with it.
func (s *Server) restoreDeleted(w http.ResponseWriter, r *http.Request) {
	s.purgeExpired()
	id := lower(r.PathValue("id"))
	g, ok := s.t.deleted[id]
	if !ok {
		notFound(w, r, r.PathValue("id"))
		return
	}
	if s.nicknameTaken(g.MailNickname, "") {
		writeError(w, r, http.StatusBadRequest, "Request_MultipleObjectsWithSameKeyValue",
			"Another object with the same value for property mailNickname already exists.")
		return
	}
	delete(s.t.deleted, id)
	g.DeletedDateTime = ""
	g.sorted = nil
	g.seq = s.t.next()
	s.t.groups[id] = g
	s.t.groupOrder = append(s.t.groupOrder, id)
	body := project(g.props(), nil, defaultGroupProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#directoryObjects/$entity"
	body["@odata.type"] = "#microsoft.graph.group"
	writeJSON(w, http.StatusOK, body)
}

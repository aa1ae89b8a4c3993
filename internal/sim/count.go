package sim

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// The $count path segment (Graph docs: "Use the $count query parameter",
// and the "Get only a count" examples of List groups, List users and List
// group members): GET /groups/$count, /users/$count,
// /groups/{id}/members/$count, /groups/{id}/transitiveMembers/$count and
// the same after a cast (/members/microsoft.graph.user/$count) answer the
// number of items a listing with the same $filter would hold, as
// text/plain. Directory objects count only under ConsistencyLevel:
// eventual; without it Graph answers 400.

func (s *Server) routeCounts() {
	s.mux.HandleFunc("GET /v1.0/users/$count", s.countOf(s.listUsers))
	s.mux.HandleFunc("GET /v1.0/groups/$count", s.countOf(s.listGroups))
	s.mux.HandleFunc("GET /v1.0/devices/$count", s.countOf(s.listDevices))
	for _, rel := range []string{"members", "owners", "transitiveMembers"} {
		s.mux.HandleFunc("GET /v1.0/groups/{id}/"+rel+"/$count", s.countOf(s.listRelation(rel)))
		s.mux.HandleFunc("GET /v1.0/groups/{id}/"+rel+"/{cast}/$count", s.countOf(s.listRelation(rel)))
	}
}

// countOf answers a listing's @odata.count alone.
func (s *Server) countOf(list http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("ConsistencyLevel") != "eventual" {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "$count is not currently supported.")
			return
		}
		q := r.URL.Query()
		q.Set("$count", "true")
		q.Set("$top", "1")
		q.Set("$select", "id")
		inner := r.Clone(r.Context())
		inner.URL.RawQuery = q.Encode()
		rec := &captured{header: http.Header{}, status: http.StatusOK}
		list(rec, inner)
		if rec.status != http.StatusOK {
			for k, v := range rec.header {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.status)
			_, _ = w.Write(rec.body)
			return
		}
		var page struct {
			Count *int `json:"@odata.count"`
		}
		if err := json.Unmarshal(rec.body, &page); err != nil || page.Count == nil {
			writeError(w, r, http.StatusInternalServerError, "Service_InternalServerError", "the listing gave no count")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(strconv.Itoa(*page.Count)))
	}
}

// captured is a listing's answer, kept to be read rather than sent.
type captured struct {
	header http.Header
	status int
	body   []byte
}

func (c *captured) Header() http.Header { return c.header }
func (c *captured) WriteHeader(status int) {
	c.status = status
}
func (c *captured) Write(p []byte) (int, error) {
	c.body = append(c.body, p...)
	return len(p), nil
}

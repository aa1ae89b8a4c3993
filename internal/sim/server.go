package sim

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
)

// Server serves the Graph v1.0 API over an emulated directory.
type Server struct {
	mu  sync.Mutex // guards dir: Graph requests are serialised, like one tenant partition
	dir *directory
	mux *http.ServeMux

	requests atomic.Int64
	writes   atomic.Int64
}

// NewServer serves st. The state is owned by the server from now on.
func NewServer(st *State) (*Server, error) {
	dir, err := index(st)
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, mux: http.NewServeMux()}
	s.mux.HandleFunc("/", unknownRoute)
	s.routeUsers()
	s.routeGroups()
	return s, nil
}

// Stats are request counts since the server started.
type Stats struct {
	Requests int64 `json:"requests"`
	Writes   int64 `json:"writes"`
}

// Stats returns the request counts.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Writes: s.writes.Load()}
}

// ServeHTTP sets the headers every Graph response carries and routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	if r.Method != http.MethodGet {
		s.writes.Add(1)
	}
	// request-id on every response; client-request-id echoed (§6.1).
	w.Header().Set("request-id", newID())
	if c := r.Header.Get("client-request-id"); c != "" {
		w.Header().Set("client-request-id", c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// unknownRoute answers what no endpoint family serves, with Graph's body.
func unknownRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
		fmt.Sprintf("Invalid request URL: %s %s", r.Method, r.URL.Path))
}

// newID returns a random version 4 UUID, as Graph object ids are.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// baseURL is the absolute URL of this server's /v1.0 root, as the client
// reached it: nextLinks must be absolute (graph-api.md §1.1).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/v1.0"
}

package sim

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"
)

// Options are the behaviour switches. The zero value is a fast, faithful,
// fault-free emulator.
type Options struct {
	// StatePath, when set, is where changes are saved (atomically, at most
	// every SaveDelay, and on Close).
	StatePath string
	SaveDelay time.Duration
	// OnPanic is told of a handler that panicked (the client got a 500);
	// nil prints it with its stack to standard error. Fuzzing fails on it.
	OnPanic func(v any, stack []byte)

	// Latency is added to every request, plus up to Jitter at random.
	Latency, Jitter time.Duration

	// Throttle enables Graph's identity token buckets (Graph's throttling limits, identity and access service):
	// resource units per 10 s by tenant size and 3,000 writes per 150 s.
	// ResourceUnits and Writes override the quotas (for tests).
	Throttle      bool
	ResourceUnits float64
	Writes        float64

	// ReplicationLag makes objects created within this window answer 404
	// Request_ResourceNotFound when read or referenced by id (Graph: new directory objects replicate with a delay).
	ReplicationLag time.Duration

	// FaultRate is the fraction of requests that fail with 503, 500 or a
	// connection reset, chosen by a generator seeded with Seed.
	FaultRate float64
	Seed      uint64

	// FailWritesAfter, when positive, makes every write after that many
	// succeeded writes fail with 500: an apply interrupted mid-way, for
	// testing that a re-run converges.
	FailWritesAfter int

	// RequireAuth answers 401 to Graph calls without a token issued by
	// this emulator's authority.
	RequireAuth bool

	// Now is the clock (tests); defaults to time.Now.
	Now func() time.Time

	// ImportStep is how long a SharePoint profile import job stays in
	// each state before the next (default 1 s; SharePoint takes hours).
	ImportStep time.Duration

	// WriteLog, when set, receives one line per successful write, batch
	// items included: "METHOD /v1.0/path BODY" with the body as compact
	// JSON. Tests read it to check exactly what a client sent.
	WriteLog io.Writer
}

// Server serves the Graph v1.0 API over an emulated tenant.
type Server struct {
	opts Options

	mu  sync.Mutex // guards t and everything reached from it
	t   *tenant
	mux *routes

	stats   *statsRecorder
	buckets *throttle
	tokens  *tokenStore
	cursors map[string]*deltaCursor
	signerState

	faultMu sync.Mutex
	rng     *mrand.Rand

	writesDone int // succeeded writes, for FailWritesAfter; under mu

	saveMu    sync.Mutex
	dirty     bool
	saveTimer *time.Timer
	// writeMu serialises saves, so an older snapshot is never written
	// over a newer one; saved is the state as last loaded or saved, so
	// writes that leave the tenant as it was (a lock taken and released)
	// do not rewrite the file.
	writeMu sync.Mutex
	saved   []byte
}

// NewServer serves st. The state belongs to the server from now on.
func NewServer(st *State, opts Options) (*Server, error) {
	t, err := newTenant(st)
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SaveDelay == 0 {
		opts.SaveDelay = 200 * time.Millisecond
	}
	s := &Server{
		opts: opts, t: t, mux: newRoutes(),
		stats: newStats(), tokens: newTokenStore(), cursors: map[string]*deltaCursor{},
		rng: mrand.New(mrand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
	}
	if opts.StatePath != "" {
		s.saved, _ = json.Marshal(t.snapshot())
	}
	s.buckets = newThrottle(opts, len(t.users), opts.Now)
	s.mux.HandleFunc("/", s.noRoute)
	s.routeUsers()
	s.routeDevices()
	s.routeOrganization()
	s.routeGroups()
	s.routeMembers()
	s.routeMemberOf()
	s.routeDirectoryObjects()
	s.routeCounts()
	s.routeDeleted()
	s.routeExtensions()
	s.routeDelta()
	s.routeCrossTenant()
	s.routeServicePrincipals()
	s.routeSynchronization()
	s.routeSharePoint()
	s.mux.HandleFunc(batchRoute, s.batch)
	return s, nil
}

// ServeHTTP runs the request through what Graph does before a handler:
// ids, body decoding, authentication, faults, latency, throttling; then
// the handler under the tenant lock. /_sim/ is the emulator's own admin API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	loopbackOnly(http.HandlerFunc(s.serve)).ServeHTTP(w, r)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		// The admin API can read and rewrite the whole tenant: with
		// --require-auth it needs a token as much as Graph does.
		if s.opts.RequireAuth && !s.authorized(w, r) {
			return
		}
		s.admin(w, r)
		return
	}
	// Graph's beta endpoint serves these resources as v1.0 does, and the
	// Terraform azuread provider calls only beta: the emulator answers
	// /beta/... as /v1.0/... (the links it returns stay on beta), remembering
	// the version for where the two differ (isBeta). The items of a beta
	// $batch are beta requests: they run under its context.
	if rest, ok := strings.CutPrefix(r.URL.Path, "/beta/"); ok {
		r = r.WithContext(context.WithValue(r.Context(), betaKey{}, true))
		r.URL.Path = "/v1.0/" + rest
		if raw, ok := strings.CutPrefix(r.URL.RawPath, "/beta/"); ok {
			r.URL.RawPath = "/v1.0/" + raw
		}
	}
	w.Header().Set("request-id", newID())
	if c := r.Header.Get("client-request-id"); c != "" {
		w.Header().Set("client-request-id", c)
	}
	// msgraph-sdk-go gzips every request body (msgraph-sdk-go's compression handler).
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The request body is not valid gzip.")
			return
		}
		r.Body = io.NopCloser(zr)
		r.Header.Del("Content-Encoding")
	}
	// A download URL is pre-authenticated, as SharePoint's are.
	if s.opts.RequireAuth && r.URL.Path != "/_layouts/15/download.aspx" && !s.authorized(w, r) {
		return
	}
	if s.fault(w, r) {
		return
	}
	if d := s.latency(); d > 0 {
		time.Sleep(d)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.serveLocked(w, r, false)
}

type betaKey struct{}

// isBeta reports whether a request came in under /beta.
func isBeta(r *http.Request) bool { beta, _ := r.Context().Value(betaKey{}).(bool); return beta }

// serveLocked throttles, dispatches and records one request or batch item.
func (s *Server) serveLocked(w http.ResponseWriter, r *http.Request, batchItem bool) {
	canonicalQuery(r)
	_, pattern := s.mux.Handler(r)
	if pattern == "/" {
		// Both rewrites may apply: servicePrincipals(appId='…')/ .
		canonical := s.mux.canonicalPath(r)
		if s.alternateKey(r) || canonical {
			_, pattern = s.mux.Handler(r)
		}
	}
	if pattern == batchRoute {
		// The envelope costs nothing; each item is charged as it runs (Graph docs: JSON batching).
		s.handle(&statusWriter{ResponseWriter: w, status: http.StatusOK}, r)
		s.stats.record(r.Method, pattern, 0, 0, http.StatusOK, false)
		return
	}
	cost, writes := requestCost(r, pattern)
	if writes > 0 && s.opts.FailWritesAfter > 0 && s.writesDone >= s.opts.FailWritesAfter {
		s.stats.record(r.Method, pattern, cost, 0, http.StatusInternalServerError, batchItem)
		writeError(w, r, http.StatusInternalServerError, "Service_InternalServerError", "Encountered an internal server error.")
		return
	}
	w.Header().Set("x-ms-resource-unit", fmt.Sprint(cost))
	if wait, scope, ok := s.buckets.take(float64(cost), float64(writes)); !ok {
		s.stats.record(r.Method, pattern, cost, writes, http.StatusTooManyRequests, batchItem)
		tooMany(w, r, wait, scope)
		return
	} else if pct := s.buckets.usage(); pct >= 0.8 {
		w.Header().Set("x-ms-throttle-limit-percentage", fmt.Sprintf("%.1f", pct))
	}
	var body []byte
	if s.opts.WriteLog != nil && writes > 0 && r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	rec := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	s.handle(rec, r)
	if writes > 0 && rec.status < 300 {
		s.writesDone++
		s.logWrite(r, body)
	}
	s.stats.record(r.Method, pattern, cost, writes, rec.status, batchItem)
	if r.Method != http.MethodGet && rec.status < 300 {
		s.markDirty()
	}
}

// logWrite appends a successful write to Options.WriteLog.
func (s *Server) logWrite(r *http.Request, body []byte) {
	if s.opts.WriteLog == nil {
		return
	}
	var compact bytes.Buffer
	if json.Compact(&compact, body) != nil {
		compact.Reset()
		compact.Write(body)
	}
	fmt.Fprintf(s.opts.WriteLog, "%s %s %s\n", r.Method, r.URL.EscapedPath(), compact.String())
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.status, w.wrote = code, true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// handle runs the route's handler. A handler that panics is a bug of the
// emulator, but a client sees what Graph sends for its own internal
// errors, a 500 with an error body (in a $batch, on that item only), never
// a dropped connection; the panic and its stack go to standard error.
func (s *Server) handle(w *statusWriter, r *http.Request) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		if s.opts.OnPanic != nil {
			s.opts.OnPanic(v, debug.Stack())
		} else {
			fmt.Fprintf(os.Stderr, "sim: %s %s: handler panicked: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
		}
		if w.wrote {
			// Too late for a status: end the response where it stands.
			return
		}
		writeError(w, r, http.StatusInternalServerError, "Service_InternalServerError", "Encountered an internal server error.")
	}()
	s.mux.ServeHTTP(w, r)
}

// latency and fault read their switches under faultMu: Configure may
// change them while requests run.
func (s *Server) latency() time.Duration {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	d := s.opts.Latency
	if s.opts.Jitter > 0 {
		d += time.Duration(s.rng.Int64N(int64(s.opts.Jitter)))
	}
	return d
}

// fault injects a failure at the configured rate: 503 with Retry-After,
// 500, or a connection reset (the client sees a transport error).
func (s *Server) fault(w http.ResponseWriter, r *http.Request) bool {
	s.faultMu.Lock()
	hit := s.opts.FaultRate > 0 && s.rng.Float64() < s.opts.FaultRate
	kind := s.rng.IntN(3)
	s.faultMu.Unlock()
	if !hit {
		return false
	}
	s.stats.fault()
	switch kind {
	case 0:
		w.Header().Set("Retry-After", "1")
		writeError(w, r, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
	case 1:
		writeError(w, r, http.StatusInternalServerError, "Service_InternalServerError", "Encountered an internal server error.")
	default:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return true
			}
		}
		writeError(w, r, http.StatusServiceUnavailable, "serviceNotAvailable", "The service is temporarily unavailable.")
	}
	return true
}

// markDirty schedules a save of the state file.
func (s *Server) markDirty() {
	if s.opts.StatePath == "" {
		return
	}
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	s.dirty = true
	if s.saveTimer == nil {
		s.saveTimer = time.AfterFunc(s.opts.SaveDelay, func() { _ = s.Save() })
	}
}

// Save writes the state file now if anything changed.
func (s *Server) Save() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.saveMu.Lock()
	s.saveTimer = nil
	dirty := s.dirty
	s.dirty = false
	s.saveMu.Unlock()
	if !dirty || s.opts.StatePath == "" {
		return nil
	}
	s.mu.Lock()
	st := s.t.snapshot()
	s.mu.Unlock()
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if bytes.Equal(data, s.saved) {
		return nil
	}
	if err := writeState(s.opts.StatePath, data); err != nil {
		return err
	}
	s.saved = data
	return nil
}

// Close saves pending changes.
func (s *Server) Close() error {
	s.saveMu.Lock()
	if s.saveTimer != nil {
		s.saveTimer.Stop()
	}
	s.saveMu.Unlock()
	return s.Save()
}

// Snapshot returns a copy of the current state, for tests and tools.
func (s *Server) Snapshot() *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.snapshot()
}

// unknownRoute answers what no endpoint family serves, with Graph's body:
// "Resource not found for the segment" naming the last segment.
func unknownRoute(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimSuffix(r.URL.Path, "/"), "/")
	writeError(w, r, http.StatusBadRequest, "BadRequest",
		fmt.Sprintf("Resource not found for the segment '%s'.", segs[len(segs)-1]))
}

// noRoute answers a request no pattern serves. A path that another
// method serves is 405, as Graph answers (the batching guide's example
// response: "Specified HTTP method is not allowed for the request
// target."); so is an action on a directory object that v1.0 does not
// have (that example's POST /users/{id}/getPasswordSingleSignOnCredentials,
// a beta action). Anything else is an unknown segment.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "/" && p != "" {
			methodNotAllowed(w, r)
			return
		}
	}
	if segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/"); r.Method != http.MethodGet && len(segs) == 4 &&
		(segs[1] == "users" || segs[1] == "groups") {
		methodNotAllowed(w, r)
		return
	}
	unknownRoute(w, r)
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	writeError(w, r, http.StatusMethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
}

// newID returns a random version 4 UUID, as Graph object ids are.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// baseURL is the absolute URL of this server's /v1.0 root (/beta for a
// beta request) as the client reached it: next and delta links must be
// absolute (msgraph-sdk-go's page iterator).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	// A link answered under /beta stays on beta: its next page must list
	// what beta lists (service principals among members, for one).
	if isBeta(r) {
		return scheme + "://" + r.Host + "/beta"
	}
	return scheme + "://" + r.Host + "/v1.0"
}

// lagged reports whether an object created at created is still invisible.
func (s *Server) lagged(id string) bool {
	if s.opts.ReplicationLag <= 0 {
		return false
	}
	at, ok := s.t.created[lower(id)]
	return ok && s.opts.Now().Sub(at) < s.opts.ReplicationLag
}

func round3(f float64) float64 { return math.Ceil(f*1000) / 1000 }

package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// JSON batching (Graph's JSON batching guide).

const (
	maxBatchItems = 20
	batchRoute    = "POST /v1.0/$batch"
)

type batchItem struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers"`
	Body      json.RawMessage   `json:"body"`
	DependsOn []string          `json:"dependsOn"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// batch runs a $batch under the tenant lock that ServeHTTP already holds.
// Malformed batches are 400 as a whole; otherwise the outer status is 200
// and each item has its own status, headers and body.
func (s *Server) batch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Requests []batchItem `json:"requests"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeError(w, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: "+err.Error())
		return
	}
	if len(in.Requests) == 0 {
		writeError(w, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: no requests.")
		return
	}
	if len(in.Requests) > maxBatchItems {
		writeError(w, r, http.StatusBadRequest, "BadRequest", "Number of requests in a batch exceeds the limit of 20.")
		return
	}
	byID := map[string]*batchItem{}
	for i := range in.Requests {
		it := &in.Requests[i]
		key := lower(it.ID)
		switch {
		case it.ID == "" || it.Method == "" || it.URL == "":
			writeError(w, r, http.StatusBadRequest, "BadRequest", "Each request in a batch needs id, method and url.")
			return
		case byID[key] != nil:
			// Ids are case-insensitive and unique (Graph docs: JSON batching).
			writeError(w, r, http.StatusBadRequest, "BadRequest", "Batch request ids must be unique: '"+it.ID+"'.")
			return
		case strings.HasPrefix(it.URL, "http://") || strings.HasPrefix(it.URL, "https://"):
			writeError(w, r, http.StatusBadRequest, "BadRequest", "Batch request urls must be relative: '"+it.URL+"'.")
			return
		case len(it.Body) > 0 && string(it.Body) != "null" && contentType(it.Headers) == "":
			writeError(w, r, http.StatusBadRequest, "BadRequest", "A batch request with a body needs a Content-Type header: '"+it.ID+"'.")
			return
		}
		byID[key] = it
	}
	for _, it := range in.Requests {
		for _, dep := range it.DependsOn {
			if byID[lower(dep)] == nil {
				writeError(w, r, http.StatusBadRequest, "BadRequest", "Request '"+it.ID+"' depends on unknown request '"+dep+"'.")
				return
			}
		}
	}

	// Run items once their dependencies have run; an item whose
	// dependency failed fails with 424 (Graph docs: JSON batching).
	status := map[string]int{}
	var out []batchResponse
	for len(status) < len(in.Requests) {
		progressed := false
		for i := range in.Requests {
			it := &in.Requests[i]
			key := lower(it.ID)
			if _, done := status[key]; done {
				continue
			}
			ready, failed := true, false
			for _, dep := range it.DependsOn {
				st, done := status[lower(dep)]
				if !done {
					ready = false
				} else if st >= 400 {
					failed = true
				}
			}
			if !ready {
				continue
			}
			progressed = true
			var resp batchResponse
			if failed {
				resp = batchResponse{ID: it.ID, Status: http.StatusFailedDependency}
			} else {
				resp = s.runItem(r, it)
			}
			status[key] = resp.Status
			out = append(out, resp)
		}
		if !progressed {
			writeError(w, r, http.StatusBadRequest, "BadRequest", "The dependsOn relations of the batch form a cycle.")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(map[string]any{"responses": out})
}

// graphHeaderName spells a header as Graph does in batch items: its own
// headers lower-case (x-ms-resource-unit, request-id), standard ones
// canonical (Content-Type, Retry-After).
func graphHeaderName(k string) string {
	l := lower(k)
	if strings.HasPrefix(l, "x-ms-") || l == "request-id" || l == "client-request-id" {
		return l
	}
	return k
}

func contentType(h map[string]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") {
			return v
		}
	}
	return ""
}

// runItem dispatches one item through the same routing, throttling and
// statistics as a direct request.
func (s *Server) runItem(outer *http.Request, it *batchItem) batchResponse {
	var body []byte
	if len(it.Body) > 0 && string(it.Body) != "null" {
		body = it.Body
		// A binary body arrives base64-encoded as a JSON string.
		if ct := contentType(it.Headers); it.Body[0] == '"' && !strings.Contains(ct, "json") {
			var enc string
			_ = json.Unmarshal(it.Body, &enc)
			body, _ = base64.StdEncoding.DecodeString(enc)
		}
	}
	// Graph accepts item URLs as people write them, spaces and quotes
	// unencoded (the batching guide's own example filters on a name with
	// a space), so the emulator encodes what a request line cannot carry.
	target := "/v1.0/" + strings.TrimPrefix(encodeLoose(it.URL), "/")
	rec := newRecorder()
	rec.Header().Set("request-id", newID())
	u, err := url.ParseRequestURI(target)
	if err != nil {
		writeError(rec, outer, http.StatusBadRequest, "BadRequest", "Invalid request URL: "+err.Error())
		return rec.response(it.ID)
	}
	req, err := http.NewRequestWithContext(outer.Context(), strings.ToUpper(it.Method), u.String(), bytes.NewReader(body))
	if err != nil {
		writeError(rec, outer, http.StatusBadRequest, "BadRequest", "Invalid request: "+err.Error())
		return rec.response(it.ID)
	}
	req.RequestURI = u.RequestURI()
	req.Host, req.TLS, req.RemoteAddr = outer.Host, outer.TLS, outer.RemoteAddr
	for k, v := range it.Headers {
		req.Header.Set(k, v)
	}
	if c := outer.Header.Get("client-request-id"); c != "" && req.Header.Get("client-request-id") == "" {
		req.Header.Set("client-request-id", c)
	}
	s.serveLocked(rec, req, true)
	return rec.response(it.ID)
}

// encodeLoose percent-encodes the bytes a request line cannot hold
// (controls, space, and "<>\"`{}|\\^" outside the query's own syntax),
// leaving what is already encoded as it is.
func encodeLoose(raw string) string {
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("\"<>`{}|\\^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// recorder captures one batch item's answer (the emulator's handlers
// write to it as to a connection).
type recorder struct {
	header http.Header
	code   int
	wrote  bool
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}, code: http.StatusOK} }

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.code, r.wrote = code, true
	}
}

func (r *recorder) response(id string) batchResponse {
	resp := batchResponse{ID: id, Status: r.code, Headers: map[string]string{}}
	for k := range r.header {
		resp.Headers[graphHeaderName(k)] = r.header.Get(k)
	}
	if b := bytes.TrimSpace(r.body.Bytes()); len(b) > 0 {
		if json.Valid(b) {
			resp.Body = json.RawMessage(b)
		} else {
			enc, _ := json.Marshal(string(b))
			resp.Body = enc
		}
	}
	return resp
}

package graph

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/sim"
)

// faulty serves the emulator, answering the first n $batch requests with
// fault instead.
func faulty(t *testing.T, n int32, fault func(w http.ResponseWriter)) *Backend {
	t.Helper()
	var left atomic.Int32
	left.Store(n)
	b, _ := faultyWith(t, scenarioState(), func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/$batch") && left.Add(-1) >= 0 {
			fault(w)
			return true
		}
		return false
	})
	return b
}

// faultyWith serves st with the emulator behind intercept, which answers a
// request itself when it returns true.
func faultyWith(t *testing.T, st *sim.State, intercept func(w http.ResponseWriter, r *http.Request) bool) (*Backend, *sim.Server) {
	t.Helper()
	old := batchBackoff
	batchBackoff = time.Millisecond
	t.Cleanup(func() { batchBackoff = old })
	srv, err := sim.NewServer(st, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if intercept(w, r) {
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	c, err := NewClient(Config{BaseURL: ts.URL + "/v1.0"})
	if err != nil {
		t.Fatal(err)
	}
	return NewBackend(c, 4), srv
}

// A $batch that fails as a whole (a 5xx or 429 for the batch, an empty
// answer, a reset connection) is sent again with backoff, and never
// crashes the process.
func TestBatchFailuresAreRetried(t *testing.T) {
	faults := map[string]func(w http.ResponseWriter){
		"503": func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":{"code":"serviceNotAvailable","message":"try later"}}`))
		},
		"429": func(w http.ResponseWriter) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
		},
		"empty 200": func(w http.ResponseWriter) { w.WriteHeader(http.StatusOK) },
		"empty 204": func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
		"reset": func(w http.ResponseWriter) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			b := faulty(t, 2, fault)
			members, _, err := b.Relations(context.Background(), entra.RelationQuery{Members: []string{"10000000-0000-4000-8000-000000000001"}})
			if err != nil || len(members["10000000-0000-4000-8000-000000000001"]) != 3 {
				t.Fatalf("after two failed batches: %v %v", err, members)
			}
		})
	}
	t.Run("gives up with an error", func(t *testing.T) {
		b := faulty(t, 100, faults["empty 200"])
		if _, _, err := b.Relations(context.Background(), entra.RelationQuery{Members: []string{"10000000-0000-4000-8000-000000000001"}}); err == nil {
			t.Fatal("no error after every batch failed")
		}
	})
	t.Run("a create is not sent twice", func(t *testing.T) {
		b := faulty(t, 1, faults["reset"])
		res := b.Apply(context.Background(), []entra.Op{{Kind: entra.OpCreateGroup, Group: &entra.Group{DisplayName: "X", MailNickname: "x", Kind: "security"}}})
		if res[0].Err == nil {
			t.Fatalf("a create in a failed batch was retried: %+v", res[0])
		}
	})
}

// A server that pages forever, or sends the same page link again, is
// stopped with an error.
func TestEndlessPagingStops(t *testing.T) {
	var ts *httptest.Server
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/$batch") {
			var body io.Reader = r.Body
			if r.Header.Get("Content-Encoding") == "gzip" {
				zr, err := gzip.NewReader(r.Body)
				if err != nil {
					t.Error(err)
					return
				}
				body = zr
			}
			var req struct {
				Requests []struct {
					ID string `json:"id"`
				} `json:"requests"`
			}
			if err := json.NewDecoder(body).Decode(&req); err != nil || len(req.Requests) != 1 {
				t.Errorf("batch request: %v", err)
				return
			}
			_, _ = w.Write([]byte(`{"responses":[{"id":"` + req.Requests[0].ID + `","status":200,"headers":{"Content-Type":"application/json"},"body":{"value":[],"@odata.nextLink":"` + ts.URL + `/v1.0/groups?$skiptoken=same"}}]}`))
			return
		}
		http.NotFound(w, r)
	}))
	defer ts.Close()
	c, err := NewClient(Config{BaseURL: ts.URL + "/v1.0"})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBackend(c, 1)
	_, err = listAll[json.RawMessage](context.Background(), b, []*abstractions.RequestInformation{b.get("/groups", nil, false)})
	if err == nil || !strings.Contains(err.Error(), "same @odata.nextLink twice") {
		t.Fatalf("endless paging: %v", err)
	}
}

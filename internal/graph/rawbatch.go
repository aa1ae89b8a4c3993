package graph

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
)

// msgraph-sdk-go-core turns a $batch item's body into a map and loses
// every number on the way (its deserializeValue returns nil for int and
// float64: msgraph-sdk-go-core pull request 367, open). A count, a
// process id or a size read through $batch would read as null. So the
// transport beneath the SDK keeps each item's body as Graph sent it, and
// sendBatch reads those bytes; the SDK's map is only the fallback.

// rawBodies collects the raw bodies of one $batch's items by item id.
type rawBodies struct {
	mu     sync.Mutex
	byItem map[string]json.RawMessage
}

type rawBodiesKey struct{}

// withRawBodies asks the transport to keep the item bodies of the $batch
// sent with ctx.
func withRawBodies(ctx context.Context) (context.Context, *rawBodies) {
	sink := &rawBodies{}
	return context.WithValue(ctx, rawBodiesKey{}, sink), sink
}

// body is the raw body of an item, if the transport kept it.
func (s *rawBodies) body(id string) (json.RawMessage, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.byItem[id]
	return b, ok
}

// keepRawBodies is the transport that fills a request's rawBodies.
type keepRawBodies struct {
	next http.RoundTripper
}

func (t keepRawBodies) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	sink, _ := req.Context().Value(rawBodiesKey{}).(*rawBodies)
	if err != nil || resp == nil || sink == nil || resp.StatusCode != http.StatusOK {
		return resp, err
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	plain := data
	if strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return resp, nil // the SDK reports it
		}
		if plain, err = io.ReadAll(zr); err != nil {
			return resp, nil
		}
	}
	var answer struct {
		Responses []struct {
			ID   string          `json:"id"`
			Body json.RawMessage `json:"body"`
		} `json:"responses"`
	}
	if json.Unmarshal(plain, &answer) != nil {
		return resp, nil
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	// A retried $batch overwrites an earlier attempt's bodies: the SDK
	// reads the last answer, and so does sendBatch.
	sink.byItem = map[string]json.RawMessage{}
	for _, r := range answer.Responses {
		if len(r.Body) > 0 {
			sink.byItem[r.ID] = r.Body
		}
	}
	return resp, nil
}

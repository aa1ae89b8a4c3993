package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/entrasync/entrasync/internal/entra"
)

// Documents and requests serve the kinds that are resources by path rather
// than groups (cross-tenant policies): reads travel 20 to a $batch like
// every other read, and each write is one request in a $batch.

// Documents implements [entra.Reader]: one GET per path, 404 read as
// absent, and a collection followed through all its pages.
func (b *Backend) Documents(ctx context.Context, paths []string) (map[string]entra.Document, error) {
	calls := make([]*call, len(paths))
	for i, p := range paths {
		calls[i] = &call{info: b.get("/"+p, nil, false)}
	}
	if err := b.runBatches(ctx, calls); err != nil {
		return nil, err
	}
	out := map[string]entra.Document{}
	var more []string // paths of collections with further pages
	var next []*abstractions.RequestInformation
	for i, c := range calls {
		switch e := c.failed(); {
		case c.err != nil:
			return nil, c.err
		case e != nil && e.Status == 404:
			continue
		case e != nil:
			return nil, fmt.Errorf("GET /%s: %w", paths[i], e)
		}
		var doc entra.Document
		if err := json.Unmarshal(c.body, &doc); err != nil {
			return nil, fmt.Errorf("GET /%s: %w", paths[i], err)
		}
		if link, ok := doc["@odata.nextLink"].(string); ok && link != "" {
			if _, isList := doc["value"].([]any); isList {
				more = append(more, paths[i])
				next = append(next, b.nextPage(link, c.info))
			}
		}
		out[paths[i]] = withoutAnnotations(doc)
	}
	if len(next) == 0 {
		return out, nil
	}
	// The rest of every paged collection, their pages sharing round trips.
	pages, err := listAll[json.RawMessage](ctx, b, next)
	if err != nil {
		return nil, err
	}
	for i, p := range more {
		items := out[p]["value"].([]any)
		for _, raw := range pages[i] {
			var item any
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil, fmt.Errorf("GET /%s: %w", p, err)
			}
			items = append(items, item)
		}
		out[p]["value"] = items
	}
	return out, nil
}

// Collection implements [entra.Reader], following every page.
func (b *Backend) Collection(ctx context.Context, path string) ([]entra.Document, error) {
	pages, err := listAll[json.RawMessage](ctx, b, []*abstractions.RequestInformation{b.get("/"+path, nil, false)})
	if err != nil {
		return nil, fmt.Errorf("GET /%s: %w", path, err)
	}
	var out []entra.Document
	for _, raw := range pages[0] {
		var doc entra.Document
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("GET /%s: %w", path, err)
		}
		out = append(out, withoutAnnotations(doc))
	}
	return out, nil
}

// withoutAnnotations drops the top-level OData control information
// (@odata.context and friends), which is not part of the resource.
func withoutAnnotations(doc entra.Document) entra.Document {
	out := maps.Clone(doc)
	for k := range out {
		if strings.HasPrefix(k, "@odata.") {
			delete(out, k)
		}
	}
	return out
}

// requestStep is the step of an OpRequest. A DELETE answered 404 deleted
// what was asked already.
func (b *Backend) requestStep(i int, r *entra.Request) *step {
	var body any
	if r.Body != nil {
		body = r.Body
	}
	ok := never
	if r.Method == "DELETE" {
		ok = notFound
	}
	return &step{c: &call{info: b.body(method(r.Method), "/"+r.Path, body)}, op: i, then: func(s *step, res *entra.Result) []*step {
		answer(ok)(s, res)
		if res.Err == nil && s.c.failed() == nil && len(s.c.body) > 0 {
			var doc entra.Document
			if json.Unmarshal(s.c.body, &doc) == nil && doc != nil {
				res.Response = withoutAnnotations(doc)
			}
		}
		return nil
	}}
}

// method maps a request's method to kiota's.
func method(m string) abstractions.HttpMethod {
	switch m {
	case "POST":
		return abstractions.POST
	case "PUT":
		return abstractions.PUT
	case "PATCH":
		return abstractions.PATCH
	case "DELETE":
		return abstractions.DELETE
	}
	return abstractions.GET
}

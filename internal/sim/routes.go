package sim

import (
	"net/http"
	"strings"
)

// routes is the emulator's ServeMux, which also remembers the literal
// segments of the patterns it serves, so that a request can name them in
// any case: Graph's resource and navigation names are case-insensitive
// (Graph docs: List group transitive members, example 3 requests
// /transitivemembers; OData URL conventions).
type routes struct {
	*http.ServeMux
	segments map[string]string // lower case -> as registered
	// opaque are the prefixes of patterns that end in {rest...}: what
	// follows is a name of the caller's (a SharePoint path, a file),
	// never rewritten.
	opaque []string
}

func newRoutes() *routes {
	return &routes{ServeMux: http.NewServeMux(), segments: map[string]string{}}
}

// HandleFunc registers the pattern and its literal segments.
func (m *routes) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	_, path, _ := strings.Cut(pattern, " ")
	if path == "" {
		path = pattern
	}
	if strings.Contains(path, "{rest...}") {
		prefix, _, _ := strings.Cut(path, "{")
		m.opaque = append(m.opaque, prefix)
	}
	for _, seg := range strings.Split(path, "/") {
		if seg != "" && !strings.HasPrefix(seg, "{") && !strings.ContainsAny(seg, "@.") {
			m.segments[strings.ToLower(seg)] = seg
		}
	}
	m.ServeMux.HandleFunc(pattern, h)
}

// canonicalPath rewrites a request's path segments that name a resource
// in another case, drops a trailing slash (Get open extension, request 2,
// ends its path with one), and reports whether it changed anything. It is
// for a request no route took: a served path is left as it is.
func (m *routes) canonicalPath(r *http.Request) bool {
	for _, prefix := range m.opaque {
		if strings.HasPrefix(r.URL.Path, prefix) {
			return false
		}
	}
	trimmed := strings.TrimRight(r.URL.Path, "/")
	changed := trimmed != r.URL.Path && trimmed != ""
	if changed {
		r.URL.Path = trimmed
	}
	segs := strings.Split(r.URL.Path, "/")
	for i, seg := range segs {
		if want, ok := m.segments[strings.ToLower(seg)]; ok && want != seg {
			segs[i], changed = want, true
		}
	}
	if changed {
		r.URL.Path, r.URL.RawPath = strings.Join(segs, "/"), ""
	}
	return changed
}

// canonicalQuery lower-cases the system query option names ($orderBy is
// $orderby: Graph's examples use both).
func canonicalQuery(r *http.Request) {
	raw := r.URL.RawQuery
	if !strings.Contains(raw, "$") && !strings.Contains(raw, "%24") {
		return
	}
	pairs := strings.Split(raw, "&")
	changed := false
	for i, p := range pairs {
		key, val, hasVal := strings.Cut(p, "=")
		if (strings.HasPrefix(key, "$") || strings.HasPrefix(key, "%24")) && key != strings.ToLower(key) {
			pairs[i], changed = strings.ToLower(key), true
			if hasVal {
				pairs[i] += "=" + val
			}
		}
	}
	if changed {
		r.URL.RawQuery = strings.Join(pairs, "&")
	}
}

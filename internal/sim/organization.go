package sim

import (
	"net/http"
	"slices"
)

// GET /organization (Graph's organization resource, "List organization"):
// a collection with the one tenant the caller is signed in to. entrasync
// reads it once per run to prove it reached the tenant it was pointed at.
func (s *Server) routeOrganization() {
	s.mux.HandleFunc("GET /v1.0/organization", s.listOrganization)
}

func (s *Server) listOrganization(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	domains := []any{}
	if s.t.domain != "" {
		domains = append(domains, map[string]any{"name": s.t.domain, "isDefault": true, "isInitial": false, "type": "Managed"})
	}
	if msg := unsupportedExpand(lq.expand); msg != "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	org := map[string]any{"id": s.t.id, "displayName": s.t.domain, "verifiedDomains": domains}
	items := selectItems(lq, []map[string]any{org}, []string{"id", "displayName", "verifiedDomains"})
	if slices.Contains(lq.expand, "extensions") && len(items) == 1 {
		// The organization supports open extensions like a group does
		// ($expand=extensions on a GET).
		items[0]["extensions"] = extensionList(s.t.orgExtensions)
	}
	page(w, r, lq, "organization", items)
}

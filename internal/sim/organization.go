package sim

import (
	"net/http"
	"strings"
)

// GET /organization (Graph's organization resource, "List organization"):
// a collection with the one tenant the caller is signed in to. entrasync
// reads it once per run to prove it reached the tenant it was pointed at.
// GET /organization/{id} ("Get organization") reads it by id.
func (s *Server) routeOrganization() {
	s.mux.HandleFunc("GET /v1.0/organization", s.listOrganization)
	s.mux.HandleFunc("GET /v1.0/organization/{id}", s.getOrganization)
}

func (s *Server) getOrganization(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.PathValue("id"), s.t.id) {
		notFound(w, r, r.PathValue("id"))
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := project(s.organization(), lq.sel, organizationProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#organization/$entity"
	writeJSON(w, http.StatusOK, body)
}

// organizationProperties are the organization's default property set, as
// List and Get organization answer it. What the emulator knows nothing of
// (addresses, plans, notification contacts) comes back null or empty.
var organizationProperties = []string{"id", "deletedDateTime", "businessPhones", "city", "country", "countryLetterCode",
	"displayName", "marketingNotificationEmails", "onPremisesLastSyncDateTime", "onPremisesSyncEnabled", "postalCode",
	"preferredLanguage", "securityComplianceNotificationMails", "securityComplianceNotificationPhones", "state", "street",
	"technicalNotificationMails", "tenantType", "assignedPlans", "provisionedPlans", "verifiedDomains"}

// initialDomain is the tenant's onmicrosoft.com domain, which every
// tenant has beside its custom ones: contoso.com's is
// contoso.onmicrosoft.com.
func (t *tenant) initialDomain() string {
	label, _, _ := strings.Cut(t.domain, ".")
	return label + ".onmicrosoft.com"
}

// verifiedDomain reports whether a userPrincipalName may use domain.
// A tenant without a domain (a bare state file) takes any.
func (t *tenant) verifiedDomain(domain string) bool {
	return t.domain == "" || strings.EqualFold(domain, t.domain) || strings.EqualFold(domain, t.initialDomain())
}

func (s *Server) organization() map[string]any {
	domains := []any{}
	if s.t.domain != "" {
		const capabilities = "Email, OfficeCommunicationsOnline"
		domains = append(domains,
			map[string]any{"name": s.t.domain, "isDefault": true, "isInitial": false, "type": "Managed", "capabilities": capabilities},
			map[string]any{"name": s.t.initialDomain(), "isDefault": false, "isInitial": true, "type": "Managed", "capabilities": capabilities})
	}
	org := map[string]any{"id": s.t.id, "displayName": s.t.domain, "verifiedDomains": domains,
		// A workforce tenant; the emulator refuses B2C-only users too.
		"tenantType": "AAD", "onPremisesSyncEnabled": nil}
	for _, list := range []string{"businessPhones", "marketingNotificationEmails", "securityComplianceNotificationMails",
		"securityComplianceNotificationPhones", "technicalNotificationMails", "assignedPlans", "provisionedPlans"} {
		org[list] = []any{}
	}
	return org
}

func (s *Server) listOrganization(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	if msg := unsupportedExpand(lq.expand, []string{"extensions"}); msg != "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return
	}
	items := selectItems(lq, []map[string]any{s.organization()}, organizationProperties)
	if e, ok := lq.expanding("extensions"); ok && len(items) == 1 {
		// The organization supports open extensions like a group does
		// ($expand=extensions on a GET).
		items[0]["extensions"] = expandedExtensions(s.t.orgExtensions, e)
	}
	page(w, r, lq, "organization", items)
}

package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// Cross-tenant access policy (Graph v1.0: crossTenantAccessPolicy,
// crossTenantAccessPolicyConfigurationDefault,
// crossTenantAccessPolicyConfigurationPartner and
// crossTenantIdentitySyncPolicyPartner, with their get, list, create,
// update and delete pages).
//
// Settings are kept as JSON documents, as Graph returns them, so whatever
// property a client sends comes back unchanged.

// CrossTenant is the cross-tenant access policy in a state file.
type CrossTenant struct {
	// Default is the tenant-wide default; nil is the service default.
	Default map[string]any `json:"default,omitempty"`
	// Partners are the partner configurations in creation order.
	Partners []*Partner `json:"partners,omitempty"`
}

// Partner is one partner configuration and its identity-sync policy.
type Partner struct {
	Settings map[string]any `json:"settings"`
	// IdentitySynchronization is nil when the partner has none.
	IdentitySynchronization map[string]any `json:"identitySynchronization,omitempty"`
}

func (p *Partner) tenantID() string { s, _ := p.Settings["tenantId"].(string); return s }

// partnerSettings are the settings a new partner returns as null, which
// means "inherit the default" (crossTenantAccessPolicyConfigurationPartner;
// the Entra cross-tenant synchronization guide shows the bare create
// response).
var partnerSettings = []string{
	"isServiceProvider", "inboundTrust", "b2bCollaborationOutbound", "b2bCollaborationInbound",
	"b2bDirectConnectOutbound", "b2bDirectConnectInbound", "tenantRestrictions",
}

// serviceDefault is crossTenantAccessPolicyConfigurationDefault as a tenant
// that never changed it returns it: B2B collaboration allowed for all users
// and applications, B2B direct connect blocked, no inbound trust.
func serviceDefault() map[string]any {
	all := func(access string) map[string]any {
		return map[string]any{
			"usersAndGroups": map[string]any{"accessType": access, "targets": []any{map[string]any{"target": "AllUsers", "targetType": "user"}}},
			"applications":   map[string]any{"accessType": access, "targets": []any{map[string]any{"target": "AllApplications", "targetType": "application"}}},
		}
	}
	return map[string]any{
		"id":               "00000000-0000-0000-0000-000000000000",
		"isServiceDefault": true,
		"inboundTrust": map[string]any{
			"isMfaAccepted": false, "isCompliantDeviceAccepted": false, "isHybridAzureADJoinedDeviceAccepted": false,
		},
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": false, "outboundAllowed": false},
		"b2bCollaborationInbound":      all("allowed"),
		"b2bCollaborationOutbound":     all("allowed"),
		"b2bDirectConnectInbound":      all("blocked"),
		"b2bDirectConnectOutbound":     all("blocked"),
		"tenantRestrictions":           all("blocked"),
	}
}

const ctapBase = "/v1.0/policies/crossTenantAccessPolicy"

func (s *Server) routeCrossTenant() {
	s.mux.HandleFunc("GET "+ctapBase+"/default", s.getDefaultPolicy)
	s.mux.HandleFunc("PATCH "+ctapBase+"/default", s.patchDefaultPolicy)
	s.mux.HandleFunc("POST "+ctapBase+"/default/resetToSystemDefault", s.resetDefaultPolicy)
	s.mux.HandleFunc("GET "+ctapBase+"/partners", s.listPartners)
	s.mux.HandleFunc("POST "+ctapBase+"/partners", s.createPartner)
	s.mux.HandleFunc("GET "+ctapBase+"/partners/{tid}", s.getPartner)
	s.mux.HandleFunc("PATCH "+ctapBase+"/partners/{tid}", s.patchPartner)
	s.mux.HandleFunc("DELETE "+ctapBase+"/partners/{tid}", s.deletePartner)
	s.mux.HandleFunc("PUT "+ctapBase+"/partners/{tid}/identitySynchronization", s.putIdentitySync)
	s.mux.HandleFunc("GET "+ctapBase+"/partners/{tid}/identitySynchronization", s.getIdentitySync)
	s.mux.HandleFunc("PATCH "+ctapBase+"/partners/{tid}/identitySynchronization", s.patchIdentitySync)
	s.mux.HandleFunc("DELETE "+ctapBase+"/partners/{tid}/identitySynchronization", s.deleteIdentitySync)
}

func (s *Server) defaultPolicy() map[string]any {
	if s.t.crossTenant.Default == nil {
		s.t.crossTenant.Default = serviceDefault()
	}
	return s.t.crossTenant.Default
}

func (s *Server) getDefaultPolicy(w http.ResponseWriter, r *http.Request) {
	body := maps.Clone(s.defaultPolicy())
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/default/$entity"
	writeJSON(w, http.StatusOK, body)
}

// patchDefaultPolicy is 204. The default cannot inherit from anything, so a
// null setting is refused.
func (s *Server) patchDefaultPolicy(w http.ResponseWriter, r *http.Request) {
	in, ok := settingsInput(w, r, "crossTenantAccessPolicyConfigurationDefault")
	if !ok {
		return
	}
	for k, v := range in {
		if v == nil {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' of the default configuration cannot be null.")
			return
		}
	}
	d := s.defaultPolicy()
	patchSettings(d, in)
	d["isServiceDefault"] = false
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) resetDefaultPolicy(w http.ResponseWriter, r *http.Request) {
	s.t.crossTenant.Default = serviceDefault()
	w.WriteHeader(http.StatusNoContent)
}

// readOnlySettings are properties a client cannot write.
var readOnlySettings = map[string]bool{"id": true, "tenantId": true, "isServiceDefault": true, "isInMultiTenantOrganization": true}

// writableSetting reports whether a partner has a writable setting k.
func writableSetting(k string) bool {
	return slices.Contains(partnerSettings, k) || k == "automaticUserConsentSettings" || k == "crossCloudMeetingConfiguration"
}

// settingsInput decodes a PATCH body and refuses read-only and unknown
// properties, as Graph does for properties its type does not have.
func settingsInput(w http.ResponseWriter, r *http.Request, typeName string) (map[string]any, bool) {
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return nil, false
	}
	delete(in, "@odata.type")
	for k := range in {
		if readOnlySettings[k] {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' is read-only and cannot be set.")
			return nil, false
		}
		if !writableSetting(k) && k != "invitationRedemptionIdentityProviderConfiguration" {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
				"Property '"+k+"' does not exist on type 'microsoft.graph."+typeName+"'.")
			return nil, false
		}
	}
	return in, true
}

// patchSettings replaces each property given, as a whole. Graph does not
// document whether a complex property in PATCH is merged or replaced; the
// emulator replaces, the stricter reading, so a client that sends half a
// complex value loses the other half here and is caught by tests.
func patchSettings(doc, in map[string]any) {
	for k, v := range in {
		doc[k] = v
	}
}

func (s *Server) partner(w http.ResponseWriter, r *http.Request) (*Partner, bool) {
	tid := r.PathValue("tid")
	for _, p := range s.t.crossTenant.Partners {
		if strings.EqualFold(p.tenantID(), tid) {
			return p, true
		}
	}
	writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+tid+"' does not exist or one of its queried reference-property objects are not present.")
	return nil, false
}

func partnerBody(p *Partner) map[string]any {
	body := maps.Clone(p.Settings)
	for _, k := range partnerSettings {
		if _, ok := body[k]; !ok {
			body[k] = nil
		}
	}
	for _, k := range []string{"automaticUserConsentSettings", "crossCloudMeetingConfiguration"} {
		if body[k] == nil {
			body[k] = map[string]any{"inboundAllowed": nil, "outboundAllowed": nil}
		}
	}
	if _, ok := body["isInMultiTenantOrganization"]; !ok {
		body["isInMultiTenantOrganization"] = false
	}
	return body
}

// partnerQuery reads a partner request's query options: $select, and
// $expand of identitySynchronization (List partners, example 2).
func partnerQuery(w http.ResponseWriter, r *http.Request) (listQuery, bool) {
	lq, ok := parseList(w, r)
	if !ok {
		return lq, false
	}
	if msg := unsupportedExpand(lq.expand, []string{"identitySynchronization"}); msg != "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", msg)
		return lq, false
	}
	return lq, true
}

// partnerView is a partner as a response carries it: $select applied, the
// identity-sync policy embedded when $expand asks for it, null when there
// is none.
func partnerView(p *Partner, lq listQuery) map[string]any {
	body := selectOnly(partnerBody(p), lq.sel)
	if _, ok := lq.expanding("identitySynchronization"); ok {
		var policy map[string]any
		if p.IdentitySynchronization != nil {
			policy = maps.Clone(p.IdentitySynchronization)
		}
		body["identitySynchronization"] = policy
	}
	return body
}

// selectOnly applies $select to a policy object, which has no id for
// project to add; all when nothing is selected.
func selectOnly(all map[string]any, sel []string) map[string]any {
	if len(sel) == 0 {
		return all
	}
	out := make(map[string]any, len(sel))
	for _, k := range sel {
		k = canonicalKey(all, k)
		out[k] = all[k]
	}
	return out
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request) {
	lq, ok := partnerQuery(w, r)
	if !ok {
		return
	}
	items := []map[string]any{}
	for _, p := range s.t.crossTenant.Partners {
		if lq.keeps(partnerBody(p)) {
			items = append(items, partnerView(p, lq))
		}
	}
	page(w, r, lq, "policies/crossTenantAccessPolicy/partners", items)
}

// createPartner is POST .../partners: 201 with the whole object, unset
// settings null; a second partner for the same tenant is refused
// (Request_MultipleObjectsWithSameKeyValue, per the Entra cross-tenant
// synchronization troubleshooting guide).
func (s *Server) createPartner(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	tid, _ := in["tenantId"].(string)
	if !isGUID(tid) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'tenantId' of resource 'CrossTenantAccessPolicyConfigurationPartner'.")
		return
	}
	if strings.EqualFold(tid, s.t.id) {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "A partner configuration cannot be created for the tenant itself.")
		return
	}
	for _, p := range s.t.crossTenant.Partners {
		if strings.EqualFold(p.tenantID(), tid) {
			writeError(w, r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue", "Another object with the same value for property tenantId already exists.")
			return
		}
	}
	delete(in, "tenantId")
	settings := map[string]any{"tenantId": strings.ToLower(tid)}
	for k := range in {
		if k == "@odata.type" {
			continue
		}
		if !writableSetting(k) {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' does not exist on type 'microsoft.graph.crossTenantAccessPolicyConfigurationPartner'.")
			return
		}
		settings[k] = in[k]
	}
	p := &Partner{Settings: settings}
	s.t.crossTenant.Partners = append(s.t.crossTenant.Partners, p)
	body := partnerBody(p)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners/$entity"
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request) {
	p, ok := s.partner(w, r)
	if !ok {
		return
	}
	lq, ok := partnerQuery(w, r)
	if !ok {
		return
	}
	body := partnerView(p, lq)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners" + lq.contextSelection(body) + "/$entity"
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) patchPartner(w http.ResponseWriter, r *http.Request) {
	p, ok := s.partner(w, r)
	if !ok {
		return
	}
	in, ok := settingsInput(w, r, "crossTenantAccessPolicyConfigurationPartner")
	if !ok {
		return
	}
	patchSettings(p.Settings, in)
	w.WriteHeader(http.StatusNoContent)
}

// deletePartner is 204, refused while the partner has an identity-sync
// policy: "If a configuration includes a user synchronization policy, you
// must first delete the user synchronization policy" (Delete
// crossTenantAccessPolicyConfigurationPartner). The exact error body is not
// documented; this one uses Graph's generic bad-request shape.
func (s *Server) deletePartner(w http.ResponseWriter, r *http.Request) {
	p, ok := s.partner(w, r)
	if !ok {
		return
	}
	if p.IdentitySynchronization != nil {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The partner configuration has a user synchronization policy; delete the policy before the configuration.")
		return
	}
	s.t.crossTenant.Partners = slices.DeleteFunc(s.t.crossTenant.Partners, func(x *Partner) bool { return x == p })
	w.WriteHeader(http.StatusNoContent)
}

// identitySyncFields are crossTenantIdentitySyncPolicyPartner's writable
// properties.
var identitySyncFields = []string{"displayName", "userSyncInbound"}

func identitySyncInput(w http.ResponseWriter, r *http.Request) (map[string]any, bool) {
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return nil, false
	}
	delete(in, "@odata.type")
	delete(in, "tenantId")
	for k := range in {
		if !slices.Contains(identitySyncFields, k) {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Property '"+k+"' does not exist on type 'microsoft.graph.crossTenantIdentitySyncPolicyPartner'.")
			return nil, false
		}
	}
	return in, true
}

// putIdentitySync creates the policy: 204. PUT is create-only here: a
// second PUT is 409 Request_MultipleObjectsWithSameKeyValue (Entra
// cross-tenant synchronization troubleshooting), so updates use PATCH.
func (s *Server) putIdentitySync(w http.ResponseWriter, r *http.Request) {
	p, ok := s.partner(w, r)
	if !ok {
		return
	}
	in, ok := identitySyncInput(w, r)
	if !ok {
		return
	}
	if p.IdentitySynchronization != nil {
		writeError(w, r, http.StatusConflict, "Request_MultipleObjectsWithSameKeyValue",
			"A conflicting object with one or more of the specified property values is present in the directory.")
		return
	}
	in["tenantId"] = p.tenantID()
	p.IdentitySynchronization = in
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) identitySync(w http.ResponseWriter, r *http.Request) (*Partner, bool) {
	p, ok := s.partner(w, r)
	if !ok {
		return nil, false
	}
	if p.IdentitySynchronization == nil {
		writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "The partner has no user synchronization policy.")
		return nil, false
	}
	return p, true
}

func (s *Server) getIdentitySync(w http.ResponseWriter, r *http.Request) {
	p, ok := s.identitySync(w, r)
	if !ok {
		return
	}
	// $select, which the page supports.
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := selectOnly(maps.Clone(p.IdentitySynchronization), lq.sel)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#policies/crossTenantAccessPolicy/partners('" + p.tenantID() + "')/identitySynchronization/$entity"
	writeJSON(w, http.StatusOK, body)
}

func (s *Server) patchIdentitySync(w http.ResponseWriter, r *http.Request) {
	p, ok := s.identitySync(w, r)
	if !ok {
		return
	}
	in, ok := identitySyncInput(w, r)
	if !ok {
		return
	}
	patchSettings(p.IdentitySynchronization, in)
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteIdentitySync(w http.ResponseWriter, r *http.Request) {
	if p, ok := s.identitySync(w, r); ok {
		p.IdentitySynchronization = nil
		w.WriteHeader(http.StatusNoContent)
	}
}

// cloneCrossTenant deep-copies the policy for a state snapshot.
func cloneCrossTenant(c *CrossTenant) *CrossTenant {
	if c == nil || (c.Default == nil && len(c.Partners) == 0) {
		return nil
	}
	data, _ := json.Marshal(c)
	var out CrossTenant
	_ = json.Unmarshal(data, &out)
	return &out
}

var guidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func isGUID(s string) bool { return guidPattern.MatchString(s) }

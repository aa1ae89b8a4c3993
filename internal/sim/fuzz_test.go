package sim

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequest sends the emulator whatever a client might: any method, path,
// query and body, $batch envelopes included. Every request is answered
// with a status and, for errors, Graph's error body; no handler panics.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct {
		method uint8
		target string
		body   string
	}{
		{0, "users?$filter=startswith(displayName,'A')&$select=id,displayName&$top=2", ""},
		{0, "groups?$filter=mailNickname eq 'finance'&$count=true", ""},
		{0, "groups/" + finance + "/members?$select=id,userPrincipalName", ""},
		{1, "groups", `{"displayName":"X","mailEnabled":false,"mailNickname":"x","securityEnabled":true,"members@odata.bind":["https://graph.microsoft.com/v1.0/directoryObjects/` + alice + `"]}`},
		{2, "groups/" + finance, `{"description":"d","membershipRule":null}`},
		{1, "groups/" + finance + "/members/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + alice + `"}`},
		{3, "groups/" + finance + "/members/" + alice + "/$ref", ""},
		{1, "$batch", `{"requests":[{"id":"1","method":"GET","url":"/users?$filter=displayName eq 'Alice Smith'"},{"id":"2","method":"PATCH","url":"/groups/` + finance + `","headers":{"Content-Type":"application/json"},"body":{"description":"y"},"dependsOn":["1"]}]}`},
		{0, "users/delta?$select=department", ""},
		{4, "policies/crossTenantAccessPolicy/partners/" + alice + "/identitySynchronization", `{"displayName":"x","userSyncInbound":{"isSyncAllowed":true}}`},
		{0, "servicePrincipals?$filter=applicationTemplateId eq '518e5f48-1fc8-4c48-9387-9fdf28b0dfe7'", ""},
		{0, "directoryObjects/" + alice + "?$select=id,displayName", ""},
		{1, "directoryObjects/getByIds", `{"ids":["` + alice + `","` + finance + `"],"types":["user","microsoft.graph.group"]}`},
	} {
		f.Add(seed.method, seed.target, []byte(seed.body))
	}
	methods := []string{"GET", "POST", "PATCH", "DELETE", "PUT"}
	f.Fuzz(func(t *testing.T, method uint8, target string, body []byte) {
		var panicked any
		s, err := NewServer(testState(0), Options{OnPanic: func(v any, stack []byte) { panicked = string(stack) }})
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.ParseRequestURI("/v1.0/" + strings.TrimPrefix(target, "/"))
		if err != nil {
			return // not a request line a client can send
		}
		req := httptest.NewRequest(methods[int(method)%len(methods)], "/", bytes.NewReader(body))
		req.URL, req.RequestURI, req.Host = u, u.RequestURI(), "127.0.0.1"
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if panicked != nil {
			t.Fatalf("%s %s: a handler panicked:\n%s", req.Method, target, panicked)
		}
		if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error"`) {
			t.Fatalf("%s %s: %d without Graph's error body: %q", req.Method, target, rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusInternalServerError {
			t.Fatalf("%s %s: 500: %s", req.Method, target, rec.Body.String())
		}
	})
}

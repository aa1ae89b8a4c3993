package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTerraformAzureADCanPointAtTheEmulator walks the requests the
// Terraform azuread provider makes (hashicorp/go-azure-sdk, read from its
// source) when its metadata host is the emulator's authority: the cloud's
// metadata document over TLS, a client-secret token for the Graph
// resource it names, the caller's oid and tid from the token's claims,
// and groups, owners and members under /beta, as its azuread_group
// resource creates, reads, changes and deletes them. interop/azuread
// (make interop) drives the provider's own client library the same way.
func TestTerraformAzureADCanPointAtTheEmulator(t *testing.T) {
	const (
		tenant = "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"
		client = "6b1f2a57-0c1e-4d0a-9a3c-1f2e3d4c5b6a"
		spID   = "7c2e3b68-1d2f-4e1b-8b4d-2a3f4e5d6c7b"
	)
	st := &State{TenantID: tenant, Domain: "contoso.com",
		Apps:              []*App{{ClientID: client, Secret: "s3cret"}},
		ServicePrincipals: []*ServicePrincipal{{ID: spID, AppID: client, DisplayName: "terraform"}}}
	for i := range 150 {
		st.Users = append(st.Users, &User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1),
			UserPrincipalName: fmt.Sprintf("u%03d@contoso.com", i), DisplayName: fmt.Sprintf("U%03d", i), AccountEnabled: true})
	}
	s, err := NewServer(st, Options{RequireAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	a, err := s.StartAuthority("127.0.0.1:0", filepath.Join(t.TempDir(), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.SetGraphRoot(ts.URL + "/")
	tlsClient := a.Client()

	// 1. The metadata document, over TLS, as one object.
	metadataHost := strings.TrimPrefix(strings.TrimSuffix(a.URL, "/"), "https://")
	resp, err := tlsClient.Get("https://" + metadataHost + "/metadata/endpoints?api-version=2022-09-01")
	if err != nil {
		t.Fatal(err)
	}
	var cloud struct {
		Name                     string `json:"name"`
		ResourceManager          string `json:"resourceManager"`
		MicrosoftGraphResourceID string `json:"microsoftGraphResourceId"`
		Authentication           struct {
			LoginEndpoint string `json:"loginEndpoint"`
		} `json:"authentication"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&cloud); err != nil || resp.StatusCode != 200 {
		t.Fatalf("metadata: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if cloud.Name == "" || cloud.ResourceManager == "" || cloud.MicrosoftGraphResourceID != ts.URL+"/" || !strings.HasPrefix(cloud.Authentication.LoginEndpoint, "https://") {
		t.Fatalf("metadata document: %+v", cloud)
	}

	// 2. A token for {microsoftGraphResourceId}/.default.
	resp, err = tlsClient.PostForm(strings.TrimSuffix(cloud.Authentication.LoginEndpoint, "/")+"/"+tenant+"/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {client}, "client_secret": {"s3cret"},
		"scope": {strings.TrimSuffix(cloud.MicrosoftGraphResourceID, "/") + "/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if tok.ExpiresIn < 3500 || tok.ExpiresIn > 3600 {
		t.Errorf("expires_in %d, want about an hour", tok.ExpiresIn)
	}

	// 3. Who the caller is, from the token's claims.
	parts := strings.Split(tok.AccessToken, ".")
	if len(parts) != 3 {
		t.Fatalf("the access token is not a three-part JWT: %q", tok.AccessToken)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		OID   string `json:"oid"`
		TID   string `json:"tid"`
		AppID string `json:"appid"`
		Exp   int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.OID != spID || claims.TID != tenant || claims.AppID != client || time.Until(time.Unix(claims.Exp, 0)) < 50*time.Minute {
		t.Fatalf("claims %+v, want oid %s (the app's service principal), tid %s, appid %s, exp in an hour", claims, spID, tenant, client)
	}

	// 4. azuread_group's requests, under /beta.
	graph := strings.TrimSuffix(cloud.MicrosoftGraphResourceID, "/") + "/beta"
	call := func(method, path string, body any) (int, map[string]any) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			data, _ := json.Marshal(body)
			rd = bytes.NewReader(data)
		}
		req, _ := http.NewRequest(method, graph+path, rd)
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	status, g := call("POST", "/groups", map[string]any{"displayName": "tf", "mailNickname": "tf", "mailEnabled": false,
		"securityEnabled": true, "owners@odata.bind": []string{graph + "/directoryObjects/" + st.Users[0].ID}})
	if status != 201 {
		t.Fatalf("POST /beta/groups: %d %v", status, g)
	}
	id, _ := g["id"].(string)
	if status, got := call("GET", "/groups/"+id, nil); status != 200 {
		t.Fatalf("GET /beta/groups/{id}: %d", status)
	} else if rule, present := got["membershipRule"]; !present || rule != nil {
		t.Errorf(`GET /beta/groups/{id} has membershipRule %v (present %v), want an explicit null`, rule, present)
	}
	if status, _ := call("PATCH", "/groups/"+id, map[string]any{"description": "managed by terraform"}); status != 204 {
		t.Errorf("PATCH: %d", status)
	}
	for _, u := range st.Users {
		if status, body := call("POST", "/groups/"+id+"/members/$ref", map[string]any{"@odata.id": graph + "/directoryObjects/" + u.ID}); status != 204 {
			t.Fatalf("members/$ref: %d %v", status, body)
		}
	}
	// Graph's default page size for members is 100.
	status, page := call("GET", "/groups/"+id+"/members", nil)
	if items, _ := page["value"].([]any); status != 200 || len(items) != 100 || page["@odata.nextLink"] == nil {
		t.Errorf("GET members without $top: %d, %d items, nextLink %v; want 100 and a next page", status, len(items), page["@odata.nextLink"])
	}
	if status, owners := call("GET", "/groups/"+id+"/owners", nil); status != 200 || len(owners["value"].([]any)) != 1 {
		t.Errorf("owners: %d %v", status, owners)
	}
	if status, _ := call("DELETE", "/groups/"+id, nil); status != 204 {
		t.Fatalf("DELETE: %d", status)
	}
	if status, _ := call("GET", "/groups/"+id, nil); status != 404 {
		t.Errorf("GET after DELETE: %d, want 404", status)
	}
	// Without a token, beta is as closed as v1.0.
	req, _ := http.NewRequest("GET", graph+"/groups", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("GET /beta/groups without a token: %v %v", resp.StatusCode, err)
	}
}

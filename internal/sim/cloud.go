package sim

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Other Graph clients reach the emulator by configuration alone when it
// looks like a cloud to them. The Terraform azuread provider (through
// hashicorp/go-azure-sdk) takes a metadata host, reads the cloud's
// endpoints from GET /metadata/endpoints?api-version=2022-09-01 over TLS,
// asks the login endpoint for a token with the client credentials grant,
// reads its own object id (oid) and tenant (tid) from the token's claims,
// and calls Graph's /beta endpoint under microsoftGraphResourceId.

// cloudDocument is the metadata document of the 2022-09-01 API, with the
// fields go-azure-sdk reads (its metadata client decodes one object, not
// a list). Services the emulator does not run have empty endpoints.
func (a *Authority) cloudDocument() map[string]any {
	login := strings.TrimSuffix(a.URL, "/")
	graph := a.graphRoot()
	return map[string]any{
		"name":     "entrasync-emulator",
		"portal":   login,
		"graph":    "",
		"media":    "",
		"batch":    "",
		"suffixes": map[string]string{"keyVaultDns": "", "storage": "", "sqlServerHostname": "", "mhsmDns": ""},
		"authentication": map[string]any{
			"loginEndpoint":    login,
			"audiences":        []string{graph},
			"tenant":           "common",
			"identityProvider": "AAD",
		},
		"resourceManager":          login + "/",
		"microsoftGraphResourceId": graph,
	}
}

func (a *Authority) metadataEndpoints(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{
			"code": "MissingApiVersionParameter", "message": "The api-version query parameter (?api-version=) is required for all requests."}})
		return
	}
	writeJSON(w, http.StatusOK, a.cloudDocument())
}

// SetGraphRoot names the root the emulator serves Graph under
// ("http://127.0.0.1:PORT/"): the metadata document's Graph resource,
// to which clients append /v1.0 or /beta.
func (a *Authority) SetGraphRoot(root string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.graph = strings.TrimSuffix(root, "/") + "/"
}

func (a *Authority) graphRoot() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.graph
}

// accessToken is an access token as Entra issues it for an app: a signed
// JWT (v1.0 claims, as Graph's tokens are) whose payload says who the
// caller is. Clients read oid and tid from it; Graph checks it.
func (s *Server) accessToken(clientID, scope string, now time.Time) (string, error) {
	s.signerOnce.Do(func() { s.signer, s.signerErr = NewSigner() })
	if s.signerErr != nil {
		return "", s.signerErr
	}
	s.mu.Lock()
	tenant, oid := s.t.id, ""
	for _, sp := range s.t.sps {
		if strings.EqualFold(sp.AppID, clientID) {
			oid = sp.ID
		}
	}
	s.mu.Unlock()
	if oid == "" {
		// Entra refuses an app without a service principal in the tenant
		// (AADSTS7000229); the emulator's apps predate their service
		// principals, so one is named by a stable id instead.
		oid = stableID("service principal of " + strings.ToLower(clientID))
	}
	aud := strings.TrimSuffix(scope, "/.default")
	return s.signer.Sign(map[string]any{
		"aud": aud, "iss": "https://sts.windows.net/" + tenant + "/",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(tokenLifetime).Unix(),
		"appid": clientID, "appidacr": "1", "idtyp": "app",
		"oid": oid, "sub": oid, "tid": tenant, "ver": "1.0",
	})
}

// stableID is a version-4-shaped GUID derived from a name.
func stableID(name string) string {
	h := sha256.Sum256([]byte(name))
	h[6] = h[6]&0x0f | 0x40
	h[8] = h[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// signerState is the key the emulator signs access tokens with, made on
// first use (an RSA key takes a moment).
type signerState struct {
	signerOnce sync.Once
	signer     *Signer
	signerErr  error
}

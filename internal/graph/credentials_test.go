package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entrasync/entrasync/internal/sim"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// The app's own certificate, and GitHub's token signing key, as the
// emulated app registration trusts them.
var (
	appSigner    = sync.OnceValue(func() *sim.Signer { return mustSigner() })
	githubSigner = sync.OnceValue(func() *sim.Signer { return mustSigner() })
)

const (
	githubIssuer  = "https://token.actions.githubusercontent.com"
	githubSubject = "repo:contoso/entra-config:pull_request"
)

func mustSigner() *sim.Signer {
	s, err := sim.NewSigner()
	if err != nil {
		panic(err)
	}
	return s
}

// testApp is the app registration the emulator knows: a secret, a
// certificate, and a federated credential for GitHub Actions.
func testApp() *sim.App {
	return &sim.App{ClientID: clientID, Secret: secret, Certificate: appSigner().CertificatePEM(),
		Federated: []sim.FederatedCredential{{Issuer: githubIssuer, Subject: githubSubject,
			Audiences: []string{"api://AzureADTokenExchange"}, Certificate: githubSigner().CertificatePEM()}}}
}

// authority starts the emulator's TLS token endpoint for a known app.
func authority(t *testing.T) (*sim.Server, *sim.Authority, string) {
	t.Helper()
	st := sim.Seed(sim.SeedOptions{Users: 3, Seed: 1})
	st.Apps = []*sim.App{testApp()}
	srv, err := sim.NewServer(st, sim.Options{RequireAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	a, err := srv.StartAuthority("127.0.0.1:0", ca)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return srv, a, ca
}

func TestCredentialFromEnvSecret(t *testing.T) {
	srv, a, ca := authority(t)
	cred, desc, err := CredentialFromEnv(envOf(map[string]string{"AZURE_CLIENT_ID": clientID, "AZURE_CLIENT_SECRET": secret,
		"ENTRASYNC_AUTHORITY_HOST": a.URL, "ENTRASYNC_CA_FILE": ca}), "tenant-1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(desc, secret) || !strings.Contains(desc, "client secret") {
		t.Fatalf("description %q", desc)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c, _ := NewClient(Config{BaseURL: ts.URL + "/v1.0", Credential: cred})
	if _, err := c.Users().Get(context.Background(), nil); err != nil {
		t.Fatalf("Graph call with the secret credential: %v", err)
	}
}

// GitHub OIDC: each token request fetches a fresh ID token from GitHub.
func TestCredentialFromEnvGitHubOIDC(t *testing.T) {
	_, a, ca := authority(t)
	var fetches atomic.Int32
	gh := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gh-request-token" || r.URL.Query().Get("audience") != "api://AzureADTokenExchange" {
			http.Error(w, "bad request", http.StatusUnauthorized)
			return
		}
		fetches.Add(1)
		token, err := githubSigner().Sign(map[string]any{"iss": githubIssuer, "sub": githubSubject, "aud": "api://AzureADTokenExchange",
			"exp": time.Now().Add(5 * time.Minute).Unix()})
		if err != nil {
			t.Error(err)
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"value": token})
	}))
	defer gh.Close()
	cred, desc, err := CredentialFromEnv(envOf(map[string]string{"AZURE_CLIENT_ID": clientID,
		"ACTIONS_ID_TOKEN_REQUEST_URL": gh.URL + "/token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-token",
		"ENTRASYNC_AUTHORITY_HOST": a.URL, "ENTRASYNC_CA_FILE": ca}), "tenant-1")
	if err != nil || !strings.Contains(desc, "GitHub Actions OIDC") {
		t.Fatal(err, desc)
	}
	for _, scope := range []string{"https://graph.microsoft.com/.default", "https://example.test/.default"} {
		if _, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}}); err != nil {
			t.Fatalf("token for %s: %v", scope, err)
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Fatalf("%d GitHub token fetches for 2 token requests; each must fetch afresh", n)
	}
}

func TestCredentialFromEnvStaticAndNone(t *testing.T) {
	cred, desc, err := CredentialFromEnv(envOf(map[string]string{"ENTRASYNC_ACCESS_TOKEN": "s3cr3t-value"}), "t")
	if err != nil || strings.Contains(desc, "s3cr3t") {
		t.Fatal(err, desc)
	}
	if tok, _ := cred.GetToken(context.Background(), policy.TokenRequestOptions{}); tok.Token != "s3cr3t-value" {
		t.Fatal("static token not passed through")
	}
	if _, _, err := CredentialFromEnv(envOf(nil), "t"); err == nil || !strings.Contains(err.Error(), "no credentials") {
		t.Fatalf("no credentials: %v", err)
	}
}

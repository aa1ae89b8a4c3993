package sim

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// tokenStore holds the access tokens the authority issued. Tokens are
// random and opaque; Graph clients never look inside them.
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]time.Time
}

func newTokenStore() *tokenStore { return &tokenStore{tokens: map[string]time.Time{}} }

const tokenLifetime = time.Hour

func (ts *tokenStore) issue(now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	ts.mu.Lock()
	ts.tokens[tok] = now.Add(tokenLifetime)
	ts.mu.Unlock()
	return tok
}

func (ts *tokenStore) valid(tok string, now time.Time) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	exp, ok := ts.tokens[tok]
	return ok && now.Before(exp)
}

// authorized checks the bearer token with Graph's 401 answers (§6.2).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	switch {
	case h == "" || (ok && tok == ""):
		writeError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return false
	case !ok || !s.tokens.valid(tok, s.opts.Now()):
		writeError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return false
	}
	return true
}

// Authority is the emulator's Entra ID token endpoint for azidentity:
// OpenID configuration and the v2.0 token endpoint for the client
// credentials grant, with a secret or a client assertion. It is served
// over TLS because azidentity refuses an http:// authority
// (the Microsoft identity platform's token endpoint).
type Authority struct {
	URL    string // https://127.0.0.1:PORT/
	CAFile string // PEM of the certificate clients must trust
	CAPEM  []byte

	srv *http.Server
	ln  net.Listener
}

// StartAuthority serves the token endpoint for s on addr and writes the
// CA certificate to caFile.
func (s *Server) StartAuthority(addr, caFile string) (*Authority, error) {
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(caFile, certPEM, 0o644); err != nil {
		return nil, err
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	ln, err := tls.Listen("tcp", addr, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, err
	}
	a := &Authority{URL: "https://" + ln.Addr().String() + "/", CAFile: caFile, CAPEM: certPEM, ln: ln}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", a.openIDConfiguration)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Close stops the authority.
func (a *Authority) Close() error { return a.srv.Close() }

func (a *Authority) openIDConfiguration(w http.ResponseWriter, r *http.Request) {
	base := strings.TrimSuffix(a.URL, "/") + "/" + r.PathValue("tenant")
	writeJSON(w, http.StatusOK, map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"issuer":                                base + "/v2.0",
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_types_supported":              []string{"code", "id_token", "token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"tenant_region_scope":                   "EU",
	})
}

// token answers the client credentials grant in Entra's shapes: a known
// client with its secret, or a client assertion whose iss and sub are the
// client id and whose aud is this token endpoint. Assertion signatures
// are not verified (the emulator has no app registrations' keys).
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, "invalid_request", "AADSTS900144: The request body must contain form parameters.")
		return
	}
	f := r.PostForm
	if f.Get("grant_type") != "client_credentials" {
		oauthError(w, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
		return
	}
	clientID := f.Get("client_id")
	app := s.app(clientID)
	if app == nil {
		oauthError(w, "unauthorized_client", "AADSTS700016: Application with identifier '"+clientID+"' was not found in the directory.")
		return
	}
	switch {
	case f.Get("client_secret") != "":
		if app.Secret == "" || f.Get("client_secret") != app.Secret {
			oauthError(w, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
			return
		}
	case f.Get("client_assertion") != "":
		if err := checkAssertion(f.Get("client_assertion"), clientID, s.opts.Now()); err != nil {
			oauthError(w, "invalid_client", "AADSTS700027: Client assertion failed validation: "+err.Error())
			return
		}
	default:
		oauthError(w, "invalid_client", "AADSTS7000218: The request body must contain client_assertion or client_secret.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds()) - 1, "ext_expires_in": int(tokenLifetime.Seconds()) - 1,
		"access_token": s.tokens.issue(s.opts.Now()),
	})
}

func (s *Server) app(clientID string) *App {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.t.apps {
		if strings.EqualFold(a.ClientID, clientID) {
			return a
		}
	}
	return nil
}

func oauthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": code, "error_description": desc,
		"error_codes": []int{}, "timestamp": time.Now().UTC().Format("2006-01-02 15:04:05Z")})
}

// checkAssertion checks the claims of a client assertion JWT.
func checkAssertion(jwt, clientID string, now time.Time) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New("payload is not base64url")
	}
	var c struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
		Exp int64  `json:"exp"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return errors.New("payload is not JSON")
	}
	if !strings.EqualFold(c.Iss, clientID) || !strings.EqualFold(c.Sub, clientID) {
		return errors.New("iss and sub must be the client id")
	}
	if c.Exp != 0 && now.Unix() > c.Exp {
		return errors.New("the assertion has expired")
	}
	if c.Aud == nil {
		return errors.New("aud is missing")
	}
	return nil
}

// selfSigned makes a CA-capable certificate for the loopback names.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "entrasync emulator"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("::1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

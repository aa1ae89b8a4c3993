package sim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// tokenStore holds the access tokens the authority issued (signed JWTs,
// see accessToken): a token is valid when this emulator issued it and it
// has not expired.
type tokenStore struct {
	mu     sync.Mutex
	tokens map[string]issued
}

// issued is a token's expiry and the resource it was issued for.
type issued struct {
	expires time.Time
	// sharePoint is set for a token of a SharePoint resource
	// (https://TENANT-admin.sharepoint.com/.default); Graph refuses it,
	// and SharePoint refuses Graph's.
	sharePoint bool
}

func newTokenStore() *tokenStore { return &tokenStore{tokens: map[string]issued{}} }

const tokenLifetime = time.Hour

func (ts *tokenStore) issue(tok string, now time.Time, sharePoint bool) string {
	ts.mu.Lock()
	ts.tokens[tok] = issued{expires: now.Add(tokenLifetime), sharePoint: sharePoint}
	ts.mu.Unlock()
	return tok
}

func (ts *tokenStore) valid(tok string, now time.Time, sharePoint bool) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.tokens[tok]
	return ok && now.Before(t.expires) && t.sharePoint == sharePoint
}

// sharePointScope reports whether a token request's scope is a
// SharePoint Online resource rather than Graph.
func sharePointScope(scope string) bool {
	u, err := url.Parse(strings.TrimSuffix(scope, "/.default"))
	return err == nil && strings.Contains(strings.ToLower(u.Host), ".sharepoint.")
}

// authorized checks the bearer token with Graph's 401 answers (Graph docs: Error responses).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	switch {
	case h == "" || (ok && tok == ""):
		writeError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token is empty.")
		return false
	case !ok || !s.tokens.valid(tok, s.opts.Now(), strings.HasPrefix(r.URL.Path, "/_api/")):
		writeError(w, r, http.StatusUnauthorized, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.")
		return false
	}
	return true
}

// LoopbackHost reports whether a host or host:port names this machine by
// a loopback address or "localhost".
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return strings.EqualFold(host, "localhost") || (ip != nil && ip.IsLoopback())
}

// loopbackOnly refuses requests whose Host header is not a loopback name:
// a web page cannot reach the emulator through a DNS name rebound to
// 127.0.0.1 (the browser sends the attacker's name as Host).
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !LoopbackHost(r.Host) {
			writeError(w, r, http.StatusForbidden, "Authorization_RequestDenied", "The emulator answers only requests addressed to a loopback host.")
			return
		}
		h.ServeHTTP(w, r)
	})
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

	mu    sync.Mutex
	graph string // see SetGraphRoot
}

// StartAuthority serves the token endpoint for s on addr and writes the
// CA certificate to caFile.
func (s *Server) StartAuthority(addr, caFile string) (*Authority, error) {
	if !LoopbackHost(addr) {
		return nil, fmt.Errorf("the token authority only listens on loopback addresses, not %s", addr)
	}
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
	mux.HandleFunc("GET /metadata/endpoints", a.metadataEndpoints)
	a.srv = &http.Server{Handler: loopbackOnly(mux), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	return a, nil
}

// Client is an HTTP client that trusts the authority's certificate, as a
// client given CAFile would.
func (a *Authority) Client() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(a.CAPEM)
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
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
// client with its secret, or a client assertion (checkAssertion).
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
		endpoint := "https://" + r.Host + r.URL.Path
		if err := checkAssertion(f.Get("client_assertion"), app, endpoint, s.opts.Now()); err != nil {
			oauthError(w, "invalid_client", "AADSTS700027: Client assertion failed validation: "+err.Error())
			return
		}
	default:
		oauthError(w, "invalid_client", "AADSTS7000218: The request body must contain client_assertion or client_secret.")
		return
	}
	now := s.opts.Now()
	tok, err := s.accessToken(app.ClientID, f.Get("scope"), now)
	if err != nil {
		oauthError(w, "temporarily_unavailable", "AADSTS50000: There was an error issuing a token: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": int(tokenLifetime.Seconds()) - 1, "ext_expires_in": int(tokenLifetime.Seconds()) - 1,
		"access_token": s.tokens.issue(tok, now, sharePointScope(f.Get("scope"))),
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

// checkAssertion verifies a client assertion as Entra does (Microsoft
// identity platform, "certificate credentials" and "workload identity
// federation"): a JWT signed RS256 or PS256 ("none" and any other
// algorithm are refused) that has not expired, and either the app's own
// (iss and sub its client id, aud this token endpoint, signed with its
// registered certificate) or an external token matching a federated
// identity credential (issuer, subject, audience; signed by the issuer).
func checkAssertion(jwt string, app *App, endpoint string, now time.Time) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &h); err != nil {
		return errors.New("the header is not base64url JSON")
	}
	var c struct {
		Iss string `json:"iss"`
		Sub string `json:"sub"`
		Aud any    `json:"aud"`
		Exp int64  `json:"exp"`
		Nbf int64  `json:"nbf"`
	}
	if err := decodeSegment(parts[1], &c); err != nil {
		return errors.New("the payload is not base64url JSON")
	}
	if h.Alg != "RS256" && h.Alg != "PS256" {
		return fmt.Errorf("the signing algorithm %q is not accepted (RS256 or PS256)", h.Alg)
	}
	// The app's own assertion (certificate credential), or an external
	// token matching one of its federated identity credentials.
	certificate, audiences := app.Certificate, []string{endpoint}
	if !strings.EqualFold(c.Iss, app.ClientID) || !strings.EqualFold(c.Sub, app.ClientID) {
		i := slices.IndexFunc(app.Federated, func(f FederatedCredential) bool { return f.Issuer == c.Iss && f.Subject == c.Sub })
		if i < 0 {
			return fmt.Errorf("no federated identity credential of the app matches issuer %q and subject %q", c.Iss, c.Sub)
		}
		certificate, audiences = app.Federated[i].Certificate, app.Federated[i].Audiences
		if len(audiences) == 0 {
			audiences = []string{"api://AzureADTokenExchange"}
		}
	}
	switch {
	case c.Exp == 0:
		return errors.New("exp is missing")
	case now.Unix() > c.Exp:
		return errors.New("the assertion has expired")
	case c.Nbf != 0 && now.Unix() < c.Nbf:
		return errors.New("the assertion is not valid yet")
	}
	auds, _ := c.Aud.([]any)
	if a, ok := c.Aud.(string); ok {
		auds = []any{a}
	}
	if !slices.ContainsFunc(auds, func(a any) bool {
		s, _ := a.(string)
		return slices.ContainsFunc(audiences, func(w string) bool { return strings.EqualFold(s, w) })
	}) {
		return fmt.Errorf("aud must be %s", strings.Join(audiences, " or "))
	}
	key, err := publicKey(certificate)
	if err != nil {
		return err
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return errors.New("the signature is not base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if h.Alg == "PS256" {
		err = rsa.VerifyPSS(key, crypto.SHA256, digest[:], sig, nil)
	} else {
		err = rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig)
	}
	if err != nil {
		return errors.New("the signature does not match the app's certificate")
	}
	return nil
}

func decodeSegment(seg string, v any) error {
	data, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// publicKey is the RSA key of a registered certificate (PEM).
func publicKey(certificate string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(certificate))
	if block == nil {
		return nil, errors.New("no certificate is registered to verify this assertion")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the registered certificate: %w", err)
	}
	key, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("the registered certificate has no RSA key")
	}
	return key, nil
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

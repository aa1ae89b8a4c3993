package sim

import (
	"bytes"
	"compress/gzip"
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

func postJSON(t *testing.T, url, body string, headers map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	data, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, resp.Header, out
}

func batchResponses(t *testing.T, out map[string]any) map[string]map[string]any {
	t.Helper()
	byID := map[string]map[string]any{}
	list, _ := out["responses"].([]any)
	for _, x := range list {
		m := x.(map[string]any)
		byID[m["id"].(string)] = m
	}
	return byID
}

// JSON batching (Graph docs: JSON batching).
func TestBatch(t *testing.T) {
	ts, s := fixture(t, 0, Options{})
	url := ts.URL + "/v1.0/$batch"
	s.ResetStats()
	status, _, out := postJSON(t, url, `{"requests":[
		{"id":"0b4f4e52-1111-4111-8111-000000000001","method":"GET","url":"/users/`+alice+`?$select=id"},
		{"id":"2","method":"POST","url":"groups/`+finance+`/members/$ref","headers":{"Content-Type":"application/json"},"body":`+ref(bob)+`},
		{"id":"3","method":"POST","url":"/groups/`+finance+`/members/$ref","headers":{"Content-Type":"application/json"},"body":`+ref(bob)+`,"dependsOn":["2"]},
		{"id":"4","method":"GET","url":"/users/nobody@contoso.com","dependsOn":["3"]},
		{"id":"5","method":"GET","url":"/nothing"}]}`, nil)
	if status != 200 {
		t.Fatalf("outer status %d: %v", status, out)
	}
	r := batchResponses(t, out)
	want := map[string]float64{"0b4f4e52-1111-4111-8111-000000000001": 200, "2": 204, "3": 400, "4": 424, "5": 400}
	for id, st := range want {
		if r[id]["status"] != st {
			t.Errorf("item %s: status %v, want %v (%v)", id, r[id]["status"], st, r[id])
		}
	}
	if body, _ := json.Marshal(r["3"]["body"]); !strings.Contains(string(body), "already exist") {
		t.Errorf("item 3 body: %s", body)
	}
	if h, _ := r["0b4f4e52-1111-4111-8111-000000000001"]["headers"].(map[string]any); h["x-ms-resource-unit"] == nil {
		t.Errorf("item headers lack x-ms-resource-unit: %v", h)
	}
	if st := s.Stats(); st.HTTPRequests != 1 || st.BatchItems != 4 {
		t.Errorf("stats: %d HTTP requests, %d batch items; want 1 and 4 (the 424 item never ran)", st.HTTPRequests, st.BatchItems)
	}

	// Graph takes item URLs as written, unencoded spaces and quotes
	// included, as the batching guide's examples do.
	_, _, out = postJSON(t, url, `{"requests":[
		{"id":"1","method":"GET","url":"/users?$filter=displayName eq 'Alice Smith' or startswith(displayName,'A')&$select=id"},
		{"id":"2","method":"GET","url":"/groups?$filter=displayName eq 'a<b> {c}|d^'&$select=id"}]}`, nil)
	r = batchResponses(t, out)
	for _, id := range []string{"1", "2"} {
		if r[id]["status"] != 200.0 {
			t.Errorf("item %s with an unencoded URL: %v", id, r[id])
		}
	}

	bad := []struct{ name, body string }{
		{"21 items", `{"requests":[` + strings.TrimSuffix(strings.Repeat(`{"id":"x","method":"GET","url":"/users"},`, 21), ",") + `]}`},
		{"duplicate ids ignoring case", `{"requests":[{"id":"a","method":"GET","url":"/users"},{"id":"A","method":"GET","url":"/users"}]}`},
		{"absolute url", `{"requests":[{"id":"a","method":"GET","url":"https://graph.microsoft.com/v1.0/users"}]}`},
		{"body without Content-Type", `{"requests":[{"id":"a","method":"POST","url":"/groups","body":{"displayName":"x"}}]}`},
		{"unknown dependency", `{"requests":[{"id":"a","method":"GET","url":"/users","dependsOn":["b"]}]}`},
		{"not JSON", `{"requests":`},
	}
	for _, b := range bad {
		if status, _, _ := postJSON(t, url, b.body, nil); status != 400 {
			t.Errorf("%s: status %d, want 400", b.name, status)
		}
	}
}

// Throttling, also inside $batch (Graph docs: Throttling).
func TestThrottling(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts, s := fixture(t, 0, Options{Throttle: true, ResourceUnits: 10, Writes: 2, Now: func() time.Time { return now }})
	get := func() *http.Response {
		resp, err := http.Get(ts.URL + "/v1.0/users") // costs 2 RU
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i := 0; i < 5; i++ {
		resp := get()
		if resp.StatusCode != 200 || resp.Header.Get("x-ms-resource-unit") != "2" {
			t.Fatalf("request %d: %d, x-ms-resource-unit %q", i, resp.StatusCode, resp.Header.Get("x-ms-resource-unit"))
		}
		// Above 80 % of the quota Graph says how close the client is (Graph docs: Throttling limits, identity and access).
		if pct := resp.Header.Get("x-ms-throttle-limit-percentage"); (i >= 3) != (pct != "") {
			t.Errorf("request %d (%d%% used): x-ms-throttle-limit-percentage %q", i, (i+1)*20, pct)
		}
	}
	resp := get()
	if resp.StatusCode != 429 {
		t.Fatalf("6th request: %d, want 429", resp.StatusCode)
	}
	// 2 RU short at 1 RU/s (10 per 10 s): Retry-After 2 seconds.
	if ra := resp.Header.Get("Retry-After"); ra != "2" {
		t.Errorf("Retry-After %q, want 2", ra)
	}
	if !strings.HasPrefix(resp.Header.Get("x-ms-throttle-scope"), "Tenant_Application/ReadWrite/") {
		t.Errorf("x-ms-throttle-scope %q", resp.Header.Get("x-ms-throttle-scope"))
	}
	now = now.Add(1500 * time.Millisecond) // 1.5 RU back: 0.5 short
	if resp := get(); resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "0.5" {
		t.Errorf("after 1.5 s: %d Retry-After %q, want 429 and a fractional 0.5", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	now = now.Add(10 * time.Second)
	// Writes: 2 per 150 s. The third write inside one batch is throttled
	// on its own, with its own Retry-After, and the batch is still 200.
	item := func(id string) string {
		return `{"id":"` + id + `","method":"PATCH","url":"/groups/` + finance + `","headers":{"Content-Type":"application/json"},"body":{"description":"x"}}`
	}
	status, _, out := postJSON(t, ts.URL+"/v1.0/$batch", `{"requests":[`+item("1")+`,`+item("2")+`,`+item("3")+`]}`, nil)
	r := batchResponses(t, out)
	if status != 200 || r["1"]["status"] != 204.0 || r["2"]["status"] != 204.0 || r["3"]["status"] != 429.0 {
		t.Fatalf("batch: %d %v", status, out)
	}
	if h := r["3"]["headers"].(map[string]any); h["Retry-After"] != "75" || h["x-ms-throttle-information"] != "WriteLimitExceeded" || h["x-ms-resource-unit"] != "1" {
		t.Errorf("throttled item headers: %v", h)
	}
	if st := s.Stats(); st.Throttled != 3 {
		t.Errorf("stats.Throttled = %d, want 3", st.Throttled)
	}
}

// Replication lag (Graph docs: eventual consistency of new directory objects).
func TestReplicationLag(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ts, _ := fixture(t, 0, Options{ReplicationLag: 5 * time.Second, Now: func() time.Time { return now }})
	_, _, g := postJSON(t, ts.URL+"/v1.0/groups", `{"displayName":"New","mailEnabled":false,"mailNickname":"new","securityEnabled":true}`, nil)
	id := g["id"].(string)
	var body map[string]any
	if st := getJSON(t, ts.URL+"/v1.0/groups/"+id, nil, &body); st != 404 {
		t.Fatalf("read right after create: %d, want 404", st)
	}
	// Graph: adding members to a group created moments ago answers 400
	// "... objects being referenced do not exist"; every listing hides
	// the group too, as every read path lags alike.
	if st, _, body := postJSON(t, ts.URL+"/v1.0/groups/"+id+"/members/$ref", ref(alice), nil); st != 400 ||
		!strings.Contains(fmt.Sprint(body), "objects being referenced do not exist") {
		t.Fatalf("member add right after create: %d %v, want 400", st, body)
	}
	var list struct {
		Value []map[string]any `json:"value"`
	}
	getJSON(t, ts.URL+"/v1.0/groups?$filter=id%20in%20('"+id+"')", nil, &list)
	if len(list.Value) != 0 {
		t.Fatalf("a listing shows the group during the lag: %v", list.Value)
	}
	now = now.Add(6 * time.Second)
	if st := getJSON(t, ts.URL+"/v1.0/groups/"+id, nil, &body); st != 200 {
		t.Fatalf("read after the lag: %d", st)
	}
}

// Faults are reproducible from the seed and counted.
func TestFaults(t *testing.T) {
	outcomes := func() string {
		ts, s := fixture(t, 0, Options{FaultRate: 0.5, Seed: 42})
		var b strings.Builder
		for i := 0; i < 40; i++ {
			resp, err := http.Get(ts.URL + "/v1.0/users?$select=id")
			switch {
			case err != nil:
				b.WriteString("x")
			default:
				b.WriteString(map[int]string{200: ".", 500: "5", 503: "3"}[resp.StatusCode])
				if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
					t.Error("503 without Retry-After")
				}
				resp.Body.Close()
			}
		}
		if s.Stats().Faults == 0 {
			t.Error("no faults counted")
		}
		return b.String()
	}
	a, b := outcomes(), outcomes()
	if a != b {
		t.Errorf("same seed, different faults:\n%s\n%s", a, b)
	}
	for _, want := range []string{".", "5", "3", "x"} {
		if !strings.Contains(a, want) {
			t.Errorf("outcomes %s lack %q", a, want)
		}
	}
}

// msgraph-sdk-go gzips request bodies (msgraph-sdk-go's compression handler).
func TestGzipRequestBody(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(ref(bob)))
	zw.Close()
	req, _ := http.NewRequest("POST", ts.URL+"/v1.0/groups/"+finance+"/members/$ref", &buf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("gzip body: %d", resp.StatusCode)
	}
}

// The authority azidentity asks for tokens, and --require-auth on Graph.
// unsigned is a JWT with alg "none", which must never be accepted.
func unsigned(claims map[string]any) string {
	h, _ := json.Marshal(map[string]any{"alg": "none"})
	c, _ := json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c) + "."
}

func TestAuthority(t *testing.T) {
	signer, err := NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	state := testState(0)
	state.Apps[0].Certificate = signer.CertificatePEM()
	s, err := NewServer(state, Options{RequireAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	if _, err := s.StartAuthority("0.0.0.0:0", filepath.Join(t.TempDir(), "ca.pem")); err == nil {
		t.Fatal("the authority listened beyond loopback")
	}
	a, err := s.StartAuthority("127.0.0.1:0", filepath.Join(t.TempDir(), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	tlsClient := a.Client()

	resp, err := tlsClient.Get(a.URL + "tenant-x/v2.0/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&cfg)
	resp.Body.Close()
	if te, _ := cfg["token_endpoint"].(string); te != a.URL+"tenant-x/oauth2/v2.0/token" {
		t.Fatalf("token_endpoint %q", cfg["token_endpoint"])
	}
	token := func(form url.Values) (int, map[string]any) {
		resp, err := tlsClient.PostForm(cfg["token_endpoint"].(string), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	const client = "11111111-1111-4111-8111-111111111111"
	base := url.Values{"grant_type": {"client_credentials"}, "client_id": {client}, "scope": {"https://graph.microsoft.com/.default"}}
	withSecret := func(secret string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		v.Set("client_secret", secret)
		return v
	}
	if st, out := token(withSecret("wrong")); st != 400 || out["error"] != "invalid_client" {
		t.Errorf("wrong secret: %d %v", st, out)
	}
	st, out := token(withSecret("s3cret"))
	if st != 200 || out["token_type"] != "Bearer" || out["access_token"] == "" {
		t.Fatalf("secret: %d %v", st, out)
	}
	withAssertion := func(assertion string) url.Values {
		v := url.Values{}
		for k, x := range base {
			v[k] = x
		}
		v.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
		v.Set("client_assertion", assertion)
		return v
	}
	claims := func(aud any, exp time.Time) map[string]any {
		return map[string]any{"iss": client, "sub": client, "aud": aud, "exp": exp.Unix()}
	}
	sign := func(by *Signer, claims map[string]any) string {
		jwt, err := by.Sign(claims)
		if err != nil {
			t.Fatal(err)
		}
		return jwt
	}
	good := claims(cfg["token_endpoint"], time.Now().Add(time.Minute))
	if st, out := token(withAssertion(sign(signer, good))); st != 200 {
		t.Errorf("signed assertion: %d %v", st, out)
	}
	other, err := NewSigner()
	if err != nil {
		t.Fatal(err)
	}
	for name, assertion := range map[string]string{
		"alg none":        unsigned(good),
		"another key":     sign(other, good),
		"wrong audience":  sign(signer, claims("https://login.example.net/token", time.Now().Add(time.Minute))),
		"expired":         sign(signer, claims(cfg["token_endpoint"], time.Now().Add(-time.Minute))),
		"tampered claims": strings.Replace(sign(signer, good), ".", ".e30", 1),
	} {
		if st, out := token(withAssertion(assertion)); st != 400 || out["error"] != "invalid_client" {
			t.Errorf("%s: %d %v", name, st, out)
		}
	}

	callPath := func(path, auth string) int {
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	call := func(auth string) int { return callPath("/v1.0/users", auth) }
	if c := call(""); c != 401 {
		t.Errorf("no token: %d", c)
	}
	if c := call("Bearer forged"); c != 401 {
		t.Errorf("forged token: %d", c)
	}
	if c := call("Bearer " + out["access_token"].(string)); c != 200 {
		t.Errorf("issued token: %d", c)
	}
	// The admin API, which can rewrite the tenant, needs a token too.
	for _, auth := range []string{"", "Bearer forged"} {
		if c := callPath("/_sim/state", auth); c != 401 {
			t.Errorf("admin API with %q: %d", auth, c)
		}
	}
}

// A request whose Host is not a loopback name (a DNS name rebound to
// 127.0.0.1 by a web page) is refused.
func TestDNSRebindingRefused(t *testing.T) {
	ts, _ := fixture(t, 0, Options{})
	req, _ := http.NewRequest("GET", ts.URL+"/_sim/state", nil)
	req.Host = "attacker.example.net"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign Host: %d", resp.StatusCode)
	}
}

// State is saved atomically and loads back the same.
func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tenant.json")
	if err := SaveState(path, testState(0)); err != nil {
		t.Fatal(err)
	}
	st, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewServer(st, Options{StatePath: path, SaveDelay: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ts := newTestServer(t, s)
	if code, _, _ := postJSON(t, ts.URL+"/v1.0/groups/"+finance+"/members/$ref", ref(carol), nil); code != 204 {
		t.Fatal(code)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := LoadState(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range again.Groups {
		if g.ID == finance && strings.Join(g.Members, ",") != carol+","+alice { // sorted by id
			t.Fatalf("saved members of finance: %v", g.Members)
		}
	}
	if _, err := LoadState(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing state file loaded")
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = SaveState(bad, testState(0))
	data, _ := json.Marshal(map[string]any{"users": []any{}, "grups": []any{}})
	_ = writeFile(bad, data)
	if _, err := LoadState(bad); err == nil || !strings.Contains(err.Error(), "grups") {
		t.Errorf("unknown field: %v", err)
	}
	dup := testState(0)
	dup.Users = append(dup.Users, &User{ID: alice, UserPrincipalName: "x@contoso.com"})
	if _, err := NewServer(dup, Options{}); err == nil {
		t.Error("duplicate user id accepted")
	}
}

// TestHandlerPanicIsA500: a bug in a handler reaches the client as Graph's
// internal error (500 with an error body), on its own item of a $batch,
// and the server keeps serving; never a dropped connection.
func TestHandlerPanicIsA500(t *testing.T) {
	ts, s := fixture(t, 0, Options{})
	s.mux.HandleFunc("GET /v1.0/panics", func(http.ResponseWriter, *http.Request) { panic("a bug") })
	run(t, ts, []exchange{
		{name: "direct", method: "GET", path: "/v1.0/panics", status: 500,
			contains: []string{`"code":"Service_InternalServerError"`, `"request-id"`}},
		{name: "in a batch", method: "POST", path: "/v1.0/$batch", status: 200,
			body:     `{"requests":[{"id":"1","method":"GET","url":"/panics"},{"id":"2","method":"GET","url":"/users?$top=1"}]}`,
			contains: []string{`{"id":"1","status":500`, `"Service_InternalServerError"`, `{"id":"2","status":200`}},
		{name: "still serving", method: "GET", path: "/v1.0/users?$top=1", status: 200},
	})
}

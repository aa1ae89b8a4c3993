package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const (
	alice   = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"
	bob     = "0b7e5f1a-0000-4000-8000-000000000002"
	finance = "21d05557-b7b6-418f-86fa-a3118d751be4"
)

func fixture(t *testing.T, users int) *httptest.Server {
	t.Helper()
	st := &State{
		Users: []*User{
			{ID: alice, UserPrincipalName: "alice@contoso.com", DisplayName: "Alice", Mail: "alice@contoso.com", AccountEnabled: true,
				Properties: map[string]any{"department": "Finance", "proxyAddresses": []any{"SMTP:alice@contoso.com"}}},
			{ID: bob, UserPrincipalName: "bob@contoso.com", DisplayName: "Bob", AccountEnabled: false,
				Properties: map[string]any{"department": "Sales"}},
		},
		Groups: []*Group{{ID: finance, DisplayName: "Finance", MailNickname: "finance", SecurityEnabled: true, Members: []string{alice}}},
	}
	for i := 0; i < users; i++ {
		st.Users = append(st.Users, &User{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), UserPrincipalName: fmt.Sprintf("u%d@contoso.com", i), DisplayName: fmt.Sprint("U", i)})
	}
	s, err := NewServer(st)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

type exchange struct {
	name, method, path, body string
	status                   int
	contains                 []string // substrings of the response body
	absent                   []string
}

func run(t *testing.T, ts *httptest.Server, cases []exchange) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("client-request-id", "c1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			body := string(data)
			if resp.StatusCode != c.status {
				t.Fatalf("%s %s = %d, want %d\n%s", c.method, c.path, resp.StatusCode, c.status, body)
			}
			if resp.Header.Get("request-id") == "" || resp.Header.Get("client-request-id") != "c1" {
				t.Errorf("headers: request-id %q, client-request-id %q", resp.Header.Get("request-id"), resp.Header.Get("client-request-id"))
			}
			for _, s := range c.contains {
				if !strings.Contains(body, s) {
					t.Errorf("body lacks %q:\n%s", s, body)
				}
			}
			for _, s := range c.absent {
				if strings.Contains(body, s) {
					t.Errorf("body has %q:\n%s", s, body)
				}
			}
		})
	}
}

func TestUsersConformance(t *testing.T) {
	ts := fixture(t, 0)
	run(t, ts, []exchange{
		{name: "list default property set", method: "GET", path: "/v1.0/users", status: 200,
			contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users"`, `"userPrincipalName":"alice@contoso.com"`, `"jobTitle":null`, `"businessPhones":[]`},
			absent:   []string{`"department"`, `"accountEnabled"`}},
		{name: "select", method: "GET", path: "/v1.0/users?$select=id,department", status: 200,
			contains: []string{`"department":"Finance"`}, absent: []string{`"displayName"`}},
		{name: "get by id", method: "GET", path: "/v1.0/users/" + alice, status: 200, contains: []string{`"displayName":"Alice"`, `$metadata#users/$entity`}},
		{name: "get by upn", method: "GET", path: "/v1.0/users/Alice@Contoso.com", status: 200, contains: []string{`"id":"` + alice + `"`}},
		{name: "not found body", method: "GET", path: "/v1.0/users/nobody@contoso.com", status: 404,
			contains: []string{`"code":"Request_ResourceNotFound"`, `"message":"Resource 'nobody@contoso.com' does not exist or one of its queried reference-property objects are not present."`, `"innerError":{"date":"`, `"client-request-id":"c1"`}},
		{name: "top too large", method: "GET", path: "/v1.0/users?$top=1000", status: 400,
			contains: []string{`Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.`}},
		{name: "top zero", method: "GET", path: "/v1.0/users?$top=0", status: 400},
		{name: "filter eq", method: "GET", path: "/v1.0/users?$filter=department%20eq%20'finance'&$select=id", status: 200,
			contains: []string{alice}, absent: []string{bob}},
		{name: "filter and bool", method: "GET", path: "/v1.0/users?$filter=accountEnabled%20eq%20false&$select=id", status: 200,
			contains: []string{bob}, absent: []string{alice}},
		{name: "filter in", method: "GET", path: "/v1.0/users?$filter=department%20in%20('Sales','HR')&$select=id", status: 200,
			contains: []string{bob}, absent: []string{alice}},
		{name: "filter startswith", method: "GET", path: "/v1.0/users?$filter=startswith(displayName,'al')&$select=id", status: 200,
			contains: []string{alice}, absent: []string{bob}},
		{name: "filter any lambda", method: "GET", path: "/v1.0/users?$filter=proxyAddresses/any(p:startswith(p,'smtp:alice'))&$select=id", status: 200,
			contains: []string{alice}, absent: []string{bob}},
		{name: "filter syntax error", method: "GET", path: "/v1.0/users?$filter=department%20%3D%20'x'", status: 400,
			contains: []string{`"code":"Request_UnsupportedQuery"`}},
		{name: "unknown route", method: "GET", path: "/v1.0/nothing", status: 400, contains: []string{`"code":"Request_BadRequest"`}},
	})
}

func TestPagingFollowsAbsoluteNextLinks(t *testing.T) {
	ts := fixture(t, 248) // 250 users
	next := ts.URL + "/v1.0/users?$top=100&$select=id"
	seen := map[string]bool{}
	pages := 0
	for next != "" {
		if !strings.HasPrefix(next, ts.URL+"/v1.0/users?") {
			t.Fatalf("nextLink %q is not absolute on the emulator's host", next)
		}
		resp, err := http.Get(next)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Value    []map[string]any `json:"value"`
			NextLink string           `json:"@odata.nextLink"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		pages++
		for _, u := range body.Value {
			if _, extra := u["displayName"]; extra {
				t.Fatal("$select was not carried over to the next page")
			}
			seen[u["id"].(string)] = true
		}
		next = body.NextLink
	}
	if pages != 3 || len(seen) != 250 {
		t.Fatalf("%d pages, %d distinct users; want 3 pages of 250 users", pages, len(seen))
	}
}

func TestGroupsConformance(t *testing.T) {
	ts := fixture(t, 0)
	run(t, ts, []exchange{
		{name: "create returns 201 with explicit nulls", method: "POST", path: "/v1.0/groups",
			body:   `{"displayName":"Operations","mailEnabled":false,"mailNickname":"operations2019","securityEnabled":true}`,
			status: 201, contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups/$entity"`, `"membershipRule":null`, `"groupTypes":[]`, `"mailNickname":"operations2019"`}},
		{name: "create without mailNickname", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":false,"securityEnabled":true}`, status: 400, contains: []string{"mailNickname"}},
		{name: "create duplicate mailNickname", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":false,"mailNickname":"FINANCE","securityEnabled":true}`, status: 400,
			contains: []string{`Request_MultipleObjectsWithSameKeyValue`}},
		{name: "get group", method: "GET", path: "/v1.0/groups/" + finance, status: 200, contains: []string{`"displayName":"Finance"`}},
		{name: "get missing group", method: "GET", path: "/v1.0/groups/" + bob, status: 404, contains: []string{`Request_ResourceNotFound`}},
		{name: "list members typed", method: "GET", path: "/v1.0/groups/" + finance + "/members", status: 200,
			contains: []string{`"@odata.type":"#microsoft.graph.user"`, alice}, absent: []string{bob}},
		{name: "add member", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref",
			body: `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + bob + `"}`, status: 204},
		{name: "add existing member", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref",
			body: `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + bob + `"}`, status: 400,
			contains: []string{`One or more added object references already exist for the following modified properties: 'members'.`}},
		{name: "add unknown object", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref",
			body: `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-00000000ffff"}`, status: 404},
		{name: "remove member", method: "DELETE", path: "/v1.0/groups/" + finance + "/members/" + bob + "/$ref", status: 204},
		{name: "remove non-member", method: "DELETE", path: "/v1.0/groups/" + finance + "/members/" + bob + "/$ref", status: 404},
		{name: "members after", method: "GET", path: "/v1.0/groups/" + finance + "/members?$select=id", status: 200,
			contains: []string{alice}, absent: []string{bob}},
	})
}

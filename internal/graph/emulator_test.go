package graph

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	abstractions "github.com/microsoft/kiota-abstractions-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
	"github.com/microsoftgraph/msgraph-sdk-go/groups"
	"github.com/microsoftgraph/msgraph-sdk-go/models"
	"github.com/microsoftgraph/msgraph-sdk-go/models/odataerrors"
	"github.com/microsoftgraph/msgraph-sdk-go/users"

	"github.com/entrasync/entrasync/internal/sim"
)

const (
	clientID = "11111111-1111-4111-8111-111111111111"
	secret   = "s3cret"
)

// emulator starts the emulator with a seeded tenant, requiring tokens from
// its own authority, and returns a client authenticated through azidentity.
func emulator(t *testing.T, users int, credential func(a *sim.Authority, tenant string, opts azcore.ClientOptions) (azcore.TokenCredential, error), setup ...func(*sim.State)) (*Client, *sim.Server, *sim.State) {
	t.Helper()
	st := sim.Seed(sim.SeedOptions{Users: users, Groups: 3, MembersPerGroup: 5, Seed: 1})
	st.Apps = []*sim.App{testApp()}
	for _, f := range setup {
		f(st)
	}
	tenant := st.TenantID
	srv, err := sim.NewServer(st, sim.Options{RequireAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	auth, err := srv.StartAuthority("127.0.0.1:0", filepath.Join(t.TempDir(), "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { auth.Close() })
	trusted := auth.Client()
	cred, err := credential(auth, tenant, azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: auth.URL},
		Transport: trusted,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewClient(Config{BaseURL: ts.URL + "/v1.0", Credential: cred})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv, srv.Snapshot()
}

func secretCredential(a *sim.Authority, tenant string, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
	return azidentity.NewClientSecretCredential(tenant, clientID, secret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
}

func TestPagingWithPageIterator(t *testing.T) {
	c, srv, _ := emulator(t, 250, secretCredential)
	ctx := context.Background()
	top := int32(100)
	resp, err := c.Users().Get(ctx, &users.UsersRequestBuilderGetRequestConfiguration{
		QueryParameters: &users.UsersRequestBuilderGetQueryParameters{Top: &top, Select: []string{"id", "userPrincipalName"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	it, err := msgraphcore.NewPageIterator[models.Userable](resp, c.Adapter, models.CreateUserCollectionResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	if err := it.Iterate(ctx, func(u models.Userable) bool {
		seen[*u.GetId()] = true
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 250 {
		t.Fatalf("iterated %d users, want 250", len(seen))
	}
	if st := srv.Stats(); st.HTTPRequests != 3 {
		t.Errorf("%d HTTP requests for 250 users at $top=100, want 3", st.HTTPRequests)
	}
}

func TestBatchAndBind(t *testing.T) {
	c, srv, st := emulator(t, 40, secretCredential)
	ctx := context.Background()
	group := st.Groups[0].ID
	member := func(i int) string { return st.Users[i].ID }
	current := map[string]bool{}
	for _, id := range st.Groups[0].Members {
		current[id] = true
	}
	var fresh []string
	for i := 0; len(fresh) < 21; i++ {
		if !current[member(i)] {
			fresh = append(fresh, member(i))
		}
	}

	// members@odata.bind: 20 in one PATCH.
	patch := models.NewGroup()
	refs := make([]string, 20)
	for i := range refs {
		refs[i] = "https://graph.microsoft.com/v1.0/directoryObjects/" + fresh[i]
	}
	patch.SetAdditionalData(map[string]any{"members@odata.bind": refs})
	if _, err := c.Groups().ByGroupId(group).Patch(ctx, patch, nil); err != nil {
		t.Fatalf("PATCH members@odata.bind: %v", err)
	}

	// $batch: a read, a member add, and a duplicate add that depends on it.
	req := msgraphcore.NewBatchRequest(c.Adapter)
	get, _ := c.Groups().ByGroupId(group).ToGetRequestInformation(ctx, nil)
	add := func() *abstractions.RequestInformation {
		body := models.NewReferenceCreate()
		url := "https://graph.microsoft.com/v1.0/directoryObjects/" + fresh[20]
		body.SetOdataId(&url)
		info, err := c.Groups().ByGroupId(group).Members().Ref().ToPostRequestInformation(ctx, body, nil)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	getItem, _ := req.AddBatchRequestStep(*get)
	addItem, _ := req.AddBatchRequestStep(*add())
	dupItem, _ := req.AddBatchRequestStep(*add())
	dupItem.DependsOnItem(addItem)
	resp, err := req.Send(ctx, c.Adapter)
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	codes := resp.GetStatusCodes()
	if codes[*getItem.GetId()] != 200 || codes[*addItem.GetId()] != 204 || codes[*dupItem.GetId()] != 400 {
		t.Fatalf("batch statuses: %v", codes)
	}
	g, err := msgraphcore.GetBatchResponseById[models.Groupable](resp, *getItem.GetId(), models.CreateGroupFromDiscriminatorValue)
	if err != nil || *g.GetId() != group {
		t.Fatalf("typed batch response: %v %v", g, err)
	}
	members := srv.Snapshot().Groups[0].Members
	if len(members) != 5+21 {
		t.Fatalf("group has %d members, want 26", len(members))
	}
}

func TestDeltaWithMembers(t *testing.T) {
	c, _, st := emulator(t, 40, secretCredential)
	ctx := context.Background()
	resp, err := c.Groups().Delta().GetAsDeltaGetResponse(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	it, err := msgraphcore.NewPageIterator[models.Groupable](resp, c.Adapter, groups.CreateDeltaGetResponseFromDiscriminatorValue)
	if err != nil {
		t.Fatal(err)
	}
	withMembers := 0
	if err := it.Iterate(ctx, func(g models.Groupable) bool {
		if d := g.GetAdditionalData()["members@delta"]; d != nil {
			data, _ := json.Marshal(d)
			if strings.Count(string(data), "#microsoft.graph.user") == 5 {
				withMembers++
			}
		}
		return true
	}); err != nil {
		t.Fatal(err)
	}
	if withMembers != len(st.Groups) {
		t.Fatalf("%d groups carried 5 members@delta entries, want %d", withMembers, len(st.Groups))
	}
}

func TestODataErrorMapping(t *testing.T) {
	c, _, _ := emulator(t, 5, secretCredential)
	_, err := c.Groups().ByGroupId("00000000-0000-4000-8000-00000000ffff").Get(context.Background(), nil)
	var odataErr *odataerrors.ODataError
	if !errors.As(err, &odataErr) {
		t.Fatalf("error %T %v is not an ODataError", err, err)
	}
	if odataErr.ResponseStatusCode != 404 || *odataErr.GetErrorEscaped().GetCode() != "Request_ResourceNotFound" {
		t.Fatalf("mapped to %d %s", odataErr.ResponseStatusCode, *odataErr.GetErrorEscaped().GetCode())
	}
}

// The SDK's retry handler honours the emulator's 429 and Retry-After.
func TestThrottledRequestIsRetried(t *testing.T) {
	c, srv, _ := emulator(t, 5, secretCredential)
	// 20 RU per 10 s: ten listings drain it; the eleventh waits a second.
	throttle, ru := true, 20.0
	srv.Configure(sim.Config{Throttle: &throttle, ResourceUnits: &ru})
	for i := 0; i < 11; i++ {
		if _, err := c.Users().Get(context.Background(), nil); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if st := srv.Stats(); st.Throttled == 0 {
		t.Fatal("nothing was throttled; the test did not exercise a retry")
	}
}

// azidentity's client assertion path (workload identity, GitHub OIDC)
// against the emulator's token endpoint.
func TestClientAssertionCredential(t *testing.T) {
	c, _, _ := emulator(t, 5, func(a *sim.Authority, tenant string, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
		return azidentity.NewClientAssertionCredential(tenant, clientID, func(context.Context) (string, error) {
			return appSigner().Sign(map[string]any{"iss": clientID, "sub": clientID,
				"aud": a.URL + tenant + "/oauth2/v2.0/token", "exp": time.Now().Add(5 * time.Minute).Unix()})
		}, &azidentity.ClientAssertionCredentialOptions{ClientOptions: opts, DisableInstanceDiscovery: true})
	})
	if _, err := c.Users().Get(context.Background(), nil); err != nil {
		t.Fatalf("with an assertion-backed token: %v", err)
	}
}

func TestNewClientRejectsRelativeURL(t *testing.T) {
	if _, err := NewClient(Config{BaseURL: "v1.0"}); err == nil {
		t.Fatal("relative base URL accepted")
	}
}

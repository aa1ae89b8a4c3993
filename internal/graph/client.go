package graph

import (
	"errors"
	"net/http"
	"net/url"
	"sync/atomic"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	kauth "github.com/microsoft/kiota-abstractions-go/authentication"
	msgraphsdk "github.com/microsoftgraph/msgraph-sdk-go"
	coreauth "github.com/microsoftgraph/msgraph-sdk-go-core/authentication"

	"github.com/entrasync/entrasync/internal/entra"
)

// DefaultBaseURL is Microsoft Graph v1.0.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// Config says where Graph is and how to authenticate.
type Config struct {
	// BaseURL of Graph v1.0; DefaultBaseURL when empty. The emulator's is
	// http://127.0.0.1:PORT/v1.0.
	BaseURL string
	// Credential obtains tokens (client secret, certificate, workload
	// identity, managed identity). Nil sends no Authorization header.
	Credential azcore.TokenCredential
	// Transport carries the requests beneath the SDK's middleware (retry,
	// compression, telemetry); nil uses http.DefaultTransport.
	Transport http.RoundTripper
}

// Client is a Graph client and the request adapter behind it (batching and
// page iteration need the adapter).
type Client struct {
	*msgraphsdk.GraphServiceClient
	Adapter *msgraphsdk.GraphRequestAdapter
	// roundTrips counts HTTP round trips; batched and batchItems, the
	// $batch round trips and the requests they carried.
	roundTrips, batched, batchItems atomic.Int64
}

// Traffic reports what the client sent so far.
func (c *Client) Traffic() entra.Traffic {
	rt := c.roundTrips.Load()
	return entra.Traffic{RoundTrips: rt, Requests: rt - c.batched.Load() + c.batchItems.Load()}
}

// NewClient builds a client for cfg.
func NewClient(cfg Config) (*Client, error) {
	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return nil, errors.New("graph: base URL must be absolute, like " + DefaultBaseURL)
	}
	var auth kauth.AuthenticationProvider = &kauth.AnonymousAuthenticationProvider{}
	if cfg.Credential != nil {
		// Scopes are explicit: without them the provider derives a scope
		// from the request host, which is wrong for an emulator. The host
		// must be allowed, or the provider silently sends no token
		// (msgraph-sdk-go's retry handler).
		auth, err = coreauth.NewAzureIdentityAuthenticationProviderWithScopesAndValidHosts(
			cfg.Credential, []string{"https://graph.microsoft.com/.default"}, []string{u.Hostname()})
		if err != nil {
			return nil, err
		}
	}
	c := &Client{}
	hc := defaultHTTPClient(cfg.Transport, &c.roundTrips)
	adapter, err := msgraphsdk.NewGraphRequestAdapterWithParseNodeFactoryAndSerializationWriterFactoryAndHttpClient(auth, nil, nil, hc)
	if err != nil {
		return nil, err
	}
	// Before NewGraphServiceClient: it captures the base URL (msgraph-sdk-go's request adapter).
	adapter.SetBaseUrl(base)
	c.GraphServiceClient, c.Adapter = msgraphsdk.NewGraphServiceClient(adapter), adapter
	return c, nil
}

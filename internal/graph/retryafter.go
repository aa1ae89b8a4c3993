package graph

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	khttp "github.com/microsoft/kiota-http-go"
	msgraphcore "github.com/microsoftgraph/msgraph-sdk-go-core"
)

// roundUpRetryAfter sits beneath the SDK's middleware and rounds a
// fractional Retry-After up to whole seconds.
//
// Graph sends fractional values ("Retry-After: 2.128", Graph's throttling guide),
// and kiota-http-go's retry handler computes
// time.Duration(seconds) * time.Second, which truncates: 0.99 becomes an
// immediate retry, the bucket has not refilled, and three such retries
// exhaust the handler (kiota-http-go's retry handler). Rounding up makes every retry wait at least
// as long as Graph asked.
type roundUpRetryAfter struct {
	next http.RoundTripper
}

func (t roundUpRetryAfter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp == nil {
		return resp, err
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if f, perr := strconv.ParseFloat(v, 64); perr == nil && f != math.Trunc(f) {
			resp.Header.Set("Retry-After", strconv.FormatFloat(math.Ceil(f), 'f', 0, 64))
		}
	}
	return resp, nil
}

// ownBody gives each attempt a private copy of the request body.
// kiota-http-go's retry handler rewinds and resends the same body reader;
// when a connection dies while net/http is still writing the failed
// attempt's body, that write loop and the retry read the one reader at
// once (a data race the race detector found under the emulator's injected
// connection resets).
type ownBody struct {
	next http.RoundTripper
}

func (t ownBody) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
	}
	data, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	own := req.Clone(req.Context())
	own.Body = io.NopCloser(bytes.NewReader(data))
	own.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	own.ContentLength = int64(len(data))
	return t.next.RoundTrip(own)
}

// defaultHTTPClient is the Graph SDK's default client (telemetry, retry,
// redirect, compression, …) over a transport that rounds Retry-After up
// and gives each attempt its own body.
func defaultHTTPClient(base http.RoundTripper, counter *atomic.Int64) *http.Client {
	if base == nil {
		base = http.DefaultTransport
	}
	base = countRoundTrips{next: base, n: counter}
	middleware := msgraphcore.GetDefaultMiddlewaresWithOptions(&msgraphcore.GraphClientOptions{})
	return &http.Client{
		Transport: khttp.NewCustomTransportWithParentTransport(ownBody{next: roundUpRetryAfter{next: keepRawBodies{next: base}}}, middleware...),
		// As the SDK's own default client: redirects are the middleware's
		// business, and no request hangs forever.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       100 * time.Second,
	}
}

// countRoundTrips counts the HTTP round trips that reach the network,
// retries included, so a command can report them against Graph's bound.
type countRoundTrips struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countRoundTrips) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

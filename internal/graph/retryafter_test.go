package graph

import (
	"net/http"
	"testing"
)

type fixedResponse struct{ retryAfter string }

func (f fixedResponse) RoundTrip(*http.Request) (*http.Response, error) {
	h := http.Header{}
	if f.retryAfter != "" {
		h.Set("Retry-After", f.retryAfter)
	}
	return &http.Response{StatusCode: 429, Header: h, Body: http.NoBody}, nil
}

func TestRoundUpRetryAfter(t *testing.T) {
	for in, want := range map[string]string{
		"0.99": "1", "2.128": "3", "1": "1", "120": "120", "": "",
		"Wed, 21 Oct 2026 07:28:00 GMT": "Wed, 21 Oct 2026 07:28:00 GMT",
	} {
		resp, err := roundUpRetryAfter{next: fixedResponse{in}}.RoundTrip(&http.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Retry-After"); got != want {
			t.Errorf("Retry-After %q became %q, want %q", in, got, want)
		}
	}
}

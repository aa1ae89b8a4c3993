package sim

import (
	"net/http/httptest"
	"os"
	"testing"
)

func newTestServer(t *testing.T, s *Server) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }

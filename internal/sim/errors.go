package sim

import (
	"encoding/json"
	"net/http"
	"time"
)

// graphError is Graph's error body (Graph's error response guide): the key is spelled
// innerError, and date has no zone suffix and no fractional seconds.
type graphError struct {
	Error struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		InnerError struct {
			Date            string `json:"date"`
			RequestID       string `json:"request-id"`
			ClientRequestID string `json:"client-request-id,omitempty"`
		} `json:"innerError"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	var e graphError
	e.Error.Code = code
	e.Error.Message = message
	e.Error.InnerError.Date = time.Now().UTC().Format("2006-01-02T15:04:05")
	e.Error.InnerError.RequestID = w.Header().Get("request-id")
	e.Error.InnerError.ClientRequestID = r.Header.Get("client-request-id")
	writeJSON(w, status, e)
}

// notFound is Request_ResourceNotFound with Graph's message (Graph docs: Error responses).
func notFound(w http.ResponseWriter, r *http.Request, id string) {
	writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound",
		"Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	// Graph writes & and < literally in links and values.
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

package sim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/entrasync/entrasync/internal/odata"
)

// listQuery holds the query options of a collection request.
type listQuery struct {
	top    int
	skip   int // decoded from $skiptoken
	filter odata.Expr
	sel    []string
}

const defaultPageSize = 100 // GET /users returns 100 by default (§1.1)

// parseList reads $top, $skiptoken, $filter and $select; it writes the
// error response itself and returns false when the query is invalid.
func parseList(w http.ResponseWriter, r *http.Request) (listQuery, bool) {
	q := r.URL.Query()
	lq := listQuery{top: defaultPageSize}
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			// §1.1: $top is 1–999.
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
				fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", v))
			return lq, false
		}
		lq.top = n
	}
	if v := q.Get("$skiptoken"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 {
			writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid skip token.")
			return lq, false
		}
		lq.skip = n
	}
	if v := q.Get("$filter"); v != "" {
		e, err := odata.Parse(v)
		if err != nil {
			writeError(w, r, http.StatusBadRequest, "Request_UnsupportedQuery", "Invalid filter clause: "+err.Error())
			return lq, false
		}
		lq.filter = e
	}
	if v := q.Get("$select"); v != "" {
		for _, p := range strings.Split(v, ",") {
			lq.sel = append(lq.sel, strings.TrimSpace(p))
		}
	}
	return lq, true
}

// page writes one page of items and an absolute nextLink carrying every
// original query option when more remain (§1.1 paging semantics).
func page(w http.ResponseWriter, r *http.Request, lq listQuery, context string, items []map[string]any) {
	end := min(lq.skip+lq.top, len(items))
	start := min(lq.skip, len(items))
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#" + context, "value": items[start:end]}
	if end < len(items) {
		q := r.URL.Query()
		q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))))
		body["@odata.nextLink"] = baseURL(r) + strings.TrimPrefix(r.URL.Path, "/v1.0") + "?" + encodeQuery(q)
	}
	writeJSON(w, http.StatusOK, body)
}

// encodeQuery keeps $ unescaped in option names, as Graph's links do.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%24", "$")
}

// project applies $select to an object's full property map, or returns
// the default property set when there is no $select.
func project(all map[string]any, sel, defaults []string) map[string]any {
	keys := sel
	if len(keys) == 0 {
		keys = defaults
	}
	out := make(map[string]any, len(keys)+1)
	for _, k := range keys {
		// Unset properties come back as explicit nulls (§13).
		out[k] = all[k]
	}
	if t, ok := all["@odata.type"]; ok && len(sel) == 0 {
		out["@odata.type"] = t
	}
	return out
}

// selectItems keeps the objects matching $filter and projects each to
// $select (or the default property set).
func selectItems(lq listQuery, all []map[string]any, defaults []string) []map[string]any {
	items := []map[string]any{}
	for _, p := range all {
		if lq.filter != nil && !match(lq.filter, p, nil) {
			continue
		}
		items = append(items, project(p, lq.sel, defaults))
	}
	return items
}

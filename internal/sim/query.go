package sim

import (
	"cmp"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/entrasync/entrasync/internal/odata"
)

// listQuery holds the query options of a collection request.
type listQuery struct {
	top      int
	skip     int // decoded from $skiptoken
	filter   odata.Expr
	sel      []string
	expand   []expansion
	orderBy  string
	count    bool // $count=true with ConsistencyLevel: eventual
	advanced bool
	search   searchQuery
}

// expansion is one item of $expand: a navigation property and the
// options nested in it, as in members($select=id,displayName) or
// extensions($filter=id eq 'Com.Contoso.Referral').
type expansion struct {
	prop   string
	sel    []string
	filter odata.Expr // open extensions only
}

// expanding returns the $expand item for prop.
func (lq listQuery) expanding(prop string) (expansion, bool) {
	for _, e := range lq.expand {
		if e.prop == prop {
			return e, true
		}
	}
	return expansion{}, false
}

// keeps reports whether an object passes $filter and $search.
func (lq listQuery) keeps(props map[string]any) bool {
	return (lq.filter == nil || match(lq.filter, props, nil)) && (lq.search == nil || lq.search.matches(props))
}

const defaultPageSize = 100 // list endpoints page at 100 by default (Graph docs: Paging; List group members)

// maxInValues is the default limit on values in a filter's in (…) clause
// (Graph's known issues: query parameter limits).
const maxInValues = 15

// isAdvanced reports an advanced query: ConsistencyLevel: eventual and
// $count=true (Graph's advanced query capabilities guide).
func isAdvanced(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") && r.URL.Query().Get("$count") == "true"
}

// parseList reads the query options; it writes the error response itself
// and returns false when the query is invalid.
func parseList(w http.ResponseWriter, r *http.Request) (listQuery, bool) {
	q := r.URL.Query()
	lq := listQuery{top: defaultPageSize, advanced: isAdvanced(r)}
	bad := func(code, msg string) (listQuery, bool) {
		writeError(w, r, http.StatusBadRequest, code, msg)
		return lq, false
	}
	if v := q.Get("$top"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 999 {
			return bad("Request_BadRequest", fmt.Sprintf("Invalid page size specified: '%s'. Must be between 1 and 999 inclusive.", v))
		}
		lq.top = n
	}
	if v := q.Get("$skiptoken"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		n, err2 := strconv.Atoi(string(raw))
		if err != nil || err2 != nil || n < 0 {
			return bad("Request_BadRequest", "Invalid skip token.")
		}
		lq.skip = n
	}
	if q.Get("$skip") != "" {
		// Directory collections do not support $skip (Graph docs: Paging).
		return bad("Request_BadRequest", "'$skip' is not supported by the service.")
	}
	if v := q.Get("$count"); v != "" {
		if v != "true" && v != "false" {
			return bad("Request_BadRequest", "Invalid value for $count.")
		}
		if v == "true" && !strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") {
			return bad("Request_BadRequest", "$count is not currently supported.")
		}
		lq.count = v == "true"
	}
	if v := q.Get("$search"); v != "" {
		if !strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") {
			return bad("Request_UnsupportedQuery", searchNeedsEventual)
		}
		sq, msg := parseSearch(v)
		if msg != "" {
			return bad("Request_BadRequest", msg)
		}
		lq.search = sq
	}
	if v := q.Get("$filter"); v != "" {
		e, err := odata.Parse(v)
		if err != nil {
			return bad("Request_UnsupportedQuery", "Invalid filter clause: "+err.Error())
		}
		if msg := advancedOnly(e, lq.advanced); msg != "" {
			return bad("Request_UnsupportedQuery", msg)
		}
		lq.filter = e
	}
	if v := q.Get("$orderby"); v != "" {
		prop, dir, _ := strings.Cut(strings.TrimSpace(v), " ")
		if dir != "" && dir != "asc" && dir != "desc" {
			return bad("Request_BadRequest", "Invalid $orderby direction: "+dir)
		}
		if lq.filter != nil && !lq.advanced {
			return bad("Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
		if !lq.advanced && prop != "displayName" && prop != "userPrincipalName" {
			return bad("Request_UnsupportedQuery", "Sorting not supported for current query.")
		}
		lq.orderBy = v
	}
	if v := q.Get("$select"); v != "" {
		for _, p := range strings.Split(v, ",") {
			lq.sel = append(lq.sel, strings.TrimSpace(p))
		}
	}
	if v := q.Get("$expand"); v != "" {
		for _, item := range splitOutsideParens(v) {
			e, msg := parseExpansion(item)
			if msg != "" {
				return bad("Request_BadRequest", msg)
			}
			lq.expand = append(lq.expand, e)
		}
	}
	return lq, true
}

// parseExpansion reads one $expand item. Directory objects take only a
// nested $select, and one level of expansion (Graph's known issues: "Some
// limitations apply to query parameters", $expand on relationships of
// directory objects; the property's documentation: "Supports $expand
// including nested $select"). Open extensions take a nested $filter
// instead, on their id (Get open extension: "a known resource instance
// expanded with a matching extension").
func parseExpansion(item string) (expansion, string) {
	name, nested, hasNested := strings.Cut(strings.TrimSpace(item), "(")
	e := expansion{prop: strings.TrimSpace(name)}
	if !hasNested {
		return e, ""
	}
	nested, closed := strings.CutSuffix(strings.TrimSpace(nested), ")")
	if !closed || e.prop == "" {
		return e, "Invalid $expand item: " + item
	}
	for _, opt := range strings.Split(nested, ";") {
		key, val, _ := strings.Cut(strings.TrimSpace(opt), "=")
		switch {
		case key == "":
		case key == "$select":
			for _, p := range strings.Split(val, ",") {
				e.sel = append(e.sel, strings.TrimSpace(p))
			}
		case key == "$filter" && e.prop == "extensions":
			f, err := odata.Parse(val)
			if err != nil {
				return e, "Invalid filter clause in $expand of 'extensions': " + err.Error()
			}
			e.filter = f
		default:
			return e, "Query option '" + key + "' is not allowed inside $expand of '" + e.prop + "'; only $select is."
		}
	}
	return e, ""
}

// splitOutsideParens splits a comma-separated option at the commas that
// are not inside parentheses: members($select=id,displayName),owners.
func splitOutsideParens(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range v {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}

// advancedOnly returns the error for filter features that need an
// advanced query (ne, not, endsWith; Graph docs: Advanced query capabilities), or for an in (…) list longer
// than the default limit (Graph known issues: query parameter limits).
func advancedOnly(e odata.Expr, advanced bool) string {
	var msg string
	odata.Walk(e, func(x odata.Expr) bool {
		if msg != "" {
			return false
		}
		op := ""
		switch x := x.(type) {
		case *odata.Not:
			op = "Not"
		case *odata.Compare:
			if x.Op == "ne" {
				op = "ne"
			}
		case *odata.Call:
			if x.Name == "endswith" {
				op = "endsWith"
			}
		case *odata.In:
			if len(x.Values) > maxInValues && !advanced {
				msg = fmt.Sprintf("Too many child clauses specified in search filter expression containing 'OR' operators: %d. Max allowed: %d.", len(x.Values), maxInValues)
			}
		}
		if op != "" && !advanced {
			msg = fmt.Sprintf("Operator '%s' is not supported because the required parameters might be missing. Try adding $count with a value of true and setting the ConsistencyLevel header to eventual.", op)
		}
		return true
	})
	return msg
}

// page writes one page of items and an absolute nextLink carrying every
// original query option when more remain (Graph docs: Paging).
// @odata.count appears on the first page of an advanced query only.
func page(w http.ResponseWriter, r *http.Request, lq listQuery, context string, items []map[string]any) {
	start, end := window(lq, len(items))
	writePage(w, r, lq, context, items[start:end], len(items))
}

// window is the index range of the current page in a collection of n.
func window(lq listQuery, n int) (start, end int) {
	return min(lq.skip, n), min(lq.skip+lq.top, n)
}

// writePage writes a page that is already cut out of a collection of total.
func writePage(w http.ResponseWriter, r *http.Request, lq listQuery, context string, items []map[string]any, total int) {
	context += lq.contextSelection(items...)
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#" + context, "value": items}
	if lq.count && lq.skip == 0 {
		body["@odata.count"] = total
	}
	if end := lq.skip + len(items); end < total {
		q := r.URL.Query()
		q.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end))))
		body["@odata.nextLink"] = baseURL(r) + strings.TrimPrefix(r.URL.Path, "/v1.0") + "?" + encodeQuery(q)
	}
	writeJSON(w, http.StatusOK, body)
}

// filterOnly are properties a $filter reads that no answer carries, even
// when selected (Graph docs: List groups: hasMembersWithLicenseErrors "is
// not returned in the $select query").
var filterOnly = map[string]bool{"hasMembersWithLicenseErrors": true}

// canonicalKey is the key of m that name names in any case (Graph's
// $select is case-insensitive: List deleted items, example 2, selects
// DisplayName and gets displayName), or name itself.
func canonicalKey(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// contextSelection is what @odata.context adds after the entity set for
// $select: the properties selected, as asked, then each expanded one
// with "()" (Graph docs: List group members, example 4:
// $metadata#users(displayName,id); List groups, example 7:
// $metadata#groups(id,assignedLicenses,members())), spelled as sample,
// an item of the answer, spells them. Without $select it adds nothing.
func (lq listQuery) contextSelection(sample ...map[string]any) string {
	if len(lq.sel) == 0 {
		return ""
	}
	names := slices.Clone(lq.sel)
	if len(sample) > 0 {
		for i, n := range names {
			names[i] = canonicalKey(sample[0], n)
		}
	}
	for _, e := range lq.expand {
		names = append(names, e.prop+"()")
	}
	return "(" + strings.Join(names, ",") + ")"
}

// encodeQuery keeps $ unescaped in option names, as Graph's links do.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "%24", "$")
}

// project applies $select to an object's full property map, or returns
// the default property set when there is no $select. id always comes back.
func project(all map[string]any, sel, defaults []string) map[string]any {
	keys, asked := sel, len(sel) > 0
	if !asked {
		keys = defaults
	}
	out := make(map[string]any, len(keys)+2)
	for _, k := range keys {
		// Unset properties come back as explicit nulls (as Graph v1.0
		// answers), under their own spelling whatever case $select used.
		if asked {
			k = canonicalKey(all, k) // the defaults are spelled right
		}
		if !filterOnly[k] {
			out[k] = all[k]
		}
	}
	out["id"] = all["id"]
	if t, ok := all["@odata.type"]; ok {
		out["@odata.type"] = t
	}
	return out
}

// selectItems keeps the objects matching $filter and $search, orders them by
// $orderby, and projects each to $select (or the default property set).
func selectItems(lq listQuery, all []map[string]any, defaults []string) []map[string]any {
	kept := filterSort(lq, all)
	items := make([]map[string]any, len(kept))
	for i, p := range kept {
		items[i] = project(p, lq.sel, defaults)
	}
	return items
}

// filterSort keeps the objects matching $filter and $search, in $orderby's
// order.
func filterSort(lq listQuery, all []map[string]any) []map[string]any {
	var kept []map[string]any
	for _, p := range all {
		if lq.keeps(p) {
			kept = append(kept, p)
		}
	}
	if lq.orderBy != "" {
		prop, dir, _ := strings.Cut(lq.orderBy, " ")
		slices.SortStableFunc(kept, func(a, b map[string]any) int {
			c := cmp.Compare(strings.ToLower(fmt.Sprint(a[prop])), strings.ToLower(fmt.Sprint(b[prop])))
			if dir == "desc" {
				return -c
			}
			return c
		})
	}
	return kept
}

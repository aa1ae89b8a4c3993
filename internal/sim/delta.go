package sim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/odata"
)

// Delta query for users and groups (Graph's user-delta and group-delta).
//
// A delta token is a position in the tenant's change sequence plus the
// $select of the first call. The first round returns every object; later
// rounds return what changed after the token. The pages of one round are
// computed when the round starts and handed out through $skiptoken, so a
// round is a consistent snapshot.

const (
	deltaPageItems   = 100  // objects per page
	deltaPageRefs    = 1000 // members@delta entries per page
	deltaMemberChunk = 500  // a larger group is split over several items (Graph docs: group: delta)
	deltaTokenTTL    = 7 * 24 * time.Hour
	maxDeltaIDs      = 50 // $filter on delta: at most 50 ids (Graph docs: user: delta)
	maxCursors       = 256
)

type deltaToken struct {
	Seq    uint64 `json:"s"`
	Issued int64  `json:"t"`
	Select string `json:"sel,omitempty"`
	IDs    string `json:"ids,omitempty"`
}

type deltaCursor struct {
	pages     [][]map[string]any
	deltaLink string
}

func (s *Server) routeDelta() {
	for _, kind := range []string{"users", "groups"} {
		h := s.delta(kind)
		// /delta is shorthand for /microsoft.graph.delta; SDKs send the
		// long form (Graph docs: user: delta).
		s.mux.HandleFunc("GET /v1.0/"+kind+"/delta", h)
		s.mux.HandleFunc("GET /v1.0/"+kind+"/microsoft.graph.delta", h)
		s.mux.HandleFunc("GET /v1.0/"+kind+"/delta()", h)
		s.mux.HandleFunc("GET /v1.0/"+kind+"/microsoft.graph.delta()", h)
	}
}

// propertyChanges is, for delta's Prefer: return=minimal, the change at
// which each property of an object last changed. Tracking starts with the
// first update the emulator sees (base is the object's change before it),
// so a delta from before base still returns every property.
type propertyChanges struct {
	base uint64
	at   map[string]uint64
}

// record notes the properties that differ between before and after as
// changed at seq; prev is the object's change before this one.
func (c *propertyChanges) record(prev uint64, before, after map[string]any, seq uint64) {
	if c.at == nil {
		c.base, c.at = prev, map[string]uint64{}
	}
	for k, v := range after {
		if !reflect.DeepEqual(before[k], v) {
			c.at[k] = seq
		}
	}
	for k := range before {
		if _, kept := after[k]; !kept {
			c.at[k] = seq // cleared: null is news too
		}
	}
}

// reset forgets what changed: after a restore every property is news.
func (c *propertyChanges) reset() { *c = propertyChanges{} }

// since reports whether prop may have changed after the change since.
func (c *propertyChanges) since(prop string, since uint64) bool {
	return c.at == nil || since < c.base || c.at[prop] > since
}

// minimal keeps of body only id and what changed after since (Graph docs:
// group: delta, "Alternative: return only the changed properties").
func minimal(body map[string]any, c propertyChanges, since uint64) map[string]any {
	for k := range body {
		if k != "id" && !c.since(k, since) {
			delete(body, k)
		}
	}
	return body
}

// prefersMinimal reports Prefer: return=minimal among the request's
// preferences.
func prefersMinimal(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			if strings.EqualFold(strings.ReplaceAll(strings.TrimSpace(p), " ", ""), "return=minimal") {
				return true
			}
		}
	}
	return false
}

func encodeToken(t deltaToken) string {
	data, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(data)
}

func decodeToken(s string) (deltaToken, bool) {
	var t deltaToken
	data, err := base64.RawURLEncoding.DecodeString(s)
	return t, err == nil && json.Unmarshal(data, &t) == nil
}

func (s *Server) delta(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		link := baseURL(r) + "/" + kind + "/delta"
		if st := q.Get("$skiptoken"); st != "" {
			s.deltaPage(w, r, kind, st)
			return
		}
		if kind == "groups" {
			s.refreshAllDynamic()
		}
		for _, opt := range []string{"$top", "$orderby", "$expand"} {
			if q.Get(opt) != "" {
				writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "The query option '"+opt+"' is not supported with delta.")
				return
			}
		}
		tok := deltaToken{Select: q.Get("$select")}
		if f := q.Get("$filter"); f != "" {
			ids, msg := deltaFilterIDs(f)
			if msg != "" {
				writeError(w, r, http.StatusBadRequest, "Request_UnsupportedQuery", msg)
				return
			}
			tok.IDs = strings.Join(ids, ",")
		}
		switch dt := q.Get("$deltatoken"); {
		case dt == "latest":
			// "Sync from now": only a deltaLink (Graph docs: user: delta).
			tok.Seq, tok.Issued = s.t.seq, s.opts.Now().Unix()
			writeJSON(w, http.StatusOK, map[string]any{
				"@odata.context":   "https://graph.microsoft.com/v1.0/$metadata#" + kind,
				"@odata.deltaLink": link + "?$deltatoken=" + encodeToken(tok), "value": []any{}})
			return
		case dt != "":
			prev, ok := decodeToken(dt)
			if !ok {
				writeError(w, r, http.StatusBadRequest, "syncStateNotFound", "The delta token is not valid.")
				return
			}
			if s.opts.Now().Sub(time.Unix(prev.Issued, 0)) > deltaTokenTTL {
				// An expired token means a full resync; Location starts it (Graph docs: user: delta).
				w.Header().Set("Location", link)
				writeError(w, r, http.StatusGone, "syncStateNotFound", "The delta token has expired; start a new sync.")
				return
			}
			tok = prev
		}
		since := tok.Seq
		// The preference is the request's, not the token's: it may
		// come and go between rounds.
		entries := s.deltaEntries(kind, since, tok, since > 0 && prefersMinimal(r))
		tok.Seq, tok.Issued = s.t.seq, s.opts.Now().Unix()
		cur := &deltaCursor{pages: paginateDelta(entries), deltaLink: link + "?$deltatoken=" + encodeToken(tok)}
		id := newID()
		if len(s.cursors) >= maxCursors {
			clear(s.cursors)
		}
		s.cursors[id] = cur
		s.deltaPage(w, r, kind, id+".0")
	}
}

// deltaFilterIDs accepts only id eq '…' clauses joined by or, at most 50.
func deltaFilterIDs(f string) ([]string, string) {
	e, err := odata.Parse(f)
	if err != nil {
		return nil, "Invalid filter clause: " + err.Error()
	}
	var ids []string
	var walk func(odata.Expr) bool
	walk = func(e odata.Expr) bool {
		switch x := e.(type) {
		case *odata.Logical:
			return x.Op == "or" && walk(x.L) && walk(x.R)
		case *odata.Compare:
			p, okP := x.L.(odata.Property)
			l, okL := x.R.(odata.Literal)
			if okP && okL && x.Op == "eq" && p.String() == "id" {
				ids = append(ids, lower(l.Value))
				return true
			}
		}
		return false
	}
	if !walk(e) {
		return nil, "Delta supports only $filter=id eq '…' clauses joined by or."
	}
	if len(ids) > maxDeltaIDs {
		return nil, fmt.Sprintf("Delta $filter supports at most %d ids.", maxDeltaIDs)
	}
	return ids, ""
}

func (s *Server) deltaPage(w http.ResponseWriter, r *http.Request, kind, skip string) {
	id, idx, _ := strings.Cut(skip, ".")
	cur := s.cursors[id]
	var n int
	if _, err := fmt.Sscan(idx, &n); err != nil || cur == nil || n >= len(cur.pages) {
		writeError(w, r, http.StatusBadRequest, "syncStateNotFound", "The skip token is not valid or has expired.")
		return
	}
	body := map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#" + kind, "value": cur.pages[n]}
	if n+1 < len(cur.pages) {
		body["@odata.nextLink"] = fmt.Sprintf("%s/%s/delta?$skiptoken=%s.%d", baseURL(r), kind, id, n+1)
	} else {
		body["@odata.deltaLink"] = cur.deltaLink
		delete(s.cursors, id)
	}
	writeJSON(w, http.StatusOK, body)
}

// paginateDelta cuts entries into pages of at most deltaPageItems objects
// and deltaPageRefs member entries (at least one object per page).
func paginateDelta(entries []map[string]any) [][]map[string]any {
	pages := [][]map[string]any{{}}
	refs := 0
	for _, e := range entries {
		n := 0
		if m, ok := e["members@delta"].([]map[string]any); ok {
			n = len(m)
		}
		last := pages[len(pages)-1]
		if len(last) > 0 && (len(last) >= deltaPageItems || refs+n > deltaPageRefs) {
			pages = append(pages, nil)
			refs = 0
		}
		pages[len(pages)-1] = append(pages[len(pages)-1], e)
		refs += n
	}
	return pages
}

func (s *Server) deltaEntries(kind string, since uint64, tok deltaToken, onlyChanged bool) []map[string]any {
	var sel []string
	if tok.Select != "" {
		for _, p := range strings.Split(tok.Select, ",") {
			sel = append(sel, strings.TrimSpace(p))
		}
	}
	only := map[string]bool{}
	for _, id := range strings.Split(tok.IDs, ",") {
		if id != "" {
			only[id] = true
		}
	}
	wanted := func(id string) bool { return len(only) == 0 || only[lower(id)] }
	var out []map[string]any
	if kind == "users" {
		for _, id := range s.t.userOrder {
			if u := s.t.users[id]; u.seq > since && wanted(id) {
				body := project(u.props(), sel, defaultUserProperties)
				if onlyChanged {
					body = minimal(body, u.changes, since)
				}
				out = append(out, body)
			}
		}
	} else {
		trackMembers := len(sel) == 0 || slices.Contains(sel, "members")
		propSel := slices.DeleteFunc(slices.Clone(sel), func(p string) bool { return p == "members" })
		for _, id := range s.t.groupOrder {
			g := s.t.groups[id]
			if !wanted(id) {
				continue
			}
			var changes []map[string]any
			if trackMembers {
				changes = s.memberDelta(g, since)
			}
			if g.seq <= since && len(changes) == 0 {
				continue
			}
			body := project(g.props(), propSel, defaultGroupProperties)
			if onlyChanged {
				body = minimal(body, g.changes, since)
			}
			if !trackMembers {
				out = append(out, body)
				continue
			}
			// A large membership is split over consecutive items of the
			// same group; clients merge them by id (Graph docs: group: delta).
			for start := 0; start == 0 || start < len(changes); start += deltaMemberChunk {
				item := body
				if start > 0 {
					item = map[string]any{"id": g.ID}
				}
				item["members@delta"] = changes[start:min(start+deltaMemberChunk, len(changes))]
				out = append(out, item)
			}
		}
	}
	if since > 0 {
		for _, ts := range s.t.tombstones {
			// An object restored since is live again: its current
			// state is in the round, and a removal after it would
			// tell the client it is gone.
			if ts.seq > since && ts.kind+"s" == kind && wanted(ts.id) && !s.live(kind, ts.id) {
				out = append(out, map[string]any{"id": ts.id, "@removed": map[string]any{"reason": ts.reason}})
			}
		}
	}
	return out
}

// live reports whether the user or group id exists now.
func (s *Server) live(kind, id string) bool {
	if kind == "users" {
		_, ok := s.t.users[lower(id)]
		return ok
	}
	_, ok := s.t.groups[lower(id)]
	return ok
}

// memberDelta is members@delta: every member on the first round; later,
// the net change per member since the token, removals marked @removed
// with reason "deleted" (Graph docs: group: delta).
func (s *Server) memberDelta(g *Group, since uint64) []map[string]any {
	ref := func(id string) map[string]any {
		typ := "#microsoft.graph.user"
		if _, t, ok := s.t.object(id); ok {
			typ = t
		}
		return map[string]any{"@odata.type": typ, "id": id}
	}
	out := []map[string]any{}
	if since == 0 {
		for _, id := range s.memberIDs(g) {
			out = append(out, ref(id))
		}
		return out
	}
	last := map[string]bool{} // id -> removed, latest change wins
	var order []string
	for i := len(g.memberLog) - 1; i >= 0 && g.memberLog[i].seq > since; i-- {
		c := g.memberLog[i]
		if _, seen := last[c.id]; !seen {
			last[c.id] = c.removed
			order = append(order, c.id)
		}
	}
	slices.Sort(order)
	for _, id := range order {
		e := ref(id)
		if last[id] {
			e["@removed"] = map[string]any{"reason": "deleted"}
		}
		out = append(out, e)
	}
	return out
}

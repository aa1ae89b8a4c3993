package sim

import (
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// throttle implements the identity-service token buckets of
// Graph's throttling limits, identity and access service for one application + tenant pair: resource units per
// 10 s (3,500 / 5,000 / 8,000 by tenant size) and writes per 150 s (3,000).
type throttle struct {
	enabled   bool
	now       func() time.Time
	ru, write bucket
}

type bucket struct {
	capacity, level, perSecond float64
	at                         time.Time
}

func newThrottle(o Options, users int, now func() time.Time) *throttle {
	ru := 8000.0
	switch {
	case users < 50:
		ru = 3500
	case users <= 500:
		ru = 5000
	}
	if o.ResourceUnits > 0 {
		ru = o.ResourceUnits
	}
	writes := 3000.0
	if o.Writes > 0 {
		writes = o.Writes
	}
	t0 := now()
	return &throttle{
		enabled: o.Throttle, now: now,
		ru:    bucket{capacity: ru, level: ru, perSecond: ru / 10, at: t0},
		write: bucket{capacity: writes, level: writes, perSecond: writes / 150, at: t0},
	}
}

func (b *bucket) refill(now time.Time) {
	b.level = min(b.capacity, b.level+now.Sub(b.at).Seconds()*b.perSecond)
	b.at = now
}

// take charges a request; when a bucket is short it returns how long to
// wait and the x-ms-throttle-scope limit name, and charges nothing.
func (t *throttle) take(ru, writes float64) (wait float64, limit string, ok bool) {
	if !t.enabled {
		return 0, "", true
	}
	now := t.now()
	t.ru.refill(now)
	t.write.refill(now)
	if t.ru.level < ru {
		return round3((ru - t.ru.level) / t.ru.perSecond), "ReadWrite", false
	}
	if writes > 0 && t.write.level < writes {
		return round3((writes - t.write.level) / t.write.perSecond), "Write", false
	}
	t.ru.level -= ru
	t.write.level -= writes
	return 0, "", true
}

// usage is the fraction of the resource-unit quota in use; Graph adds
// x-ms-throttle-limit-percentage above 0.8.
func (t *throttle) usage() float64 {
	if !t.enabled {
		return 0
	}
	return 1 - t.ru.level/t.ru.capacity
}

// requestCost is a request's resource units and writes (Graph docs: Throttling limits, identity and access): listed
// GETs cost more, any write costs 1 RU and 1 write; $select −1, $expand
// +1, $top below 20 −1, never below 1.
func requestCost(r *http.Request, pattern string) (ru, writes int) {
	route := pattern
	if i := strings.IndexByte(route, ' '); i >= 0 {
		route = route[i+1:]
	}
	if strings.Contains(route, "/_api/") {
		// SharePoint's own calls are POSTs: a Get… call reads, the others write.
		if strings.HasPrefix(path.Base(r.URL.Path), "Get") {
			return 1, 0
		}
		return 1, 1
	}
	if r.Method != http.MethodGet {
		return 1, 1
	}
	ru = 1
	switch {
	case route == "/v1.0/users":
		ru = 2
	case strings.HasSuffix(route, "/transitiveMembers") || strings.Contains(route, "/transitiveMembers/"):
		ru = 5
	case strings.HasSuffix(route, "/members") || strings.Contains(route, "/members/{cast}"):
		ru = 3
	}
	q := r.URL.Query()
	if q.Get("$select") != "" {
		ru--
	}
	if q.Get("$expand") != "" {
		ru++
	}
	if n, err := strconv.Atoi(q.Get("$top")); err == nil && n < 20 {
		ru--
	}
	return max(ru, 1), 0
}

// tooMany is Graph's 429 (Graph docs: Throttling): a fractional Retry-After in seconds and
// the scope headers.
func tooMany(w http.ResponseWriter, r *http.Request, wait float64, limit string) {
	w.Header().Set("Retry-After", strconv.FormatFloat(max(wait, 0.001), 'f', -1, 64))
	w.Header().Set("x-ms-throttle-scope", "Tenant_Application/"+limit+"/00000000-0000-0000-0000-000000000000/00000000-0000-0000-0000-000000000000")
	info := "ResourceUnitLimitExceeded"
	if limit == "Write" {
		info = "WriteLimitExceeded"
	}
	w.Header().Set("x-ms-throttle-information", info)
	writeError(w, r, http.StatusTooManyRequests, "TooManyRequests", "Please retry again later.")
}

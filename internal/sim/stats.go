package sim

import (
	"sort"
	"sync"
)

// Stats counts what clients asked of the emulator since the last reset.
// Benchmarks and tests read it to count round trips and writes.
type Stats struct {
	// HTTPRequests are round trips (a $batch is one).
	HTTPRequests int64 `json:"httpRequests"`
	// BatchItems are requests carried inside $batch envelopes.
	BatchItems int64 `json:"batchItems"`
	// Operations are HTTP requests other than $batch plus batch items.
	Operations    int64        `json:"operations"`
	ResourceUnits int64        `json:"resourceUnits"`
	Writes        int64        `json:"writes"`
	Throttled     int64        `json:"throttled"`
	Faults        int64        `json:"faults"`
	Routes        []RouteStats `json:"routes"`
}

// RouteStats are the counts for one method and route pattern.
type RouteStats struct {
	Route         string `json:"route"`
	Count         int64  `json:"count"`
	ResourceUnits int64  `json:"resourceUnits"`
	Writes        int64  `json:"writes"`
	Errors        int64  `json:"errors"`
}

type statsRecorder struct {
	mu     sync.Mutex
	s      Stats
	routes map[string]*RouteStats
}

func newStats() *statsRecorder { return &statsRecorder{routes: map[string]*RouteStats{}} }

func (r *statsRecorder) record(method, pattern string, ru, writes, status int, batchItem bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if pattern == batchRoute {
		r.s.HTTPRequests++
		return
	}
	if batchItem {
		r.s.BatchItems++
	} else {
		r.s.HTTPRequests++
	}
	r.s.Operations++
	r.s.ResourceUnits += int64(ru)
	if status == 429 {
		r.s.Throttled++
	} else if status < 300 {
		r.s.Writes += int64(writes)
	}
	key := pattern
	if key == "" || key == "/" {
		key = method + " (unknown)"
	}
	rs := r.routes[key]
	if rs == nil {
		rs = &RouteStats{Route: key}
		r.routes[key] = rs
	}
	rs.Count++
	rs.ResourceUnits += int64(ru)
	if status < 300 {
		rs.Writes += int64(writes)
	} else {
		rs.Errors++
	}
}

func (r *statsRecorder) fault() {
	r.mu.Lock()
	r.s.HTTPRequests++
	r.s.Faults++
	r.mu.Unlock()
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.Routes = make([]RouteStats, 0, len(r.routes))
	for _, rs := range r.routes {
		s.Routes = append(s.Routes, *rs)
	}
	sort.Slice(s.Routes, func(i, j int) bool { return s.Routes[i].Route < s.Routes[j].Route })
	return s
}

func (r *statsRecorder) reset() {
	r.mu.Lock()
	r.s = Stats{}
	r.routes = map[string]*RouteStats{}
	r.mu.Unlock()
}

// Stats returns the counts since the last reset.
func (s *Server) Stats() Stats { return s.stats.snapshot() }

// ResetStats zeroes the counts, between the phases of a test or benchmark.
func (s *Server) ResetStats() { s.stats.reset() }

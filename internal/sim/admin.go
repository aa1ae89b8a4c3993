package sim

import (
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"time"
)

// The admin API (/_sim/…) belongs to the emulator, not to Graph: tests and
// benchmarks read statistics, reset them between phases and switch
// behaviours while the emulator runs in another process.
//
//	GET  /_sim/stats           statistics since the last reset
//	POST /_sim/stats/reset     zero them
//	GET  /_sim/config          current behaviour switches
//	PATCH /_sim/config         change some: {"latencyMs":…, "jitterMs":…, "throttle":…,
//	                           "resourceUnits":…, "writes":…, "replicationLagMs":…,
//	                           "faultRate":…, "seed":…}
//	POST /_sim/save            write the state file now
//	GET  /_sim/state           the current state as a state file
//	GET  /_sim/profiles        SharePoint user profiles' imported values, by userPrincipalName
func (s *Server) admin(w http.ResponseWriter, r *http.Request) {
	switch r.Method + " " + r.URL.Path {
	case "GET /_sim/stats":
		writeJSON(w, http.StatusOK, s.Stats())
	case "POST /_sim/stats/reset":
		s.ResetStats()
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sim/config":
		writeJSON(w, http.StatusOK, s.config())
	case "PATCH /_sim/config":
		var c Config
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
			writeError(w, r, http.StatusBadRequest, "BadRequest", err.Error())
			return
		}
		s.Configure(c)
		writeJSON(w, http.StatusOK, s.config())
	case "POST /_sim/save":
		s.markDirty()
		if err := s.Save(); err != nil {
			writeError(w, r, http.StatusInternalServerError, "SaveFailed", err.Error())
			return
		}
		w.WriteHeader(http.StatusNoContent)
	case "GET /_sim/state":
		writeJSON(w, http.StatusOK, s.Snapshot())
	case "GET /_sim/profiles":
		writeJSON(w, http.StatusOK, ProfilesByUPN(s.Snapshot()))
	default:
		writeError(w, r, http.StatusNotFound, "NotFound", "unknown emulator admin path "+r.URL.Path)
	}
}

// Config is the JSON form of the switchable options, for Configure and
// PATCH /_sim/config; absent (nil) fields are left as they are.
type Config struct {
	LatencyMs        *int64   `json:"latencyMs,omitempty"`
	JitterMs         *int64   `json:"jitterMs,omitempty"`
	Throttle         *bool    `json:"throttle,omitempty"`
	ResourceUnits    *float64 `json:"resourceUnits,omitempty"`
	Writes           *float64 `json:"writes,omitempty"`
	ReplicationLagMs *int64   `json:"replicationLagMs,omitempty"`
	FaultRate        *float64 `json:"faultRate,omitempty"`
	Seed             *uint64  `json:"seed,omitempty"`
	FailWritesAfter  *int     `json:"failWritesAfter,omitempty"`
}

func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.opts
	ms := func(d time.Duration) *int64 { v := d.Milliseconds(); return &v }
	return Config{LatencyMs: ms(o.Latency), JitterMs: ms(o.Jitter), Throttle: &o.Throttle,
		ResourceUnits: &s.buckets.ru.capacity, Writes: &s.buckets.write.capacity,
		ReplicationLagMs: ms(o.ReplicationLag), FaultRate: &o.FaultRate, Seed: &o.Seed, FailWritesAfter: &o.FailWritesAfter}
}

// Configure changes behaviour switches at run time.
func (s *Server) Configure(c Config) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	ms := func(p *int64, d *time.Duration) {
		if p != nil {
			*d = time.Duration(*p) * time.Millisecond
		}
	}
	ms(c.LatencyMs, &s.opts.Latency)
	ms(c.JitterMs, &s.opts.Jitter)
	ms(c.ReplicationLagMs, &s.opts.ReplicationLag)
	if c.FaultRate != nil {
		s.opts.FaultRate = *c.FaultRate
	}
	if c.FailWritesAfter != nil {
		s.opts.FailWritesAfter = *c.FailWritesAfter
		s.writesDone = 0
	}
	if c.Seed != nil {
		s.opts.Seed = *c.Seed
		s.rng = mrand.New(mrand.NewPCG(*c.Seed, *c.Seed^0x9e3779b97f4a7c15))
	}
	if c.Throttle != nil || c.ResourceUnits != nil || c.Writes != nil {
		if c.Throttle != nil {
			s.opts.Throttle = *c.Throttle
		}
		if c.ResourceUnits != nil {
			s.opts.ResourceUnits = *c.ResourceUnits
		}
		if c.Writes != nil {
			s.opts.Writes = *c.Writes
		}
		s.buckets = newThrottle(s.opts, len(s.t.users), s.opts.Now)
	}
}

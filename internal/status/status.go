package status

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
)

// Report is the status of one configuration's objects in one tenant.
type Report struct {
	Tenant        string   `json:"tenant"`
	Configuration string   `json:"configuration"`
	Objects       []Object `json:"objects"`
}

// Object is one managed object.
type Object struct {
	Address string `json:"address"`
	// Name is what people recognise it by (read from the tenant: hostile
	// text, escaped by renderers).
	Name   string `json:"name,omitempty"`
	ID     string `json:"id,omitempty"`
	Origin string `json:"origin,omitempty"`
	// Commit and AppliedAt are those of the last apply that changed the
	// object: a group's marker records them, the ownership record those
	// of the other kinds.
	Commit    string `json:"commit,omitempty"`
	AppliedAt string `json:"appliedAt,omitempty"`
	// Missing is set when the record names an object the tenant no
	// longer has.
	Missing bool `json:"missing,omitempty"`
	Job     *Job `json:"job,omitempty"`
	// Import is a profile mapping's state: its last and running jobs.
	Import *Import `json:"import,omitempty"`
}

// Import is a profile mapping's state, from its state file and SharePoint.
type Import struct {
	// Folder is where the import files go; State the state file there.
	Folder string `json:"folder"`
	State  string `json:"state"`
	// Profiles counts the users whose values were imported.
	Profiles int `json:"profiles"`
	// Incremental says whether a delta link is recorded.
	Incremental bool       `json:"incremental"`
	Last        *ImportJob `json:"last,omitempty"`
	Running     *ImportJob `json:"running,omitempty"`
}

// ImportJob is one bulk import job.
type ImportJob struct {
	ID       string `json:"id"`
	State    string `json:"state"`
	Error    string `json:"error,omitempty"`
	File     string `json:"file"`
	Commit   string `json:"commit,omitempty"`
	QueuedAt string `json:"queuedAt"`
	EndedAt  string `json:"endedAt,omitempty"`
	Records  int    `json:"records"`
	Failed   int    `json:"failed,omitempty"`
}

// Job is a synchronization job's state as Graph reports it.
type Job struct {
	ID string `json:"id"`
	// State is the schedule's (Active, Paused, Disabled); Code the
	// status code (NotConfigured, NotRun, Active, Paused, Quarantine).
	State    string `json:"state"`
	Code     string `json:"code"`
	Interval string `json:"interval"`
	LastRun  *Run   `json:"lastRun,omitempty"`
	// Failures counts successive complete failures.
	Failures   int    `json:"failures,omitempty"`
	Quarantine string `json:"quarantine,omitempty"`
}

// Run is a job's last cycle.
type Run struct {
	State    string `json:"state"`
	Began    string `json:"began,omitempty"`
	Ended    string `json:"ended,omitempty"`
	Entitled int    `json:"entitled"`
	Exported int    `json:"exported"`
	Imported int    `json:"imported"`
	Escrowed int    `json:"escrowed"`
	Error    string `json:"error,omitempty"`
}

// Groups are the groups carrying this configuration's marker (one
// listing, no members read).
func Groups(ctx context.Context, r entra.Reader, tenant, configuration string) ([]Object, error) {
	groups, err := r.Groups(ctx, entra.GroupQuery{Marked: true})
	if err != nil {
		return nil, fmt.Errorf("reading marked groups: %w", err)
	}
	var out []Object
	for _, g := range groups {
		m := g.Marker
		if m == nil || m.Role != "" || !m.Ours(tenant, configuration) {
			continue
		}
		o := Object{Address: m.Address, Name: g.DisplayName, ID: g.ID, Origin: originOf(m.Origin), Commit: m.Commit}
		if !m.AppliedAt.IsZero() {
			o.AppliedAt = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		out = append(out, o)
	}
	return out, nil
}

func originOf(o string) string {
	if o == "" {
		return entra.OriginAdopted
	}
	return o
}

// Sort orders objects by address.
func Sort(objs []Object) {
	slices.SortFunc(objs, func(a, b Object) int { return cmp.Compare(a.Address, b.Address) })
}

// JobOf reads a job document (GET …/synchronization/jobs/{id}).
func JobOf(doc entra.Document) *Job {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	num := func(m map[string]any, k string) int { f, _ := m[k].(float64); return int(f) }
	sched, _ := doc["schedule"].(map[string]any)
	st, _ := doc["status"].(map[string]any)
	j := &Job{ID: str(doc, "id"), State: str(sched, "state"), Interval: str(sched, "interval"), Code: str(st, "code"),
		Failures: num(st, "countSuccessiveCompleteFailures")}
	if last, ok := st["lastExecution"].(map[string]any); ok {
		run := &Run{State: str(last, "state"), Began: str(last, "timeBegan"), Ended: str(last, "timeEnded"),
			Entitled: num(last, "countEntitled"), Exported: num(last, "countExported"), Imported: num(last, "countImported"),
			Escrowed: num(last, "countEscrowed")}
		if e, ok := last["error"].(map[string]any); ok {
			run.Error = fmt.Sprintf("%s: %s", str(e, "code"), str(e, "message"))
		}
		j.LastRun = run
	}
	if q, ok := st["quarantine"].(map[string]any); ok {
		j.Quarantine = fmt.Sprintf("%s since %s", str(q, "reason"), str(q, "currentBegan"))
	}
	return j
}

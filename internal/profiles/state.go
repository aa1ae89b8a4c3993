package profiles

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// stateVersion is the version of the state file's form.
const stateVersion = 1

// State is a mapping's state file, kept in the library next to the
// import files (".entrasync/<configuration>.<mapping>.json"): SharePoint
// offers no way to read profile values back in bulk, so what was last
// imported is the "before" of the next plan.
type State struct {
	Version       int    `json:"version"`
	Tenant        string `json:"tenant"`
	Configuration string `json:"configuration"`
	Mapping       string `json:"mapping"`
	// Scope fingerprints what decides which users and values are read (the
	// users filter, id type, mapped attributes): when it changes, a delta
	// from the old link would miss users, so the next plan reads everyone.
	Scope string `json:"scope"`
	// DeltaLink is where the next incremental plan reads changes from.
	DeltaLink string `json:"deltaLink,omitempty"`
	// Values are the attribute values imported, by user id, then attribute.
	Values map[string]map[string]string `json:"values"`
	// Pending is a queued job not yet followed to its end (apply --no-wait,
	// or an apply that was interrupted); Last the last job that ended.
	Pending *Job `json:"pending,omitempty"`
	Last    *Job `json:"last,omitempty"`
}

// Job is one import job as the state records it.
type Job struct {
	ID string `json:"id"`
	// File is the uploaded file's path in the library.
	File     string    `json:"file"`
	Commit   string    `json:"commit,omitempty"`
	QueuedAt time.Time `json:"queuedAt"`
	Records  int       `json:"records"`
	// State, Error, Failed and EndedAt are set once the job ended.
	State   string    `json:"state,omitempty"`
	Error   string    `json:"error,omitempty"`
	Failed  int       `json:"failed,omitempty"`
	EndedAt time.Time `json:"endedAt,omitzero"`
	// DeltaLink, Values and Identities are what a pending job's success
	// would record: the plan's delta link, the values it writes by user id,
	// and each user's identity in the file (to match log lines to users).
	DeltaLink  string                       `json:"deltaLink,omitempty"`
	Values     map[string]map[string]string `json:"values,omitempty"`
	Identities map[string]string            `json:"identities,omitempty"`
}

// StateName is the state file's name inside the import folder.
func StateName(configuration, mapping string) string {
	return ".entrasync/" + configuration + "." + mapping + ".json"
}

// parseState reads a state file; a file of another tenant or
// configuration is refused rather than trusted.
func parseState(data []byte, tenant, configuration, mapping string) (*State, error) {
	var st State
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("the state file is not valid JSON (%v); delete it to start over with a full import", err)
	}
	switch {
	case st.Version != stateVersion:
		return nil, fmt.Errorf("the state file has version %d, this entrasync reads %d", st.Version, stateVersion)
	case !strings.EqualFold(st.Tenant, tenant) || st.Configuration != configuration || st.Mapping != mapping:
		return nil, fmt.Errorf("the state file belongs to mapping %q of configuration %q in tenant %s", st.Mapping, st.Configuration, st.Tenant)
	}
	if st.Values == nil {
		st.Values = map[string]map[string]string{}
	}
	return &st, nil
}

func (st *State) encode() []byte {
	data, _ := json.MarshalIndent(st, "", " ")
	return data
}

// Failure is one record the job could not import, from its log.
type Failure struct {
	Record   int    `json:"record"`
	Identity string `json:"identity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
}

func (f Failure) String() string {
	id := f.Identity
	if id == "" {
		id = "(no identity)"
	}
	return fmt.Sprintf("record %d %s: %s: %s", f.Record, id, f.Code, f.Message)
}

// readLog reads a failed job's per-record log from the library: the files
// in the folder SharePoint named, next to the data file.
func readLog(ctx context.Context, sp entra.SharePoint, lib entra.Library, job entra.ImportJob) ([]Failure, error) {
	if job.LogFolderURI == "" {
		return nil, nil
	}
	folder, err := libraryPath(lib, job.LogFolderURI)
	if err != nil {
		return nil, err
	}
	f, err := sp.ReadFile(ctx, lib.DriveID, folder+"/ImportErrors.log")
	if err != nil || f.Meta == nil {
		return nil, err
	}
	return parseLog(f.Content), nil
}

// libraryPath is the path inside the library of an absolute URL in it.
func libraryPath(lib entra.Library, uri string) (string, error) {
	web, err1 := url.PathUnescape(lib.WebURL)
	u, err2 := url.PathUnescape(uri)
	rest, ok := model.CutPrefixFold(u, strings.TrimSuffix(web, "/")+"/")
	if err1 != nil || err2 != nil || !ok {
		return "", fmt.Errorf("the job's log folder %s is not in library %s", uri, lib.WebURL)
	}
	return rest, nil
}

// parseLog reads "record<TAB>identity<TAB>code<TAB>message" lines; a line
// of another form is kept whole as its message.
func parseLog(data []byte) []Failure {
	var out []Failure
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		parts := strings.SplitN(line, "\t", 4)
		n, err := strconv.Atoi(parts[0])
		if len(parts) != 4 || err != nil {
			out = append(out, Failure{Message: line})
			continue
		}
		out = append(out, Failure{Record: n, Identity: parts[1], Code: parts[2], Message: parts[3]})
	}
	return out
}

// finish records the end of the state's pending job: the values of every
// record that did not fail become what was imported. The delta link
// advances only when no record failed, so the next incremental plan reads
// the failed users again and retries them.
func (st *State) finish(job entra.ImportJob, failures []Failure, now time.Time) {
	p := st.Pending
	if p == nil {
		return
	}
	failed := map[string]bool{}
	for _, f := range failures {
		failed[strings.ToLower(f.Identity)] = true
	}
	// A job that failed as a whole (the file refused, an internal error,
	// a job SharePoint no longer knows) imported nothing; one that
	// completed with errors imported every record its log does not name.
	whole := job.State == entra.ImportUnknown ||
		job.State == entra.ImportError && (job.Error != "ImportCompelteWithErrors" || len(failures) == 0)
	if !whole {
		for id, vals := range p.Values {
			if failed[strings.ToLower(p.Identities[id])] {
				continue
			}
			if st.Values[id] == nil {
				st.Values[id] = map[string]string{}
			}
			maps.Copy(st.Values[id], vals)
		}
		if len(failures) == 0 && p.DeltaLink != "" {
			st.DeltaLink = p.DeltaLink
		}
	}
	last := *p
	last.State, last.Error, last.Failed, last.EndedAt = job.State.String(), job.Error, len(failures), now.UTC()
	if whole && last.Failed == 0 {
		last.Failed = last.Records
	}
	last.DeltaLink, last.Values, last.Identities = "", nil, nil
	st.Last, st.Pending = &last, nil
}

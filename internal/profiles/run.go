package profiles

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// RunOptions control one import.
type RunOptions struct {
	Tenant, Configuration, Commit string
	// NoWait returns once the job is queued; the next plan or status
	// follows it.
	NoWait bool
	// Poll is the first wait between job reads, doubled up to MaxPoll
	// (SharePoint runs imports within hours; a poll a minute is plenty).
	Poll, MaxPoll time.Duration
	Now           func() time.Time
	// Progress is told the job's state after each read; nil for none.
	Progress func(state entra.ImportState)
}

// Outcome is what became of an import.
type Outcome struct {
	JobID   string
	File    string
	Records int
	// State is the job's last state read (Unknown with NoWait).
	State    entra.ImportState
	Error    string
	Failures []Failure
}

// Summary says in a line what became of the import.
func (o Outcome) Summary() string {
	switch {
	case o.State == entra.ImportSucceeded:
		return fmt.Sprintf("import job %s Succeeded: %s from %s", o.JobID, records(o.Records), o.File)
	case o.State.Done():
		return fmt.Sprintf("import job %s ended in Error (%s): %d of %d records failed", o.JobID, o.Error, len(o.Failures), o.Records)
	}
	return fmt.Sprintf("import job %s queued with %s from %s; entrasync status follows it", o.JobID, records(o.Records), o.File)
}

func records(n int) string {
	if n == 1 {
		return "1 record"
	}
	return fmt.Sprintf("%d records", n)
}

// Run uploads an import's file, queues the job, records it in the
// mapping's state and, unless NoWait, polls the job with backoff to its
// end, reading the per-record log when it failed. The error says why
// the import did not fully succeed; the Outcome says how far it got.
func Run(ctx context.Context, sp entra.SharePoint, address string, imp *plan.ProfileImport, opts RunOptions) (Outcome, error) {
	var out Outcome
	addr, err := model.ParseAddress(address)
	if err != nil || addr.Kind != model.KindProfileMapping {
		return out, fmt.Errorf("%s is not a profile mapping", address)
	}
	if err := Check(imp); err != nil {
		return out, err
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	mp := model.ProfileMapping{SharePoint: model.SharePointTarget{AdminURL: imp.AdminURL, Site: imp.Site, Folder: imp.Folder}}
	o, err := Open(ctx, sp, opts.Tenant, opts.Configuration, addr.Key, mp, now())
	lib, st := o.Library, o.State
	switch {
	case err != nil:
		return out, err
	case lib.DriveID != imp.DriveID:
		return out, fmt.Errorf("folder %q is in another library than when the plan was made; run plan again", imp.Folder)
	case st == nil:
		st = &State{Version: stateVersion, Tenant: opts.Tenant, Configuration: opts.Configuration, Mapping: addr.Key, Values: map[string]map[string]string{}}
	}
	statePath := lib.Path(StateName(opts.Configuration, addr.Key))
	for _, id := range imp.Forget {
		delete(st.Values, id)
	}
	if len(imp.Rows) == 0 {
		// Only the delta link moves (a full read found nothing to import).
		st.Scope, st.DeltaLink = imp.Scope, imp.DeltaLink
		if _, err := sp.WriteFile(ctx, lib.DriveID, statePath, st.encode()); err != nil {
			return out, fmt.Errorf("could not record the delta link in %s: %w", statePath, err)
		}
		return out, nil
	}
	idType, _ := entra.ParseIDType(imp.IDType)
	out.Records = len(imp.Rows)
	out.File = lib.Path(fmt.Sprintf("%s-%s.json", addr.Key, now().UTC().Format("20060102T150405.000Z")))
	f, err := sp.WriteFile(ctx, lib.DriveID, out.File, File(imp))
	if err != nil {
		return out, err
	}
	out.JobID, err = sp.QueueImport(ctx, imp.AdminURL, entra.ImportRequest{IDType: idType, IDProperty: imp.IDProperty,
		PropertyMap: imp.Properties, SourceURI: f.WebURL()})
	if err != nil {
		return out, fmt.Errorf("uploaded %s, but SharePoint did not queue the import: %w", out.File, err)
	}
	pending := &Job{ID: out.JobID, File: out.File, Commit: opts.Commit, QueuedAt: now().UTC(), Records: len(imp.Rows),
		DeltaLink: imp.DeltaLink, Values: map[string]map[string]string{}, Identities: map[string]string{}}
	for _, r := range imp.Rows {
		pending.Values[r.UserID], pending.Identities[r.UserID] = r.Values, r.Identity
	}
	st.Scope, st.Pending = imp.Scope, pending
	if _, err := sp.WriteFile(ctx, lib.DriveID, statePath, st.encode()); err != nil {
		return out, fmt.Errorf("queued import job %s, but could not record it in %s (the next plan sends these values again): %w", out.JobID, statePath, err)
	}
	if opts.NoWait {
		return out, nil
	}
	job, err := wait(ctx, sp, imp.AdminURL, out.JobID, opts)
	out.State, out.Error = job.State, job.Error
	if err != nil {
		return out, fmt.Errorf("stopped following import job %s (%v); it runs on, and the next plan or entrasync status picks it up", out.JobID, err)
	}
	if job.State == entra.ImportError {
		if out.Failures, err = readLog(ctx, sp, lib, job); err != nil {
			return out, fmt.Errorf("import job %s ended in Error (%s), and its log could not be read: %w", out.JobID, job.Error, err)
		}
	}
	st.finish(job, out.Failures, now())
	if _, err := sp.WriteFile(ctx, lib.DriveID, statePath, st.encode()); err != nil {
		return out, fmt.Errorf("import job %s ended, but %s could not be updated (the next plan reads the job again): %w", out.JobID, statePath, err)
	}
	if job.State == entra.ImportError {
		msg := job.ErrorMessage
		if msg == "" {
			msg = job.Error
		}
		return out, fmt.Errorf("import job %s ended in Error: %s", out.JobID, msg)
	}
	return out, nil
}

// wait polls a job until it ends, doubling the pause up to MaxPoll. A
// read that fails is tried again at the next poll; three in a row end it.
func wait(ctx context.Context, sp entra.SharePoint, adminURL, jobID string, opts RunOptions) (entra.ImportJob, error) {
	pause, maxPause := opts.Poll, opts.MaxPoll
	if pause <= 0 {
		pause = 5 * time.Second
	}
	if maxPause < pause {
		maxPause = max(pause, time.Minute)
	}
	var last entra.ImportJob
	var errs []error
	for {
		job, err := sp.ImportJob(ctx, adminURL, jobID)
		switch {
		case err == nil:
			errs, last = nil, job
			if opts.Progress != nil {
				opts.Progress(job.State)
			}
			if job.State.Done() {
				return job, nil
			}
		case ctx.Err() != nil:
			return last, ctx.Err()
		default:
			if errs = append(errs, err); len(errs) == 3 {
				return last, errors.Join(errs...)
			}
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(pause):
		}
		pause = min(pause*2, maxPause)
	}
}

// File is the import file: {"value": [{idProperty: identity, attribute:
// value, …}, …]}.
func File(imp *plan.ProfileImport) []byte {
	records := make([]map[string]string, len(imp.Rows))
	for i, r := range imp.Rows {
		rec := maps.Clone(r.Values)
		rec[imp.IDProperty] = r.Identity
		records[i] = rec
	}
	data, _ := json.Marshal(map[string]any{"value": records})
	return data
}

// Check re-derives from the import itself what a plan file must not be
// able to change by editing: only importable properties, only the mapped
// attributes in records, and the admin site of the site's own tenant.
func Check(imp *plan.ProfileImport) error {
	if _, ok := entra.ParseIDType(imp.IDType); !ok {
		return fmt.Errorf("idType %q is not Email, CloudId or PrincipalName", imp.IDType)
	}
	for _, attr := range slices.Sorted(maps.Keys(imp.Properties)) {
		if why := model.SharePointRefusal(imp.Properties[attr]); why != "" {
			return fmt.Errorf("refusing to import into %s: it %s", imp.Properties[attr], why)
		}
		if attr == imp.IDProperty {
			return fmt.Errorf("attribute %s is also the file's id field %s", attr, imp.IDProperty)
		}
	}
	for _, r := range imp.Rows {
		for attr := range r.Values {
			if _, ok := imp.Properties[attr]; !ok {
				return fmt.Errorf("the record of %s carries %s, which the mapping does not map", r.Name, attr)
			}
		}
	}
	site := model.SharePointTenant(imp.Site, false)
	if site == "" || model.SharePointTenant(imp.AdminURL, true) != site {
		return fmt.Errorf("admin site %s is not the admin site of %s", imp.AdminURL, imp.Site)
	}
	return nil
}

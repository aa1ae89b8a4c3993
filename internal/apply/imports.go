package apply

import (
	"context"
	"errors"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/profiles"
)

// imports runs the profile mappings' imports, one after another (each is
// an upload, a queued job and its polling; SharePoint runs the jobs of a
// tenant one at a time anyway). A job's per-record failures are the
// change's errors, one each.
func (r *run) imports(ctx context.Context) {
	for _, c := range r.p.Objects {
		if c.Import == nil || c.Action != plan.Update {
			continue
		}
		if r.opts.SharePoint == nil {
			r.fail(c.Address, errors.New("this connection does not reach SharePoint Online"))
			continue
		}
		opts := r.opts.Imports
		opts.Tenant, opts.Configuration, opts.Commit, opts.Now = r.p.Tenant, r.p.Configuration, r.p.SourceCommit, r.opts.Now
		opts.Progress = func(s entra.ImportState) {
			r.opts.Progress.Step(r.done, c.Address+": import job "+s.String())
		}
		out, err := profiles.Run(ctx, r.opts.SharePoint, c.Address, c.Import, opts)
		if out.JobID != "" {
			r.notes[c.Address] = append(r.notes[c.Address], out.Summary())
		}
		if err != nil {
			r.fail(c.Address, err)
		}
		for _, f := range out.Failures {
			r.fail(c.Address, errors.New(f.String()))
		}
		r.done++
		r.opts.Progress.Step(r.done, c.Address)
	}
}

package profiles

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/status"
)

// Status reads each declared mapping's state: the last job that ended
// and the one still running, as SharePoint reports it now.
func Status(ctx context.Context, sp entra.SharePoint, d *model.Desired, now time.Time) ([]status.Object, error) {
	var out []status.Object
	for _, key := range slices.Sorted(maps.Keys(d.ProfileMappings)) {
		mp := d.ProfileMappings[key]
		addr := model.Address{Kind: model.KindProfileMapping, Key: key}.String()
		if sp == nil {
			return nil, fmt.Errorf("%s: this connection does not reach SharePoint Online", addr)
		}
		opened, err := Open(ctx, sp, d.Tenant.ID, d.Configuration, key, mp, now)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", addr, err)
		}
		lib, st := opened.Library, opened.State
		imp := &status.Import{Folder: mp.SharePoint.Folder, State: lib.Path(StateName(d.Configuration, key))}
		o := status.Object{Address: addr, Name: mp.SharePoint.Site, Import: imp}
		if st != nil {
			imp.Profiles, imp.Incremental = len(st.Values), st.DeltaLink != ""
			if st.Last != nil {
				imp.Last = jobStatus(*st.Last)
				o.Commit, o.AppliedAt = st.Last.Commit, imp.Last.EndedAt
			}
			if p := st.Pending; p != nil {
				// Open read its state: a pending job it left is running.
				imp.Running = jobStatus(*p)
				imp.Running.State = opened.Running.String()
			}
		}
		out = append(out, o)
	}
	return out, nil
}

func jobStatus(j Job) *status.ImportJob {
	s := &status.ImportJob{ID: j.ID, State: j.State, Error: j.Error, File: j.File, Commit: j.Commit,
		QueuedAt: j.QueuedAt.UTC().Format(time.RFC3339), Records: j.Records, Failed: j.Failed}
	if !j.EndedAt.IsZero() {
		s.EndedAt = j.EndedAt.UTC().Format(time.RFC3339)
	}
	return s
}

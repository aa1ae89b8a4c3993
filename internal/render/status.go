package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/entrasync/entrasync/internal/status"
)

// StatusText writes `entrasync status` for a terminal: one block per
// managed object. Names come from the tenant and are cleaned.
func StatusText(w io.Writer, r *status.Report, st Style) error {
	var b strings.Builder
	fmt.Fprintf(&b, "entrasync status of configuration %s in tenant %s\n", Clean(r.Configuration), Clean(r.Tenant))
	if len(r.Objects) == 0 {
		b.WriteString("\nNothing is managed yet.\n")
	}
	for _, o := range r.Objects {
		fmt.Fprintf(&b, "\n%s", st.paint(ansiBold, o.Address))
		if o.Name != "" {
			fmt.Fprintf(&b, " %s", Clean(o.Name))
		}
		b.WriteString("\n")
		var parts []string
		if o.Origin != "" {
			parts = append(parts, Clean(o.Origin))
		}
		if o.ID != "" {
			parts = append(parts, "id "+Clean(o.ID))
		}
		switch {
		case o.Commit != "":
			parts = append(parts, fmt.Sprintf("last applied commit %.12s at %s", Clean(o.Commit), Clean(o.AppliedAt)))
		case o.AppliedAt != "":
			parts = append(parts, "last applied at "+Clean(o.AppliedAt)+" (no commit recorded)")
		}
		if len(parts) > 0 {
			b.WriteString("    " + strings.Join(parts, ", ") + "\n")
		}
		if o.Missing {
			b.WriteString(st.paint(ansiRed, "    missing: the ownership record names it, the tenant does not have it (the next plan decides)") + "\n")
		}
		if j := o.Job; j != nil {
			writeJob(&b, j, st)
		}
		if i := o.Import; i != nil {
			writeImportStatus(&b, i, st)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeJob(b *strings.Builder, j *status.Job, st Style) {
	state := fmt.Sprintf("    job %s: %s, status %s, every %s", Clean(j.ID), Clean(j.State), Clean(j.Code), Clean(j.Interval))
	if j.Code == "Quarantine" {
		state = st.paint(ansiRed, state)
	}
	b.WriteString(state + "\n")
	if r := j.LastRun; r != nil {
		fmt.Fprintf(b, "    last cycle: %s, ended %s; %d in scope, %d exported, %d imported, %d escrowed\n",
			Clean(r.State), Clean(r.Ended), r.Entitled, r.Exported, r.Imported, r.Escrowed)
		if r.Error != "" {
			b.WriteString(st.paint(ansiRed, "    error: "+Clean(r.Error)) + "\n")
		}
	} else {
		b.WriteString("    no cycle has completed yet\n")
	}
	if j.Failures > 0 {
		fmt.Fprintf(b, "    %d successive complete failures\n", j.Failures)
	}
	if j.Quarantine != "" {
		b.WriteString(st.paint(ansiRed, "    quarantined: "+Clean(j.Quarantine)) + "\n")
	}
}

func writeImportStatus(b *strings.Builder, i *status.Import, st Style) {
	mode := "no delta link: the next plan reads every user"
	if i.Incremental {
		mode = "incremental from the recorded delta link"
	}
	fmt.Fprintf(b, "    %s imported into %s; %s\n", plural(i.Profiles, "profile", "profiles"), Clean(i.Folder), mode)
	job := func(what string, j *status.ImportJob) {
		line := fmt.Sprintf("    %s import job %s: %s", what, Clean(j.ID), Clean(j.State))
		if j.Error != "" && j.Error != "NoError" {
			line += " (" + Clean(j.Error) + ")"
		}
		line += fmt.Sprintf(", %s", plural(j.Records, "record", "records"))
		if j.Failed > 0 {
			line += fmt.Sprintf(", %d failed", j.Failed)
		}
		line += ", queued " + Clean(j.QueuedAt)
		if j.EndedAt != "" {
			line += ", ended " + Clean(j.EndedAt)
		}
		if j.State == "Error" {
			line = st.paint(ansiRed, line)
		}
		b.WriteString(line + "\n")
	}
	if i.Last != nil {
		job("last", i.Last)
	}
	if i.Running != nil {
		job("running", i.Running)
	}
	if i.Last == nil && i.Running == nil {
		b.WriteString("    no import yet\n")
	}
}

// StatusJSON writes the report as JSON.
func StatusJSON(w io.Writer, r *status.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

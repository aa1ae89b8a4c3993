package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/profiles"
	"github.com/entrasync/entrasync/internal/render"
	"github.com/entrasync/entrasync/internal/status"
)

// connectFlags are what a command that reads the tenant without planning
// needs: the configuration (for its tenant and name) and the connection.
func (f *planFlags) registerConnect(cmd *cobra.Command) {
	f.source.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.tenant, "tenant", "", `tenant: "sim:PATH" for the emulator on a state file, or a tenant id or domain (default: the configuration's tenant.id)`)
	fl.StringVar(&f.graphURL, "graph-url", "", "Graph-compatible endpoint to use instead of Microsoft Graph")
	fl.StringVar(&f.sharePointURL, "sharepoint-url", "", "endpoint for SharePoint Online's tenant admin calls (default with --graph-url: its scheme and host)")
	fl.BoolVar(&f.trustGraphURL, "trust-graph-url", false, "send tokens from the environment's credentials to a --graph-url or --sharepoint-url that is not on this machine")
}

// connect loads the configuration and opens its tenant, proven to be it.
func (a *app) connect(ctx context.Context, f *planFlags) (*loaded, Tenant, *plan.Ownership, error) {
	l, err := f.source.load("")
	if err != nil {
		return nil, Tenant{}, nil, err
	}
	if err := a.report(l.diags); err != nil {
		return nil, Tenant{}, nil, err
	}
	if a.deps.OpenTenant == nil {
		return nil, Tenant{}, nil, fmt.Errorf("this build of entrasync cannot connect to a tenant")
	}
	d := l.cfg.Desired
	tenant, err := a.openTenant(ctx, f, d.Tenant.ID)
	if err != nil {
		return nil, Tenant{}, nil, err
	}
	own, err := plan.ReadOwnership(ctx, tenant.Backend, d.Tenant.ID, d.Configuration)
	if err != nil {
		_ = tenant.Close()
		return nil, Tenant{}, nil, fmt.Errorf("reading %s: %w", tenant.Describe, err)
	}
	return l, tenant, own, nil
}

func (a *app) statusCmd() *cobra.Command {
	var f planFlags
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what this configuration manages in the tenant and how its sync jobs run",
		Long: `status lists every object the configuration manages in its tenant, with the
commit and time of the last apply that changed it: groups (from their
markers), cross-tenant partners, the default policy and synchronization jobs
(from the ownership record); for each job its state, the last cycle's
counts and errors, and quarantine; and for each profile mapping its last
import job and the one still running. It writes nothing.`,
		Example: `  entrasync status --dir config --tenant sim:examples/contoso/tenant.json
  entrasync status --dir config --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOf("--format", format, "text", "json"); err != nil {
				return err
			}
			l, tenant, own, err := a.connect(cmd.Context(), &f)
			if err != nil {
				return err
			}
			defer func() { _ = tenant.Close() }()
			d := l.cfg.Desired
			rep := &status.Report{Tenant: d.Tenant.ID, Configuration: d.Configuration}
			groups, err := status.Groups(cmd.Context(), tenant.Backend, d.Tenant.ID, d.Configuration)
			if err != nil {
				return err
			}
			objects, err := crosstenant.Status(cmd.Context(), tenant.Backend, own)
			if err != nil {
				return err
			}
			imports, err := profiles.Status(cmd.Context(), tenant.SharePoint, d, time.Now())
			if err != nil {
				return err
			}
			rep.Objects = append(append(groups, objects...), imports...)
			status.Sort(rep.Objects)
			if format == "json" {
				return render.StatusJSON(a.stdio.Out, rep)
			}
			return render.StatusText(a.stdio.Out, rep, render.Style{Color: a.colour()})
		},
	}
	f.registerConnect(cmd)
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func (a *app) syncJobCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sync-job",
		Short: "Work with the cross-tenant synchronization jobs a configuration manages",
	}
	var f planFlags
	var key, user, format string
	provision := &cobra.Command{
		Use:   "provision",
		Short: "Provision one user now through a sync job (provision on demand) and print its steps",
		Long: `provision runs Graph's provision on demand for one user through the job the
configuration declares under --job, and prints each step Graph reports
(import, scoping, matching, export) with its status. It is how to test a
mapping or a scoping filter on one user before the next cycle.`,
		Example: `  entrasync sync-job provision --dir config --job fabrikam --user adele@contoso.com`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := oneOf("--format", format, "text", "json"); err != nil {
				return err
			}
			_, tenant, own, err := a.connect(cmd.Context(), &f)
			if err != nil {
				return err
			}
			defer func() { _ = tenant.Close() }()
			users, err := tenant.Backend.ResolveUsers(cmd.Context(), []string{user})
			if err != nil {
				return err
			}
			u, ok := users[user]
			switch {
			case !ok:
				return fmt.Errorf("--user: no user %q in the tenant", user)
			case len(u.Candidates) > 0:
				return fmt.Errorf("--user: %q names %d users; name the one meant by id:GUID", user, len(u.Candidates))
			}
			run, err := crosstenant.Provision(cmd.Context(), tenant.Backend, own, key, u.ID)
			if err != nil {
				return err
			}
			if format == "json" {
				enc := json.NewEncoder(a.stdio.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(run)
			}
			for _, s := range run.Steps {
				if _, err := fmt.Fprintf(a.stdio.Out, "%-8s %-8s %s: %s\n", render.Clean(s.Type), render.Clean(s.Status),
					render.Clean(s.Name), render.Clean(s.Description)); err != nil {
					return err
				}
			}
			if run.Result != "" {
				line := "result: " + render.Clean(run.Result)
				if run.Reason != "" {
					line += " (" + render.Clean(run.Reason) + ")"
				}
				if _, err := fmt.Fprintln(a.stdio.Out, line); err != nil {
					return err
				}
			}
			return nil
		},
	}
	f.registerConnect(provision)
	provision.Flags().StringVar(&key, "job", "", "the job's key under crossTenant.syncJobs (required)")
	provision.Flags().StringVar(&user, "user", "", "the user to provision: UPN, mail or id:GUID (required)")
	provision.Flags().StringVar(&format, "format", "text", "output format: text or json")
	_ = provision.MarkFlagRequired("job")
	_ = provision.MarkFlagRequired("user")
	cmd.AddCommand(provision)
	return cmd
}

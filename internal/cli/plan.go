package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/gitsrc"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/profiles"
	"github.com/entrasync/entrasync/internal/render"
	"github.com/entrasync/entrasync/internal/validate"
)

// planFlags are shared by plan and apply.
type planFlags struct {
	source   sourceFlags
	rev      string // Git revision; "" reads the working tree.
	tenant   string // "sim:PATH", or the tenant to authenticate against.
	graphURL string // A Graph-compatible endpoint instead of Microsoft Graph.
	// sharePointURL receives SharePoint's tenant admin calls instead of
	// the configured adminUrl.
	sharePointURL string
	// trustGraphURL allows a --graph-url that is not on this machine to
	// receive the Graph token the environment's credentials obtain.
	trustGraphURL bool
	full          bool     // Full membership sync for every group or the targets.
	prune         bool     // Delete marked groups that are no longer declared.
	targets       []string // Limit to these addresses.
	// historyLoads counts the configurations history() loaded.
	historyLoads int
}

func (f *planFlags) register(cmd *cobra.Command) {
	f.source.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&f.rev, "rev", "", "Git revision to plan (recorded in markers; needed for incremental sync); default: the working tree")
	fl.StringVar(&f.tenant, "tenant", "", `tenant: "sim:PATH" for the emulator on a state file, or a tenant id or domain (default: the configuration's tenant.id)`)
	fl.StringVar(&f.graphURL, "graph-url", "", "Graph-compatible endpoint to use instead of Microsoft Graph (e.g. an emulator from 'entrasync sim serve')")
	fl.StringVar(&f.sharePointURL, "sharepoint-url", "", "endpoint for SharePoint Online's tenant admin calls instead of each profile mapping's adminUrl (default with --graph-url: its scheme and host)")
	fl.BoolVar(&f.trustGraphURL, "trust-graph-url", false, "send tokens from the environment's credentials to a --graph-url or --sharepoint-url that is not on this machine")
	fl.BoolVar(&f.full, "full", false, "full membership sync: remove members the configuration does not declare, for all groups or the --target ones")
	fl.BoolVar(&f.prune, "prune", false, "delete groups entrasync created that are no longer declared")
	fl.StringArrayVar(&f.targets, "target", nil, "limit to this address (repeatable), e.g. groups.sg-finance")
}

// planned is a computed plan and the tenant it was computed against.
type planned struct {
	plan   *plan.Plan
	tenant Tenant
}

// makePlan loads the configuration, reads the tenant and computes the
// plan. Diagnostics are printed; any error diagnostic is exit 1 before a
// single write.
func (a *app) makePlan(ctx context.Context, f *planFlags) (*planned, error) {
	return a.makePlanHolding(ctx, f, nil)
}

// makePlanHolding plans; hold, when set, runs once the tenant is open and
// before anything of the plan is read (apply takes its lock there), and
// its release is called when the tenant is closed.
func (a *app) makePlanHolding(ctx context.Context, f *planFlags, hold func(ctx context.Context, t Tenant, tenantID, configuration string) (release func(), err error)) (*planned, error) {
	for _, t := range f.targets {
		if _, err := model.ParseAddress(t); err != nil {
			return nil, fmt.Errorf("--target: %w", err)
		}
	}
	l, err := f.source.load(f.rev)
	if err != nil {
		return nil, err
	}
	if err := a.report(l.diags); err != nil {
		return nil, err
	}
	if a.deps.OpenTenant == nil {
		return nil, fmt.Errorf("this build of entrasync cannot connect to a tenant")
	}
	d := l.cfg.Desired
	tenant, err := a.openTenant(ctx, f, d.Tenant.ID)
	if err != nil {
		return nil, err
	}
	if hold != nil {
		release, err := hold(ctx, tenant, d.Tenant.ID, d.Configuration)
		if err != nil {
			_ = tenant.Close()
			return nil, err
		}
		tenant = tenant.closing(release)
	}
	fail := func(err error) (*planned, error) {
		_ = tenant.Close()
		return nil, err
	}
	env := &plan.Env{Reader: tenant.Backend, Desired: d, Locate: l.cfg.Locate, Commit: l.commit,
		Options:       plan.Options{Full: f.full, Prune: f.prune, Targets: f.targets},
		Configuration: d.Configuration, Tenant: d.Tenant.ID, Progress: a.readProgress()}
	p, ds, err := plan.Make(ctx, env, plan.Groups{LastDeclared: f.history()},
		profiles.Mappings{SharePoint: tenant.SharePoint}, crosstenant.Partners{}, crosstenant.Default{}, crosstenant.SyncJobs{})
	if rerr := a.report(ds); rerr != nil {
		return fail(rerr)
	}
	var targetErr *plan.TargetError
	switch {
	case errors.As(err, &targetErr):
		return fail(err)
	case err != nil:
		return fail(fmt.Errorf("planning with %s: %w", tenant.Describe, err))
	}
	p.Dirty = l.dirty
	switch {
	case l.dirty:
		p.Notes = append(p.Notes, "The configuration has uncommitted changes: this plan is of the working tree, and markers will record HEAD's commit. apply refuses it unless --allow-dirty; commit the changes instead, so the next incremental run can compare with them.")
	case l.commit == "":
		p.Notes = append(p.Notes, "The configuration is not in a Git repository with a commit, so no commit is recorded: incremental groups cannot follow removals later and will sync add-only. Plan from a Git repository.")
	}
	return &planned{plan: p, tenant: tenant}, nil
}

// openTenant connects to the tenant a configuration or a saved plan is
// for, and proves it is that tenant before anything else is read:
// --tenant must name it, and GET /organization must answer its id.
func (a *app) openTenant(ctx context.Context, f *planFlags, want string) (Tenant, error) {
	if f.tenant != "" && !strings.HasPrefix(f.tenant, "sim:") && !strings.EqualFold(f.tenant, want) {
		return Tenant{}, fmt.Errorf("--tenant %s, but the configuration is for tenant %s; nothing was read or changed", f.tenant, want)
	}
	spURL := f.sharePointURL
	if spURL == "" && f.graphURL != "" {
		if u, err := url.Parse(f.graphURL); err == nil {
			spURL = u.Scheme + "://" + u.Host
		}
	}
	for _, e := range []struct{ flag, value string }{{"--graph-url", f.graphURL}, {"--sharepoint-url", f.sharePointURL}} {
		if err := a.checkEndpoint(e.flag, e.value, f.trustGraphURL); err != nil {
			return Tenant{}, err
		}
	}
	tenant, err := a.deps.OpenTenant(ctx, TenantSpec{Tenant: f.tenant, GraphURL: f.graphURL, SharePointURL: spURL, ConfigTenant: want, Getenv: a.deps.Getenv})
	if err != nil {
		return Tenant{}, err
	}
	if err := apply.CheckTenant(ctx, tenant.Backend, want); err != nil {
		_ = tenant.Close()
		return Tenant{}, fmt.Errorf("%s: %w", tenant.Describe, err)
	}
	return tenant, nil
}

// credentialVars are the variables that make entrasync obtain a Graph
// token (see the README's credential table).
var credentialVars = []string{"ENTRASYNC_ACCESS_TOKEN", "AZURE_CLIENT_ID", "IDENTITY_ENDPOINT", "MSI_ENDPOINT"}

// checkEndpoint refuses to send a token to a --graph-url or
// --sharepoint-url that is not this machine unless --trust-graph-url says
// so, and warns when it does: a mistyped or planted URL would otherwise
// collect a token that can change the tenant.
func (a *app) checkEndpoint(flag, raw string, trust bool) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%s %q is not a URL", flag, raw)
	}
	if ip := net.ParseIP(u.Hostname()); u.Hostname() == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	if !slices.ContainsFunc(credentialVars, func(v string) bool { return a.deps.Getenv(v) != "" }) {
		return nil // no token to send
	}
	if !trust {
		return fmt.Errorf("%s %s is not on this machine, and credentials in the environment would send it a token; pass --trust-graph-url if you mean to", flag, u.Host)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("%s %s: a token is only sent over https", flag, raw)
	}
	fmt.Fprintf(a.stdio.Err, "warning: sending a token to %s (--trust-graph-url)\n", u.Host)
	return nil
}

// report prints diagnostics and turns errors into exit 1.
func (a *app) report(ds diag.Diagnostics) error {
	if len(ds) == 0 {
		return nil
	}
	if err := render.DiagnosticsText(a.stdio.Err, ds, render.Style{Color: a.colour()}); err != nil {
		return err
	}
	if a.summary != nil {
		a.summary.diags = append(a.summary.diags, ds...)
	}
	if ds.HasErrors() {
		return &exitCode{code: ExitError}
	}
	return nil
}

// history finds the groups as declared at the markers' commits for
// incremental sync; without a Git repository there is none, and planning
// degrades to add-only for incremental groups (the plan says so).
//
// Markers on many commits cost one load per version of the
// configuration's files, not per commit: commits that did not change them
// (a README, a workflow) share the load. Each version is loaded, the
// groups asked of it kept, and the rest let go before the next, so memory
// holds one whole configuration at a time however many versions there are.
func (f *planFlags) history() plan.History {
	repo, dir, err := f.source.open()
	if err != nil {
		return nil
	}
	return func(need map[string][]string, progress func(done, total int)) (plan.Declarations, error) {
		byDigest := map[string][]string{} // the commits of each version
		for _, commit := range slices.Sorted(maps.Keys(need)) {
			if !gitsrc.IsCommitHash(commit) || !repo.HasCommit(commit) {
				continue // unknown: left out
			}
			snap, err := repo.Read(commit, dir)
			if err != nil {
				return nil, fmt.Errorf("reading the configuration at %.12s: %w", commit, err)
			}
			digest := snap.Digest()
			byDigest[digest] = append(byDigest[digest], commit)
		}
		out := plan.Declarations{}
		versions := slices.Sorted(maps.Keys(byDigest))
		for i, digest := range versions {
			progress(i, len(versions))
			commits := byDigest[digest]
			// Read again rather than kept from the pass above: a snapshot
			// holds the files' text, and only one version is held at a time.
			snap, err := repo.Read(commits[0], dir)
			if err != nil {
				return nil, fmt.Errorf("reading the configuration at %.12s: %w", commits[0], err)
			}
			d := loadAt(snap)
			f.historyLoads++
			if d == nil {
				continue // does not load with this schema: unknown
			}
			for _, commit := range commits {
				out[commit] = plan.Pick(d, need[commit])
			}
		}
		progress(len(versions), len(versions))
		return out, nil
	}
}

// loadAt loads the configuration of a snapshot, or nil when it does not
// load with this schema: a commit then counts as unknown rather than
// have entrasync guess what it declared.
func loadAt(snap *gitsrc.Snapshot) *model.Desired {
	cfg, ds := config.Load(config.Files{Files: snap.Files, Dir: snap.Dir, Symlinks: snap.Symlinks})
	if cfg != nil {
		ds = append(ds, validate.Desired(cfg.Desired, cfg.Locate)...)
	}
	if ds.HasErrors() {
		return nil
	}
	return cfg.Desired
}

type planCmdFlags struct {
	planFlags
	out              string
	format           string
	detailedExitcode bool
}

func (a *app) planCmd() *cobra.Command {
	var f planCmdFlags
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change in the tenant",
		Long: `plan reads what the configuration needs from the tenant (in a bounded number of
requests) and shows, per address, the groups to create, update, adopt or
delete and the members and owners to add and remove, under each group's
membership mode. It writes nothing.

With --out it also writes the plan as JSON; 'entrasync apply plan.json' applies
exactly that plan, and refuses if the tenant changed in between.

Exit status: 0 no changes, 1 error, 2 changes present (with --detailed-exitcode).`,
		Example: `  entrasync plan --dir config --rev HEAD --tenant sim:examples/contoso/tenant.json
  entrasync plan --dir config --rev HEAD --out plan.json --format markdown > comment.md
  entrasync plan --dir config --rev HEAD --full --target groups.sg-finance`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runPlan(cmd.Context(), &f) },
	}
	f.register(cmd)
	cmd.Flags().StringVar(&f.out, "out", "", "also write the plan as JSON to this file (for apply)")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().BoolVar(&f.detailedExitcode, "detailed-exitcode", false, "exit 2 when the plan has changes")
	return cmd
}

func (a *app) runPlan(ctx context.Context, f *planCmdFlags) error {
	if err := oneOf("--format", f.format, "text", "json", "markdown"); err != nil {
		return err
	}
	a.beginSummary("plan", f.source.dir)
	pl, err := a.makePlan(ctx, &f.planFlags)
	if err != nil {
		return err
	}
	if err := pl.tenant.Close(); err != nil {
		return err
	}
	p := pl.plan
	p.Digest = p.ComputeDigest()
	if f.out != "" {
		var buf bytes.Buffer
		if err := render.PlanJSON(&buf, p); err != nil {
			return err
		}
		if err := os.WriteFile(f.out, buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	var md bytes.Buffer
	if f.format == "markdown" || a.summary != nil {
		if err := render.PlanMarkdown(&md, p, f.out); err != nil {
			return err
		}
		a.summarize(func(w io.Writer) error { _, err := w.Write(md.Bytes()); return err })
	}
	switch f.format {
	case "json":
		err = render.PlanJSON(a.stdio.Out, p)
	case "markdown":
		_, err = a.stdio.Out.Write(md.Bytes())
	default:
		err = render.PlanText(a.stdio.Out, p, render.Style{Color: a.colour()})
	}
	if err != nil {
		return err
	}
	if f.detailedExitcode && p.HasChanges() {
		return &exitCode{code: ExitChanges}
	}
	return nil
}

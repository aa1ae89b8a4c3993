package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/export"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/odata"
	"github.com/entrasync/entrasync/internal/validate"
)

type exportFlags struct {
	conn          planFlags // --tenant, --graph-url, --trust-graph-url
	out           string
	groups        string
	mode          string
	configuration string
	pkg           string
	groupsFile    string
	ctFile        string
	include       []string
	syncTargets   map[string]string
	overwrite     bool
}

// The kinds export writes, and the file of the cross-tenant ones.
const (
	includeGroups   = "groups"
	includePartners = "partners"
	includeDefault  = "default"
	includeSyncJobs = "syncJobs"
	// Profile mappings are not exported: see runExport.
	includeProfiles = "profileMappings"
)

// tenantFile is the file an export writes the tenant and the
// configuration's name to.
const tenantFile = "tenant.cue"

func (a *app) exportCmd() *cobra.Command {
	var f exportFlags
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Write the tenant's groups and cross-tenant configuration as a configuration that plans to no changes",
		Long: `export reads the tenant's groups with their members and owners, its
cross-tenant access policy and its cross-tenant synchronization jobs, and
writes them as a CUE configuration in --out: the tenant (tenant.cue), the
groups (groups.cue) and the rest (crosstenant.cue). Every object is bound
to its live object by id (adopt), and members, owners, settings, job scope
and mapping overrides are declared exactly as they are, so the first plan
changes nothing and the first apply only marks the objects as managed.

Keys come from mailNicknames; members are users by userPrincipalName,
devices by name when no other device has it, nested groups by key, and
anything else by id. Groups entrasync cannot manage (synchronized from
Active Directory, distribution lists, mail-enabled security groups, groups
another configuration manages) are skipped with a note, as are groups the
configuration in --out already declares: export one department at a time
into its own --groups-file. Exporting an unchanged tenant again writes the
same bytes, so a Git diff of a re-export (--overwrite) shows drift.

A synchronization job is declared with the mappings that differ from its
template's. Its target tenant is read from the record entrasync keeps on
the configuration app; Graph never returns a job's saved credentials, so
for an app set up by other means name it with --sync-target.

Profile mappings are not exported: neither Graph nor SharePoint records
which Entra attribute feeds which profile property.

It writes nothing to the tenant.`,
		Example: `  entrasync export --tenant sim:examples/contoso/tenant.json --out config
  entrasync export --tenant contoso.onmicrosoft.com --out config --groups "SG Finance" --groups-file finance.cue
  entrasync export --tenant $TENANT --out config --groups "startswith(mailNickname,'hr-')" --mode full
  entrasync export --tenant $TENANT --out config --overwrite && git diff --exit-code config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runExport(cmd.Context(), &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.conn.tenant, "tenant", "", `tenant to export: "sim:PATH" for the emulator on a state file, or its id or domain (required)`)
	fl.StringVar(&f.conn.graphURL, "graph-url", "", "Graph-compatible endpoint to use instead of Microsoft Graph")
	fl.BoolVar(&f.conn.trustGraphURL, "trust-graph-url", false, "send tokens from the environment's credentials to a --graph-url that is not on this machine")
	fl.StringVar(&f.out, "out", "", "directory to write the configuration to (required; created if missing)")
	fl.StringVar(&f.groups, "groups", "", `groups to export: an OData filter on /groups ("startswith(mailNickname,'hr-')"), or else a displayName prefix ("SG Finance"); default: every group`)
	fl.StringVar(&f.mode, "mode", string(model.ModeIncremental), `membership mode of the exported groups: "incremental" (members added by hand later are kept) or "full"`)
	fl.StringVar(&f.configuration, "configuration", "", `name of the configuration (default: the one in --out, else "default")`)
	fl.StringVar(&f.pkg, "package", "", `CUE package name (default: the one in --out, else "config")`)
	fl.StringVar(&f.groupsFile, "groups-file", "groups.cue", "file in --out the groups are written to")
	fl.StringVar(&f.ctFile, "crosstenant-file", "crosstenant.cue", "file in --out the cross-tenant policy is written to")
	fl.StringSliceVar(&f.include, "include", []string{includeGroups, includePartners, includeDefault, includeSyncJobs},
		"what to export: groups, partners (cross-tenant partner settings with identity sync), default (the tenant-wide cross-tenant policy) and syncJobs (cross-tenant synchronization jobs)")
	fl.StringToStringVar(&f.syncTargets, "sync-target", nil,
		"SERVICE_PRINCIPAL_ID=TENANT_ID: the target tenant of a synchronization job whose configuration app entrasync did not set up (repeatable)")
	fl.BoolVar(&f.overwrite, "overwrite", false, "replace files in --out that export would write and that differ")
	_ = cmd.MarkFlagRequired("tenant")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

// existingConfig is the configuration already in --out, without the
// groups file this export writes.
type existingConfig struct {
	dir   string
	pkg   string
	files config.Files
	// hasTenant says whether those files declare the tenant.
	hasTenant bool
	cfg       *config.Config
}

// configurationName is the schema's pattern for a configuration's name.
var configurationName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$`)

func (a *app) runExport(ctx context.Context, f *exportFlags) error {
	if err := oneOf("--mode", f.mode, string(model.ModeIncremental), string(model.ModeFull)); err != nil {
		return err
	}
	for _, file := range []struct{ flag, name string }{{"--groups-file", f.groupsFile}, {"--crosstenant-file", f.ctFile}} {
		if file.name == tenantFile || filepath.Base(file.name) != file.name || filepath.Ext(file.name) != ".cue" {
			return fmt.Errorf("%s %q: want a file name ending in .cue, other than %s", file.flag, file.name, tenantFile)
		}
	}
	if f.groupsFile == f.ctFile {
		return fmt.Errorf("--groups-file and --crosstenant-file are both %q", f.ctFile)
	}
	if f.configuration != "" && !configurationName.MatchString(f.configuration) {
		return fmt.Errorf("--configuration %q: lower-case letters, digits and dashes", f.configuration)
	}
	include := map[string]bool{}
	for _, k := range f.include {
		if k == includeProfiles {
			// SharePoint's import API writes profiles and reads back only
			// job states; which attribute fed which property is nowhere
			// but in the configuration that queued the import.
			return errors.New("--include profileMappings: profile mappings cannot be exported: neither Graph nor SharePoint records which Entra attribute feeds which profile property; declare them under profileMappings (the first apply imports every profile in scope)")
		}
		if err := oneOf("--include", k, includeGroups, includePartners, includeDefault, includeSyncJobs); err != nil {
			return err
		}
		include[k] = true
	}
	targets := map[string]string{}
	for sp, tid := range f.syncTargets {
		if !model.IsGUID(sp) || !model.IsGUID(tid) {
			return fmt.Errorf("--sync-target %s=%s: want SERVICE_PRINCIPAL_ID=TENANT_ID, both GUIDs", sp, tid)
		}
		targets[strings.ToLower(sp)] = strings.ToLower(tid)
	}
	filter, note := groupFilter(f.groups)
	if note != "" {
		fmt.Fprintln(a.stdio.Err, "note: "+note)
	}
	if a.deps.OpenTenant == nil {
		return errors.New("this build of entrasync cannot connect to a tenant")
	}
	if err := a.checkEndpoint("--graph-url", f.conn.graphURL, f.conn.trustGraphURL); err != nil {
		return err
	}
	rewritten := []string{f.groupsFile}
	crossTenant := include[includePartners] || include[includeDefault] || include[includeSyncJobs]
	if crossTenant {
		rewritten = append(rewritten, f.ctFile)
	}
	existing, err := readExisting(f.out, rewritten)
	if err != nil {
		return err
	}

	tenant, err := a.deps.OpenTenant(ctx, TenantSpec{Tenant: f.conn.tenant, GraphURL: f.conn.graphURL, ConfigTenant: f.conn.tenant, Getenv: a.deps.Getenv})
	if err != nil {
		return err
	}
	defer func() { _ = tenant.Close() }()
	tid, err := tenant.Backend.TenantID(ctx)
	if err != nil {
		return fmt.Errorf("%s: reading the tenant id: %w", tenant.Describe, err)
	}
	if model.IsGUID(f.conn.tenant) && !strings.EqualFold(tid, f.conn.tenant) {
		return fmt.Errorf("--tenant %s, but %s answers for tenant %s; nothing was written", f.conn.tenant, tenant.Describe, tid)
	}

	configuration, pkg := "default", "config"
	var d *model.Desired
	if existing != nil {
		if err := a.report(existing.load(tid)); err != nil {
			return err
		}
		d = existing.cfg.Desired
		if !strings.EqualFold(d.Tenant.ID, tid) {
			return fmt.Errorf("the configuration in %s is for tenant %s, but %s is tenant %s; nothing was written", f.out, d.Tenant.ID, tenant.Describe, tid)
		}
		configuration, pkg = d.Configuration, existing.pkg
		if f.configuration != "" && f.configuration != configuration {
			return fmt.Errorf("--configuration %s, but the configuration in %s is named %q; nothing was written", f.configuration, f.out, configuration)
		}
	} else if f.configuration != "" {
		configuration = f.configuration
	}
	if f.pkg != "" {
		if existing != nil && existing.pkg != "" && f.pkg != existing.pkg {
			return fmt.Errorf("--package %s, but the files in %s are package %s", f.pkg, f.out, existing.pkg)
		}
		pkg = f.pkg
	}

	taken := map[model.Kind]map[string]bool{}
	opts := export.Options{TenantID: tid, Configuration: configuration, Filter: filter, Progress: a.readProgress()}
	if d != nil {
		taken[model.KindGroup] = keySet(d.Groups)
		taken[model.KindPartner] = keySet(d.CrossTenant.Partners)
		taken[model.KindSyncJob] = keySet(d.CrossTenant.SyncJobs)
		if len(d.Groups) > 0 {
			opts.Declared = declaredGroups(d, tid, configuration)
		}
	}
	snap := &export.Snapshot{TenantID: tid}
	if include[includeGroups] {
		if snap, err = export.Read(ctx, tenant.Backend, opts); err != nil {
			return fmt.Errorf("%s: %w", tenant.Describe, err)
		}
	}
	withDefault := include[includeDefault]
	if withDefault && d != nil && d.CrossTenant.Default != nil {
		withDefault = false
		fmt.Fprintf(a.stdio.Err, "note: the configuration in %s already declares crossTenant.default; it is not exported\n", f.out)
	}
	if crossTenant {
		co := export.CrossTenantOptions{TenantID: tid, Configuration: configuration, Default: withDefault,
			Partners: include[includePartners], Jobs: include[includeSyncJobs], Existing: d, Targets: targets}
		if snap.Policies, err = export.ReadCrossTenant(ctx, tenant.Backend, co); err != nil {
			return fmt.Errorf("%s: %w", tenant.Describe, err)
		}
	}
	ro := export.RenderOptions{Package: pkg, Configuration: configuration, Mode: model.MembershipMode(f.mode),
		CrossTenantFile: f.ctFile, Taken: taken}
	if include[includeGroups] {
		ro.GroupsFile = f.groupsFile
	}
	if existing == nil || !existing.hasTenant {
		ro.TenantFile = tenantFile
	}
	files, notes, err := export.Render(snap, ro)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(a.stdio.Err, "note: "+n)
	}
	if len(snap.Groups) == 0 {
		files = slices.DeleteFunc(files, func(f export.File) bool { return f.Name == ro.GroupsFile })
	}
	skipped := len(snap.Skipped)
	if snap.Policies != nil {
		skipped += len(snap.Policies.Skipped)
	}
	if !slices.ContainsFunc(files, func(f export.File) bool { return f.Name != ro.TenantFile }) {
		fmt.Fprintf(a.stdio.Out, "Nothing to export from tenant %s (%d skipped); nothing was written.\n", tid, skipped)
		return nil
	}
	if err := writeExport(f.out, files, f.overwrite); err != nil {
		return err
	}
	names := make([]string, len(files))
	for i, file := range files {
		names[i] = file.Name
	}
	var what []string
	if include[includeGroups] {
		what = append(what, count(len(snap.Groups), "group"))
	}
	if p := snap.Policies; p != nil {
		if include[includePartners] {
			what = append(what, count(len(p.Partners), "partner"))
		}
		if include[includeSyncJobs] {
			what = append(what, count(len(p.Jobs), "synchronization job"))
		}
		if p.Default != nil {
			what = append(what, "the default policy")
		}
	}
	list := strings.Join(what, ", ")
	if n := len(what); n > 1 {
		list = strings.Join(what[:n-1], ", ") + " and " + what[n-1]
	}
	fmt.Fprintf(a.stdio.Out, "Exported %s from tenant %s to %s (%s); %d skipped.\n",
		list, tid, f.out, strings.Join(names, ", "), skipped)
	if tenant.Traffic != nil {
		t := tenant.Traffic()
		fmt.Fprintf(a.stdio.Out, "Read with %d requests in %d round trips (lower bound %d).\n", t.Requests, t.RoundTrips, snap.Bound())
	}
	return nil
}

// groupFilter turns --groups into an OData filter: the value itself when
// it parses as one, else a displayName prefix.
func groupFilter(v string) (filter, note string) {
	if v == "" {
		return "", ""
	}
	if _, err := odata.Parse(v); err == nil {
		return v, ""
	}
	return "startswith(displayName," + "'" + strings.ReplaceAll(v, "'", "''") + "')",
		fmt.Sprintf("--groups %s is not an OData filter: exporting the groups whose displayName starts with it", strconv.Quote(v))
}

// declaredGroups finds the key under which the existing configuration
// declares a live group: by this configuration's marker, or by adopt
// (by id or by mailNickname). The adoptions are indexed once: export
// asks for every listed group.
func declaredGroups(d *model.Desired, tenant, configuration string) func(entra.Group) (string, bool) {
	byID, byNick := map[string]string{}, map[string]string{}
	for _, key := range model.SortedKeys(d.Groups) {
		dg := d.Groups[key]
		if id, ok := strings.CutPrefix(dg.Adopt, "id:"); ok {
			byID[strings.ToLower(id)] = key
		} else if dg.Adopt == "mailNickname" {
			byNick[strings.ToLower(dg.MailNickname)] = key
		}
	}
	return func(g entra.Group) (string, bool) {
		if m := g.Marker; m != nil && m.Role == "" && m.Ours(tenant, configuration) {
			if key, ok := strings.CutPrefix(m.Address, "groups."); ok {
				if _, declared := d.Groups[key]; declared {
					return key, true
				}
			}
		}
		if key, ok := byID[strings.ToLower(g.ID)]; ok {
			return key, true
		}
		key, ok := byNick[strings.ToLower(g.MailNickname)]
		return key, ok
	}
}

// readExisting reads the configuration in dir, without the files this
// export rewrites; nil when there is none.
func readExisting(dir string, rewritten []string) (*existingConfig, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ex := &existingConfig{dir: dir, files: config.Files{Files: map[string][]byte{}, Dir: "."}}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".cue" || slices.Contains(rewritten, e.Name()) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		ex.files.Files[e.Name()] = data
		pkg, fields, err := config.Outline(e.Name(), data)
		if err != nil {
			continue // the load reports it, positioned
		}
		if ex.pkg == "" {
			ex.pkg = pkg
		}
		ex.hasTenant = ex.hasTenant || slices.Contains(fields, "tenant")
	}
	if len(ex.files.Files) == 0 {
		return nil, nil
	}
	return ex, nil
}

// load loads the existing configuration, with the tenant this export
// writes when no file of it declares one. Diagnostics name files under
// --out.
func (ex *existingConfig) load(tid string) diag.Diagnostics {
	files := ex.files
	if ex.pkg == "" {
		ex.pkg = "config" // files without a package clause: the load says so
	}
	if !ex.hasTenant {
		files.Files = maps.Clone(files.Files)
		files.Files[tenantFile] = fmt.Appendf(nil, "package %s\n\ntenant: id: %q\n", ex.pkg, tid)
	}
	cfg, ds := config.Load(files)
	if cfg != nil {
		ds = append(ds, validate.Desired(cfg.Desired, cfg.Locate)...)
	}
	for i := range ds {
		if r := ds[i].Subject; r != nil {
			r.Filename = filepath.ToSlash(filepath.Join(ex.dir, r.Filename))
		}
	}
	ex.cfg = cfg
	if cfg == nil && !ds.HasErrors() {
		ds.Errorf(nil, "", "the configuration in %s does not load", ex.dir)
	}
	return ds
}

// writeExport writes the files, each replaced atomically; a file that
// exists with other content is replaced only with overwrite, and then
// nothing is written unless every file may be.
func writeExport(dir string, files []export.File, overwrite bool) error {
	var differ []string
	for _, f := range files {
		old, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err == nil && !bytes.Equal(old, f.Data) {
			differ = append(differ, filepath.Join(dir, f.Name))
		}
	}
	if len(differ) > 0 && !overwrite {
		return fmt.Errorf("%s already exist with other content; pass --overwrite to replace them (nothing was written)", strings.Join(differ, ", "))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(dir, f.Name), f.Data); err != nil {
			return err
		}
	}
	return nil
}

// writeFileAtomic writes through a temporary file and a rename, so an
// interrupted export never leaves half a file.
func writeFileAtomic(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// readProgress draws one bar per stage of reading on a terminal (plan,
// export), and nothing elsewhere.
func (a *app) readProgress() func(stage string, done, total int) {
	p := a.progress("")
	if p == nil {
		return nil
	}
	current := ""
	return func(stage string, done, total int) {
		if stage != current {
			current = stage
			p.Start(total)
		}
		p.Step(done, stage)
		if done >= total {
			p.Finish()
		}
	}
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}

// count is n things, in the singular for one.
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}

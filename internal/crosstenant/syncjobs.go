package crosstenant

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/status"
)

// SyncJobs is the kind of crossTenant.syncJobs: a cross-tenant
// synchronization job with its configuration app.
//
// A job lives on a service principal instantiated from the cross-tenant
// synchronization application template. Creating one from nothing is a
// chain of requests, each depending on the one before: instantiate (its
// answer gives the service principal's id and app role), wait until the
// service principal is readable, validate credentials, create the job
// (its answer gives the job id), save the secrets, tag the service
// principal with the target tenant (secrets cannot be read back; the tag
// is how the next plan knows what was saved), assign the scope, write
// the schema, start. Apply learns the ids on the way ([plan.Step.Save]).
// Each step is one the next plan recognises as done, so an interrupted
// creation resumes where it stopped.
type SyncJobs struct{}

// SyncTemplate is the application template of configuration apps.
const SyncTemplate = entra.CrossTenantSyncTemplate

// ClaimSyncJob is the ownership record's list of configuration apps
// (by service principal id).
const ClaimSyncJob = "syncJobs"

// TargetTag prefixes the service principal tag that records the target
// tenant saved in the job's secrets.
const TargetTag = "entrasync:targetTenant="

// integratedAppTag is the tag that lists an app among enterprise
// applications; instantiated apps carry it.
const integratedAppTag = "WindowsAzureActiveDirectoryIntegratedApp"

// Graph paths of cross-tenant synchronization: a configuration app's
// jobs, who is assigned to it, a job's schema, and the schema a template
// starts jobs with.
func spPath(sp string) string          { return "servicePrincipals/" + sp }
func JobsPath(sp string) string        { return spPath(sp) + "/synchronization/jobs" }
func jobPath(sp, job string) string    { return JobsPath(sp) + "/" + job }
func AssignmentsPath(sp string) string { return spPath(sp) + "/appRoleAssignedTo" }
func SchemaPath(sp, job string) string { return jobPath(sp, job) + "/schema" }
func TemplateSchemaPath(sp, template string) string {
	return spPath(sp) + "/synchronization/templates/" + template + "/schema"
}
func instantiatePath() string { return "applicationTemplates/" + SyncTemplate + "/instantiate" }
func syncJobAddress(key string) string {
	return model.Address{Kind: model.KindSyncJob, Key: key}.String()
}
func savedName(addr, what string) string { return addr + "#" + what }

// ConfigurationAppsPath lists the template's service principals.
func ConfigurationAppsPath() string {
	return "servicePrincipals?$filter=" + url.PathEscape("applicationTemplateId eq '"+SyncTemplate+"'") +
		"&$select=id,appId,displayName,tags,appRoles,applicationTemplateId&$top=999"
}

// Keep lists: the properties of a job and an assignment plans depend on
// (a job's status changes by itself with every cycle).
var (
	jobKeep        = []string{"id", "templateId", "schedule"}
	assignmentKeep = []string{"id", "principalId", "appRoleId"}
	spKeep         = []string{"id", "appId", "displayName", "tags", "appRoles", "applicationTemplateId"}
)

// syncJobs is one plan's view of the jobs.
type syncJobs struct {
	env     *plan.Env
	apps    []entra.Document           // the template's service principals
	sps     map[string]entra.Document  // by lower-case id
	jobs    map[string]entra.Document  // the jobs collection by service principal
	assigns map[string]entra.Document  // the appRoleAssignedTo collection by service principal
	schemas map[string]entra.Document  // by schema path
	users   map[string]entra.Principal // scope users by lower-case reference
	out     plan.KindPlan
	ds      diag.Diagnostics
}

// Plan implements [plan.Kind]. It reads in two round trips: the template's
// service principals with, for every one this configuration knows, its
// jobs and assignments; then the job schemas.
func (SyncJobs) Plan(ctx context.Context, env *plan.Env) (plan.KindPlan, diag.Diagnostics, error) {
	declared := env.Desired.CrossTenant.SyncJobs
	claimed := env.Ownership.Ours(ClaimSyncJob)
	if len(declared) == 0 && len(claimed) == 0 {
		return plan.KindPlan{}, nil, nil
	}
	k := &syncJobs{env: env, sps: map[string]entra.Document{}, jobs: map[string]entra.Document{},
		assigns: map[string]entra.Document{}, schemas: map[string]entra.Document{}}
	known := map[string]bool{}
	for _, c := range claimed {
		if c.ID != plan.PendingID {
			known[strings.ToLower(c.ID)] = true
		}
	}
	for _, j := range declared {
		if id, ok := strings.CutPrefix(j.Adopt, "id:"); ok {
			known[strings.ToLower(id)] = true
		}
	}
	docs, err := env.Reader.Documents(ctx, append([]string{ConfigurationAppsPath()}, k.paths(known)...))
	if err != nil {
		return plan.KindPlan{}, nil, fmt.Errorf("reading cross-tenant synchronization: %w", err)
	}
	apps, _ := docs[ConfigurationAppsPath()]["value"].([]any)
	for _, a := range apps {
		if m, ok := a.(map[string]any); ok {
			k.apps = append(k.apps, m)
		}
	}
	k.keepDocs(docs, known)
	// An apply that stopped before recording the id of the app it created
	// left a pending claim: the one unrecorded app of the declared name is
	// that app, read now (only then does this cost a round trip).
	resumed := map[string]bool{}
	for key, j := range declared {
		if c, ok := env.Ownership.ClaimedKey(ClaimSyncJob, key); ok && c.ID == plan.PendingID {
			if found := k.unclaimedApps(j.DisplayName); len(found) == 1 {
				resumed[strings.ToLower(str(found[0]["id"]))] = true
			}
		}
	}
	if len(resumed) > 0 {
		docs, err := env.Reader.Documents(ctx, k.paths(resumed))
		if err != nil {
			return plan.KindPlan{}, nil, fmt.Errorf("reading cross-tenant synchronization: %w", err)
		}
		k.keepDocs(docs, resumed)
	}
	// The schema of every job on those apps (an app has one job of its
	// template; which one a declaration wants is decided later).
	var schemaPaths []string
	for sp := range k.sps {
		items, _ := k.jobs[sp]["value"].([]any)
		for _, it := range items {
			j, _ := it.(map[string]any)
			schemaPaths = append(schemaPaths, SchemaPath(sp, str(j["id"])))
		}
	}
	if len(schemaPaths) > 0 {
		slices.Sort(schemaPaths)
		if k.schemas, err = env.Reader.Documents(ctx, schemaPaths); err != nil {
			return plan.KindPlan{}, nil, fmt.Errorf("reading synchronization schemas: %w", err)
		}
	}
	if err := k.resolveUsers(ctx); err != nil {
		return plan.KindPlan{}, nil, err
	}
	for _, key := range model.SortedKeys(declared) {
		k.declared(key, declared[key])
	}
	k.orphans()
	for key := range declared {
		k.out.Addresses = append(k.out.Addresses, syncJobAddress(key))
	}
	for _, c := range claimed {
		k.out.Addresses = append(k.out.Addresses, syncJobAddress(c.Key))
	}
	return k.out, k.ds, nil
}

// paths are what is read of each service principal.
func (k *syncJobs) paths(ids map[string]bool) []string {
	var out []string
	for _, sp := range slices.Sorted(maps.Keys(ids)) {
		out = append(out, spPath(sp), JobsPath(sp), AssignmentsPath(sp))
	}
	return out
}

// keepDocs keeps what was read of the service principals that exist.
func (k *syncJobs) keepDocs(docs map[string]entra.Document, ids map[string]bool) {
	for sp := range ids {
		if d, ok := docs[spPath(sp)]; ok {
			k.sps[sp] = d
			k.jobs[sp] = docs[JobsPath(sp)]
			k.assigns[sp] = docs[AssignmentsPath(sp)]
		}
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// job is the service principal's job of the template, nil when there is
// none.
func (k *syncJobs) job(sp, templateID string) entra.Document {
	items, _ := k.jobs[sp]["value"].([]any)
	for _, it := range items {
		j, _ := it.(map[string]any)
		if strings.EqualFold(str(j["templateId"]), templateID) {
			return j
		}
	}
	return nil
}

// resolveUsers looks up every scope user named by UPN, in one call.
func (k *syncJobs) resolveUsers(ctx context.Context) error {
	var upns []string
	for key, j := range k.env.Desired.CrossTenant.SyncJobs {
		if !k.env.Targeted(syncJobAddress(key)) {
			continue
		}
		for _, u := range j.Scope.Users {
			if !strings.HasPrefix(u, "id:") {
				upns = append(upns, u)
			}
		}
	}
	k.users = map[string]entra.Principal{}
	if len(upns) == 0 {
		return nil
	}
	found, err := k.env.Reader.ResolveUsers(ctx, upns)
	if err != nil {
		return fmt.Errorf("resolving sync job scope users: %w", err)
	}
	for ref, p := range found {
		k.users[strings.ToLower(ref)] = p
	}
	return nil
}

// scopeIDs resolves a job's scope to principal ids (a group this plan
// creates is its placeholder), with the reference each came from.
func (k *syncJobs) scopeIDs(key string, j model.SyncJob) map[string]string {
	out := map[string]string{}
	for i, g := range j.Scope.Groups {
		at := model.Path("crossTenant", "syncJobs", key, "scope", "groups", i)
		if id, ok := strings.CutPrefix(g, "id:"); ok {
			out[strings.ToLower(id)] = g
		} else if id, ok := k.env.GroupRef(g); ok {
			out[strings.ToLower(id)] = g
		} else {
			k.ds.Errorf(k.env.Locate(at), at, "group %q is not declared here and is not an id:GUID", g)
		}
	}
	for i, u := range j.Scope.Users {
		at := model.Path("crossTenant", "syncJobs", key, "scope", "users", i)
		if id, ok := strings.CutPrefix(u, "id:"); ok {
			out[strings.ToLower(id)] = u
			continue
		}
		switch p, ok := k.users[strings.ToLower(u)]; {
		case !ok:
			k.ds.Errorf(k.env.Locate(at), at, "no user %q in the tenant", u)
		case len(p.Candidates) > 0:
			k.ds.Errorf(k.env.Locate(at), at, "%q names %d users; name the one meant by id:GUID", u, len(p.Candidates))
		default:
			out[strings.ToLower(p.ID)] = u
		}
	}
	return out
}

// unclaimedApps are the template's service principals named name that no
// configuration's record holds.
func (k *syncJobs) unclaimedApps(name string) []entra.Document {
	var out []entra.Document
	for _, a := range k.apps {
		id := str(a["id"])
		if str(a["displayName"]) != name || k.env.Ownership.ForeignOwner(ClaimSyncJob, id) != "" {
			continue
		}
		if _, ours := k.env.Ownership.Claimed(ClaimSyncJob, id); ours {
			continue
		}
		out = append(out, a)
	}
	return out
}

func (k *syncJobs) declared(key string, j model.SyncJob) {
	addr := syncJobAddress(key)
	claim, claimed := k.env.Ownership.ClaimedKey(ClaimSyncJob, key)
	if !k.env.Targeted(addr) {
		if claimed {
			k.out.Claims = append(k.out.Claims, claim)
		}
		return
	}
	at := func(elems ...any) string {
		return model.Path(append([]any{"crossTenant", "syncJobs", key}, elems...)...)
	}
	c := plan.ObjectChange{Address: addr, Name: j.DisplayName}
	next := plan.Claim{Kind: ClaimSyncJob, Key: key, Origin: entra.OriginCreated}
	var sp entra.Document
	switch adoptID, adopting := strings.CutPrefix(j.Adopt, "id:"); {
	case claimed && claim.ID != plan.PendingID:
		next.Origin = claim.Origin
		if sp = k.sps[strings.ToLower(claim.ID)]; sp == nil {
			c.Notes = append(c.Notes, fmt.Sprintf("its configuration app (service principal %s) was deleted outside entrasync; it is created again", claim.ID))
		}
	case claimed:
		// An apply created the app, or was about to, and stopped before
		// recording its id: the one unclaimed app of that name is it.
		switch found := k.unclaimedApps(j.DisplayName); len(found) {
		case 0:
		case 1:
			if sp = k.sps[strings.ToLower(str(found[0]["id"]))]; sp == nil {
				k.ds.Errorf(k.env.Locate(at("displayName")), at("displayName"),
					"configuration app %q (service principal %s) is listed but not readable yet (replication); plan again in a minute", j.DisplayName, str(found[0]["id"]))
				return
			}
			c.Notes = append(c.Notes, fmt.Sprintf("resuming an interrupted creation: service principal %s is the configuration app it created", str(sp["id"])))
		default:
			k.ds.Errorf(k.env.Locate(at("displayName")), at("displayName"),
				"an interrupted apply was creating configuration app %q, and %d unrecorded apps have that name; set adopt: \"id:<GUID>\" to the one to keep", j.DisplayName, len(found))
			return
		}
	case adopting:
		sp = k.sps[strings.ToLower(adoptID)]
		switch {
		case sp == nil:
			k.ds.Errorf(k.env.Locate(at("adopt")), at("adopt"), "no service principal %s in the tenant", adoptID)
			return
		case !strings.EqualFold(str(sp["applicationTemplateId"]), SyncTemplate):
			k.ds.Errorf(k.env.Locate(at("adopt")), at("adopt"), "service principal %s is not a cross-tenant synchronization configuration app", adoptID)
			return
		}
		next.Origin = entra.OriginAdopted
		c.Action = plan.Adopt
		c.Notes = append(c.Notes, "adopted: prune will stop managing it, never delete it")
	default:
		if found := k.unclaimedApps(j.DisplayName); len(found) > 0 {
			k.ds.Errorf(k.env.Locate(at("displayName")), at("displayName"),
				"a configuration app named %q already exists (service principal %s) and no configuration manages it; set adopt: \"id:%s\" to take it over, or choose another displayName",
				j.DisplayName, str(found[0]["id"]), str(found[0]["id"]))
			return
		}
	}
	if sp != nil {
		if owner := k.env.Ownership.ForeignOwner(ClaimSyncJob, str(sp["id"])); owner != "" {
			k.ds.Errorf(k.env.Locate(at("adopt")), at("adopt"),
				"service principal %s is managed by configuration %q; a configuration never changes or takes over another's", str(sp["id"]), owner)
			return
		}
	}
	scope := k.scopeIDs(key, j)
	b := jobBuilder{k: k, c: &c, key: key, j: j, at: at, scope: scope}
	if sp == nil {
		c.Action = plan.Create
		b.create()
		next.ID = plan.Ref(savedName(addr, "servicePrincipal"))
	} else {
		next.ID = strings.ToLower(str(sp["id"]))
		b.update(sp)
	}
	if c.Action == "" {
		c.Action = plan.NoOp
		if len(c.Steps) > 0 {
			c.Action = plan.Update
		}
	}
	k.out.Claims = append(k.out.Claims, next)
	k.out.Changes = append(k.out.Changes, c)
}

// orphans plans the claimed jobs no key declares any more: the
// configuration app is deleted with --prune when this configuration
// created it, released when it adopted it, noted otherwise.
func (k *syncJobs) orphans() {
	for _, claim := range k.env.Ownership.Ours(ClaimSyncJob) {
		addr := syncJobAddress(claim.Key)
		if _, ok := k.env.Desired.CrossTenant.SyncJobs[claim.Key]; ok {
			continue
		}
		if !k.env.Targeted(addr) {
			k.out.Claims = append(k.out.Claims, claim)
			continue
		}
		sp := k.sps[strings.ToLower(claim.ID)]
		switch {
		case claim.ID == plan.PendingID:
			k.out.Notes = append(k.out.Notes, fmt.Sprintf("%s was being created by an interrupted apply and is no longer declared; the ownership record forgets it (look for its configuration app under Enterprise applications)", addr))
		case sp == nil:
			k.out.Notes = append(k.out.Notes, fmt.Sprintf("%s (service principal %s) was deleted outside entrasync; the ownership record forgets it", addr, claim.ID))
		case !k.env.Options.Prune:
			k.out.Claims = append(k.out.Claims, claim)
			k.out.Notes = append(k.out.Notes, fmt.Sprintf("%s (service principal %s) is no longer declared; plan with --prune to %s it", addr, claim.ID, pruneVerb(claim.Origin)))
		case claim.Origin != entra.OriginCreated:
			k.out.Changes = append(k.out.Changes, plan.ObjectChange{Address: addr, Action: plan.Release, Name: str(sp["displayName"]),
				Reads: []plan.DocumentRead{plan.Read(spPath(claim.ID), sp, spKeep...)},
				Notes: []string{"adopted, not created, by this configuration: it stays, and is no longer managed"}})
		default:
			k.out.Changes = append(k.out.Changes, plan.ObjectChange{Address: addr, Action: plan.Delete, Name: str(sp["displayName"]),
				Fields: []plan.FieldChange{{Path: "servicePrincipal", Before: claim.ID}},
				Reads:  []plan.DocumentRead{plan.Read(spPath(claim.ID), sp, spKeep...)},
				Steps: []plan.Step{{Phase: plan.PhaseRemove, What: "delete the configuration app's service principal, and its jobs with it",
					Request: entra.Request{Method: "DELETE", Path: spPath(claim.ID)}, Deletes: &claim}},
				Notes: []string{"the application registration " + str(sp["appId"]) + " stays (Graph deletes it separately); delete it under App registrations when nothing else uses it"}})
		}
	}
}

// Status reports the partners and sync jobs this configuration's
// ownership record holds, and the default policy once an apply changed
// it: the commit and time of the last apply that changed each, whether
// each still exists and, for jobs, how the job runs (one round trip for
// everything).
func Status(ctx context.Context, r entra.Reader, own *plan.Ownership) ([]status.Object, error) {
	partners, jobs := own.Ours(ClaimPartner), own.Ours(ClaimSyncJob)
	var paths []string
	for _, c := range partners {
		paths = append(paths, partnerPath(strings.ToLower(c.ID)))
	}
	for _, c := range jobs {
		if c.ID != plan.PendingID {
			paths = append(paths, spPath(c.ID), JobsPath(c.ID))
		}
	}
	docs, err := r.Documents(ctx, paths)
	if err != nil {
		return nil, fmt.Errorf("reading cross-tenant objects: %w", err)
	}
	var out []status.Object
	stamped := func(o status.Object) status.Object {
		o.Commit, o.AppliedAt, _ = own.Applied(o.Address)
		return o
	}
	for _, c := range partners {
		tid := strings.ToLower(c.ID)
		out = append(out, stamped(status.Object{Address: address(c.Key), Name: "tenant " + tid, ID: tid, Origin: c.Origin,
			Missing: docs[partnerPath(tid)] == nil}))
	}
	// The default policy is never created or deleted: it is in the
	// status once an apply changed it.
	if def := stamped(status.Object{Address: model.Address{Kind: model.KindDefaultPolicy}.String(), Name: "default cross-tenant access settings"}); def.AppliedAt != "" {
		out = append(out, def)
	}
	for _, c := range jobs {
		o := stamped(status.Object{Address: syncJobAddress(c.Key), ID: c.ID, Origin: c.Origin})
		sp := docs[spPath(c.ID)]
		if c.ID == plan.PendingID || sp == nil {
			o.Missing = true
			out = append(out, o)
			continue
		}
		o.Name = str(sp["displayName"])
		items, _ := docs[JobsPath(c.ID)]["value"].([]any)
		for _, it := range items {
			if j, ok := it.(map[string]any); ok {
				o.Job = status.JobOf(j)
				break
			}
		}
		out = append(out, o)
	}
	return out, nil
}

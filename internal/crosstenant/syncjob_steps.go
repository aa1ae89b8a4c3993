package crosstenant

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/syncschema"
)

// jobBuilder plans the requests of one declared job.
type jobBuilder struct {
	k   *syncJobs
	c   *plan.ObjectChange
	key string
	j   model.SyncJob
	at  func(elems ...any) string
	// scope maps the ids of the principals to assign to their references.
	scope map[string]string
}

func (b *jobBuilder) step(what, method, path string, body map[string]any) *plan.Step {
	b.c.Steps = append(b.c.Steps, plan.Step{Phase: plan.PhaseWrite, What: what,
		Request: entra.Request{Method: method, Path: path, Body: body}})
	return &b.c.Steps[len(b.c.Steps)-1]
}

func (b *jobBuilder) field(path string, before, after any) {
	b.c.Fields = append(b.c.Fields, plan.FieldChange{Path: path, Before: before, After: after})
}

// create plans a job from nothing: the configuration app first.
func (b *jobBuilder) create() {
	addr := b.c.Address
	s := b.step("create the configuration app from the cross-tenant synchronization template", "POST", instantiatePath(),
		map[string]any{"displayName": b.j.DisplayName})
	s.Save = map[string]string{savedName(addr, "servicePrincipal"): "servicePrincipal.id",
		savedName(addr, "appRole"): "servicePrincipal.appRoles.0.id"}
	sp := plan.Ref(savedName(addr, "servicePrincipal"))
	b.step("wait until its service principal is readable (replication)", "GET", spPath(sp), nil).Await = true
	b.field("displayName", nil, b.j.DisplayName)
	b.job(sp, plan.Ref(savedName(addr, "appRole")), nil, []string{integratedAppTag}, nil, nil)
}

// update plans an existing configuration app's job.
func (b *jobBuilder) update(sp entra.Document) {
	id := strings.ToLower(str(sp["id"]))
	job := b.k.job(id, b.j.TemplateID)
	b.c.Reads = append(b.c.Reads, plan.Read(spPath(id), sp, spKeep...), plan.Read(JobsPath(id), b.k.jobs[id], jobKeep...),
		plan.Read(AssignmentsPath(id), b.k.assigns[id], assignmentKeep...))
	var schema entra.Document
	if job != nil {
		schema = b.k.schemas[SchemaPath(id, str(job["id"]))]
		b.c.Reads = append(b.c.Reads, plan.Read(SchemaPath(id, str(job["id"])), schema))
	}
	if name := str(sp["displayName"]); name != b.j.DisplayName {
		b.field("displayName", name, b.j.DisplayName)
		b.step("rename the configuration app's service principal", "PATCH", spPath(id), map[string]any{"displayName": b.j.DisplayName})
	}
	role := ""
	roles, _ := sp["appRoles"].([]any)
	for _, r := range roles {
		rm, _ := r.(map[string]any)
		if role == "" || rm["value"] == "msiam_access" {
			role = str(rm["id"])
		}
	}
	var tags []string
	list, _ := sp["tags"].([]any)
	for _, t := range list {
		tags = append(tags, str(t))
	}
	b.job(id, role, job, tags, b.k.assigns[id], schema)
}

// job plans the job on a service principal (an id, or the placeholder of
// one created by this apply): credentials and the job itself when
// missing or pointed elsewhere, then scope, schema and schedule.
func (b *jobBuilder) job(sp, role string, job entra.Document, tags []string, assigns, schema entra.Document) {
	addr := b.c.Address
	tid := strings.ToLower(b.j.TargetTenantID)
	saved := ""
	for _, t := range tags {
		if v, ok := strings.CutPrefix(t, TargetTag); ok {
			saved = strings.ToLower(v)
		}
	}
	jobID := plan.Ref(savedName(addr, "job"))
	if job != nil {
		jobID = str(job["id"])
	}
	if saved != tid {
		b.field("targetTenantId", nilIfEmpty(saved), tid)
	}
	if saved != tid || job == nil {
		creds := []any{map[string]any{"key": "CompanyId", "value": tid}, map[string]any{"key": "AuthenticationType", "value": "SyncPolicy"}}
		b.step("validate the credentials for tenant "+tid, "POST", JobsPath(sp)+"/validateCredentials",
			map[string]any{"useSavedCredentials": false, "templateId": b.j.TemplateID, "credentials": creds})
	}
	if job == nil {
		b.field("job", nil, b.j.TemplateID)
		b.step("create the synchronization job from template "+b.j.TemplateID, "POST", JobsPath(sp),
			map[string]any{"templateId": b.j.TemplateID}).Save = map[string]string{savedName(addr, "job"): "id"}
	}
	if saved != tid || job == nil {
		b.step("save the job's secrets: target tenant "+tid+", SyncPolicy authentication", "PUT", spPath(sp)+"/synchronization/secrets",
			map[string]any{"value": []any{
				map[string]any{"key": "AuthenticationType", "value": "SyncPolicy"},
				map[string]any{"key": "CompanyId", "value": tid},
				map[string]any{"key": "SyncNotificationSettings", "value": `{"Enabled":false,"DeleteThresholdEnabled":false,"HumanResourcesLookaheadQueryEnabled":false}`},
				map[string]any{"key": "SyncAll", "value": "false"}}})
		next := []any{}
		for _, t := range tags {
			if !strings.HasPrefix(t, TargetTag) {
				next = append(next, t)
			}
		}
		b.step("tag the service principal with the target tenant (secrets cannot be read back)", "PATCH", spPath(sp),
			map[string]any{"tags": append(next, TargetTag+tid)})
	}
	b.assignments(sp, role, assigns)
	b.schema(sp, jobID, job != nil, schema)
	b.schedule(sp, jobID, job)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// assignments assigns the declared scope and unassigns the rest.
func (b *jobBuilder) assignments(sp, role string, assigns entra.Document) {
	live := map[string]entra.Document{}
	items, _ := assigns["value"].([]any)
	for _, it := range items {
		a, _ := it.(map[string]any)
		live[strings.ToLower(str(a["principalId"]))] = a
	}
	ref := func(id string) string {
		if r, ok := b.scope[id]; ok {
			return r
		}
		return "id:" + id + " (" + str(live[id]["principalDisplayName"]) + ")"
	}
	var before, after []string
	for id := range live {
		before = append(before, ref(id))
	}
	for _, id := range slices.Sorted(maps.Keys(b.scope)) {
		after = append(after, ref(id))
		if live[id] == nil {
			b.step("assign "+ref(id), "POST", AssignmentsPath(sp),
				map[string]any{"principalId": id, "resourceId": sp, "appRoleId": role})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(live)) {
		if _, keep := b.scope[id]; !keep {
			b.step("unassign "+ref(id), "DELETE", AssignmentsPath(sp)+"/"+str(live[id]["id"]), nil)
		}
	}
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		b.field("scope", before, after)
	}
}

// schema writes the overrides through one read-merge-write of the job's
// schema, when they change anything (always for a new job that has
// overrides).
func (b *jobBuilder) schema(sp, jobID string, exists bool, schema entra.Document) {
	o := syncschema.FromJob(b.j)
	var changes []syncschema.Change
	var err error
	if exists {
		_, changes, err = syncschema.Apply(schema, o)
	} else {
		changes, err = syncschema.Preview(o, syncschema.Azure2AzureUserAttributes)
	}
	var unknown syncschema.UnknownAttributesError
	switch {
	case errors.As(err, &unknown):
		for _, a := range unknown.Attributes {
			at := b.at("attributeMappings", a)
			b.k.ds.Errorf(b.k.env.Locate(at), at, "the %s template's target User object has no attribute %q", b.j.TemplateID, a)
		}
		return
	case err != nil:
		b.k.ds.Errorf(b.k.env.Locate(b.at()), b.at(), "the job's schema: %v", err)
		return
	case len(changes) == 0:
		return
	}
	var what []string
	for _, ch := range changes {
		b.field("schema."+ch.Path, ch.Before, ch.After)
		what = append(what, ch.Path)
	}
	s := b.step(fmt.Sprintf("write the schema with %s (read, merged, written whole: every other rule stays as it is)", strings.Join(what, ", ")),
		"PUT", jobPath(sp, jobID)+"/schema", o.Body())
	s.Merge = plan.MergeSynchronizationSchema
}

// schedule starts or pauses the job to match schedule.state. Graph v1.0
// has no request that changes a job's interval, so a different one is
// reported, not written.
func (b *jobBuilder) schedule(sp, jobID string, job entra.Document) {
	state, interval := "Disabled", "PT40M" // a new job's (Graph's answer to the create)
	if job != nil {
		sched, _ := job["schedule"].(map[string]any)
		state, interval = str(sched["state"]), str(sched["interval"])
	}
	want := b.j.Schedule.State
	switch {
	case want == "Active" && state != "Active":
		b.field("schedule.state", state, want)
		b.step("start the job", "POST", jobPath(sp, jobID)+"/start", nil)
	case want != "Active" && state == "Active":
		b.field("schedule.state", state, want)
		b.step("pause the job (its progress is kept; starting it resumes)", "POST", jobPath(sp, jobID)+"/pause", nil)
	}
	if interval != b.j.Schedule.Interval {
		b.c.Notes = append(b.c.Notes, fmt.Sprintf("schedule.interval is %s in the tenant and %s here; Graph v1.0 has no request that changes a job's interval, so set it in the Entra admin center", interval, b.j.Schedule.Interval))
	}
}

package crosstenant

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

const (
	appSP             = "11111111-1111-4111-8111-111111111111"
	otherSP           = "22222222-2222-4222-8222-222222222222"
	jobID             = "Azure2Azure.abc." + appSP
	userA             = "00000000-0000-4000-8000-00000000000a"
	strangerPrincipal = "00000000-0000-4000-8000-0000000000ff"
)

// liveApp puts a configuration app with a running job, one assignment of
// userA and one of a principal nobody declared, and the target tag.
func liveApp(fake *entratest.Fake, interval string, listed ...map[string]any) {
	sp := map[string]any{"id": appSP, "appId": "a", "displayName": "Fabrikam sync", "applicationTemplateId": SyncTemplate,
		"tags": []any{integratedAppTag, TargetTag + fabrikam}, "appRoles": []any{map[string]any{"id": "role", "value": "msiam_access"}}}
	fake.PutDocument(spPath(appSP), sp)
	fake.PutDocument(ConfigurationAppsPath(), map[string]any{"value": append([]any{sp}, anys(listed)...)})
	fake.PutDocument(JobsPath(appSP), map[string]any{"value": []any{map[string]any{"id": jobID, "templateId": "Azure2Azure",
		"schedule": map[string]any{"state": "Active", "interval": interval}}}})
	fake.PutDocument(AssignmentsPath(appSP), map[string]any{"value": []any{
		map[string]any{"id": "as-a", "principalId": userA, "appRoleId": "role"},
		map[string]any{"id": "as-x", "principalId": strangerPrincipal, "appRoleId": "role", "principalDisplayName": "Mallory"}}})
	fake.PutDocument(SchemaPath(appSP, jobID), map[string]any{"synchronizationRules": []any{map[string]any{
		"targetDirectoryName": "Target", "objectMappings": []any{map[string]any{"sourceObjectName": "User", "targetObjectName": "User",
			"attributeMappings": []any{}}}}}})
}

func anys(ms []map[string]any) []any {
	out := make([]any, len(ms))
	for i, m := range ms {
		out[i] = m
	}
	return out
}

func job(adopt string) model.SyncJob {
	return model.SyncJob{DisplayName: "Fabrikam sync", TargetTenantID: fabrikam, TemplateID: "Azure2Azure", Adopt: adopt,
		Schedule: model.SyncSchedule{Interval: "PT40M", State: "Active"}, Scope: model.SyncScope{Users: []string{"id:" + userA}}}
}

func planJobs(t *testing.T, fake *entratest.Fake, j model.SyncJob) (plan.KindPlan, diag.Diagnostics) {
	t.Helper()
	d := &model.Desired{Tenant: model.Tenant{ID: tenant}, Configuration: "it"}
	d.CrossTenant.SyncJobs = map[string]model.SyncJob{"fabrikam": j}
	own, err := plan.ReadOwnership(context.Background(), fake, tenant, "it")
	if err != nil {
		t.Fatal(err)
	}
	env := &plan.Env{Reader: fake, Desired: d, Locate: func(string) *diag.Range { return nil }, Configuration: "it", Tenant: tenant,
		Ownership: own, GroupRef: func(string) (string, bool) { return "", false }}
	kp, ds, err := SyncJobs{}.Plan(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	return kp, ds
}

func jobSteps(kp plan.KindPlan) []string {
	var out []string
	for _, c := range kp.Changes {
		for _, s := range c.Steps {
			out = append(out, s.Request.Method+" "+strings.ReplaceAll(s.Request.Path, appSP, "SP"))
		}
	}
	return out
}

func TestSyncJobs(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(f *entratest.Fake)
		job      model.SyncJob
		steps    []string
		notes    string // in a change's notes
		errorHas string
	}{
		{name: "recorded job: the stranger is unassigned, the interval reported, not written",
			setup: func(f *entratest.Fake) { liveApp(f, "PT20M"); record(f, "syncJobs fabrikam="+appSP+":created") },
			job:   job(""), steps: []string{"DELETE servicePrincipals/SP/appRoleAssignedTo/as-x"},
			notes: "schedule.interval is PT20M in the tenant and PT40M here"},
		{name: "an unrecorded app of the same name is never taken silently",
			setup: func(f *entratest.Fake) { liveApp(f, "PT40M") }, job: job(""),
			errorHas: `a configuration app named "Fabrikam sync" already exists (service principal ` + appSP + `)`},
		{name: "adopted by id", setup: func(f *entratest.Fake) { liveApp(f, "PT40M") }, job: job("id:" + appSP),
			steps: []string{"DELETE servicePrincipals/SP/appRoleAssignedTo/as-x"}, notes: "adopted: prune will stop managing it"},
		{name: "adopting a service principal that is not a configuration app",
			setup: func(f *entratest.Fake) {
				liveApp(f, "PT40M")
				f.PutDocument(spPath(otherSP), map[string]any{"id": otherSP, "displayName": "Payroll"})
			},
			job: job("id:" + otherSP), errorHas: "is not a cross-tenant synchronization configuration app"},
		{name: "another configuration's app",
			setup: func(f *entratest.Fake) {
				liveApp(f, "PT40M")
				f.PutDocument("organization/"+tenant+"/extensions/"+plan.OwnershipExtension+"hr", map[string]any{
					"extensionName": plan.OwnershipExtension + "hr", "syncJobs": []any{"x=" + appSP + ":created"}})
			},
			job: job("id:" + appSP), errorHas: `managed by configuration "hr"`},
		{name: "a pending claim and two apps of its name",
			setup: func(f *entratest.Fake) {
				liveApp(f, "PT40M", map[string]any{"id": otherSP, "displayName": "Fabrikam sync", "applicationTemplateId": SyncTemplate})
				record(f, "syncJobs fabrikam=new:created")
			},
			job: job(""), errorHas: "2 unrecorded apps have that name"},
		{name: "a pending claim and its app: resumed, nothing created again",
			setup: func(f *entratest.Fake) { liveApp(f, "PT40M"); record(f, "syncJobs fabrikam=new:created") },
			job:   job(""), steps: []string{"DELETE servicePrincipals/SP/appRoleAssignedTo/as-x"}, notes: "resuming an interrupted creation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := entratest.New()
			tc.setup(fake)
			kp, ds := planJobs(t, fake, tc.job)
			if tc.errorHas != "" {
				if !ds.HasErrors() || !strings.Contains(ds[0].Summary, tc.errorHas) {
					t.Fatalf("diagnostics = %v, want %q", ds, tc.errorHas)
				}
				return
			}
			if ds.HasErrors() {
				t.Fatal(ds)
			}
			if diff := cmp.Diff(tc.steps, jobSteps(kp)); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if notes := strings.Join(kp.Changes[0].Notes, "\n"); !strings.Contains(notes, tc.notes) {
				t.Errorf("notes = %q, want %q", notes, tc.notes)
			}
		})
	}
}

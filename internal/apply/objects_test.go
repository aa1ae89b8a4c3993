package apply

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/plan"
)

const fabrikam = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"

func objectPlan() *plan.Plan {
	record := plan.OwnershipPath(entratest.FakeTenant, "it")
	return &plan.Plan{FormatVersion: plan.FormatVersion, Tenant: entratest.FakeTenant, Configuration: "it", Objects: []plan.ObjectChange{
		{Address: "crossTenant.partners.fabrikam", Action: plan.Create, Steps: []plan.Step{
			{Phase: plan.PhaseWrite, Request: entra.Request{Method: "POST", Path: "policies/crossTenantAccessPolicy/partners",
				Body: map[string]any{"tenantId": fabrikam, "b2bDirectConnectOutbound": map[string]any{"usersAndGroups": map[string]any{
					"targets": []any{map[string]any{"target": plan.AddressRef("groups.staff"), "targetType": "group"}}}}}}}}},
		{Address: plan.OwnershipAddress, Action: plan.Create, Steps: []plan.Step{
			{Phase: plan.PhaseClaim, Request: entra.Request{Method: "PUT", Path: record, Body: map[string]any{"partners": []any{"fabrikam=" + fabrikam + ":created"}}}}}},
	}}
}

// TestObjectsClaimFirst: nothing is created unless the ownership record
// claimed it first.
func TestObjectsClaimFirst(t *testing.T) {
	fake := entratest.New()
	fake.Fail[entra.OpRequest] = map[string]error{"": errors.New("503")}
	rep, err := Run(context.Background(), objectPlan(), fake, Options{})
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	for _, c := range fake.Calls {
		if c == "Apply:request" {
			requests++
		}
	}
	if requests != 1 {
		t.Fatalf("%d requests sent, want only the claim", requests)
	}
	for _, r := range rep.Results {
		if r.Status != Failed {
			t.Errorf("%s: %s, want Failed", r.Address, r.Status)
		}
	}
	if !strings.Contains(strings.Join(rep.Results[0].Errors, " "), "ownership record could not record it first") {
		t.Errorf("partner errors = %v", rep.Results[0].Errors)
	}
}

// TestObjectsPlaceholder: a target naming a group this apply did not
// create is never sent with its placeholder.
func TestObjectsPlaceholder(t *testing.T) {
	fake := entratest.New()
	rep, err := Run(context.Background(), objectPlan(), fake, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fake.Document("policies/crossTenantAccessPolicy/partners/"+fabrikam) != nil {
		t.Fatal("the partner was created with an unresolved placeholder")
	}
	if rep.Results[0].Status != Failed || !strings.Contains(rep.Results[0].Errors[0], "groups.staff, which this apply did not learn") {
		t.Fatalf("result = %+v", rep.Results[0])
	}
}

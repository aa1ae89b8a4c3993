package plan_test

import (
	"context"
	"errors"
	"testing"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

const tenantID = "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"

// policyKind is a document kind that names a declared group, as a
// partner's b2b targets do.
type policyKind struct {
	addr    string
	group   string // the declared group key it names
	errDiag bool
	sawRef  *string
}

func (k policyKind) Plan(_ context.Context, env *plan.Env) (plan.KindPlan, diag.Diagnostics, error) {
	if k.errDiag {
		return plan.KindPlan{}, diag.Diagnostics{{Severity: diag.Error, Summary: "bad policy"}}, nil
	}
	var ref string
	if k.group != "" {
		var ok bool
		if ref, ok = env.GroupRef(k.group); !ok {
			return plan.KindPlan{}, nil, errors.New("group not known to the kind")
		}
		*k.sawRef = ref
	}
	return plan.KindPlan{Addresses: []string{k.addr}, Changes: []plan.ObjectChange{{Address: k.addr, Action: plan.Update,
		Steps: []plan.Step{{Phase: plan.PhaseWrite, What: "set", Request: entra.Request{Method: "PATCH", Path: "policies/x",
			Body: map[string]any{"group": ref}}}}}}}, nil, nil
}

func TestMake(t *testing.T) {
	desired := func() *model.Desired {
		return &model.Desired{Tenant: model.Tenant{ID: tenantID}, Configuration: "it", Groups: map[string]model.Group{
			"sg-finance": {DisplayName: "Finance", Kind: model.GroupSecurity, MailNickname: "sg-finance"},
		}}
	}
	const policy = "crossTenant.default"
	run := func(t *testing.T, k policyKind, targets ...string) (*plan.Plan, diag.Diagnostics, error) {
		t.Helper()
		env := &plan.Env{Reader: entratest.New(), Desired: desired(), Configuration: "it", Tenant: tenantID, Commit: "0123456789abcdef",
			Options: plan.Options{Targets: targets}}
		return plan.Make(context.Background(), env, plan.Groups{}, k)
	}

	t.Run("groups first, other kinds name the groups this plan creates", func(t *testing.T) {
		var ref string
		p, ds, err := run(t, policyKind{addr: policy, group: "sg-finance", sawRef: &ref})
		if err != nil || ds.HasErrors() {
			t.Fatal(err, ds)
		}
		if ref != plan.AddressRef("groups.sg-finance") {
			t.Fatalf("the policy kind saw %q for a group this plan creates", ref)
		}
		if len(p.Groups) != 1 || p.Groups[0].Action != plan.Create {
			t.Fatalf("groups = %+v", p.Groups)
		}
		// The policy, then the ownership record stamping it.
		if len(p.Objects) != 2 || p.Objects[0].Address != policy || p.Objects[1].Address != plan.OwnershipAddress {
			t.Fatalf("objects = %+v", p.Objects)
		}
		if p.Summary.Create != 1 || p.Summary.Update != 1 {
			t.Fatalf("summary = %+v: the record that only stamps is not a change of its own", p.Summary)
		}
	})
	t.Run("a target one kind declares is valid", func(t *testing.T) {
		p, _, err := run(t, policyKind{addr: policy}, policy)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Groups) != 0 {
			t.Fatalf("an untargeted group was planned: %+v", p.Groups)
		}
	})
	t.Run("a target nothing declares is refused with the closest address", func(t *testing.T) {
		_, _, err := run(t, policyKind{addr: policy}, "groups.sg-financ")
		var te *plan.TargetError
		if !errors.As(err, &te) || te.Near != "groups.sg-finance" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a kind's error stops the plan", func(t *testing.T) {
		p, ds, err := run(t, policyKind{addr: policy, errDiag: true})
		if err != nil || !ds.HasErrors() || p != nil {
			t.Fatalf("plan %v, diagnostics %v, err %v", p, ds, err)
		}
	})
}

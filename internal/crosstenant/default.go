package crosstenant

import (
	"context"
	"fmt"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// Plan implements [plan.Kind]: the declared settings of the default policy
// are PATCHed; the policy itself is never created or deleted, and a
// configuration that stops declaring it leaves it as it is.
func (Default) Plan(ctx context.Context, env *plan.Env) (plan.KindPlan, diag.Diagnostics, error) {
	d := env.Desired.CrossTenant.Default
	addr := model.Address{Kind: model.KindDefaultPolicy}.String()
	switch {
	case d == nil:
		return plan.KindPlan{}, nil, nil
	case !env.Targeted(addr):
		return plan.KindPlan{Addresses: []string{addr}}, nil, nil
	}
	docs, err := env.Reader.Documents(ctx, []string{DefaultPath})
	if err != nil {
		return plan.KindPlan{}, nil, fmt.Errorf("reading the default cross-tenant policy: %w", err)
	}
	live, ok := docs[DefaultPath]
	if !ok {
		return plan.KindPlan{}, nil, fmt.Errorf("the tenant has no default cross-tenant policy (%s answered 404)", DefaultPath)
	}
	settings := clone(d.Declared)
	ds, err := resolveTargets(ctx, env, targetsOf([]any{"crossTenant", "default"}, settings))
	if err != nil {
		return plan.KindPlan{}, nil, err
	}
	c := plan.ObjectChange{Address: addr, Action: plan.NoOp, Name: "tenant default",
		Reads: []plan.DocumentRead{plan.Read(DefaultPath, live)}}
	fields, patch := diff(settings, live, "", model.PolicySettingNames)
	if len(fields) > 0 {
		c.Action, c.Fields = plan.Update, fields
		c.Steps = []plan.Step{{Phase: plan.PhaseWrite, What: "update " + strings.Join(orderedKeys(patch, model.PolicySettingNames), ", "),
			Request: entra.Request{Method: "PATCH", Path: DefaultPath, Body: patch}}}
	}
	return plan.KindPlan{Addresses: []string{addr}, Changes: []plan.ObjectChange{c}}, ds, nil
}

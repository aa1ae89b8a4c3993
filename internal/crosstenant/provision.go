package crosstenant

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/plan"
)

// ProvisionStep is one step of a provision-on-demand run as Graph reports
// it (import, scoping, matching, export …). Its text comes from the
// tenant.
type ProvisionStep struct {
	Name        string `json:"name"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	Description string `json:"description"`
}

// Provision provisions one user through the job declared under key, now,
// and returns the steps Graph reports. The job must be one this
// configuration's record holds.
func Provision(ctx context.Context, b entra.Backend, own *plan.Ownership, key, userID string) ([]ProvisionStep, error) {
	claim, ok := own.ClaimedKey(ClaimSyncJob, key)
	switch {
	case !ok:
		return nil, fmt.Errorf("%s is not managed by this configuration in this tenant; apply it first", syncJobAddress(key))
	case claim.ID == plan.PendingID:
		return nil, fmt.Errorf("%s is still being created (an apply was interrupted); apply again first", syncJobAddress(key))
	}
	docs, err := b.Documents(ctx, []string{JobsPath(claim.ID)})
	if err != nil {
		return nil, err
	}
	items, _ := docs[JobsPath(claim.ID)]["value"].([]any)
	if len(items) == 0 {
		return nil, fmt.Errorf("%s has no synchronization job yet; apply first", syncJobAddress(key))
	}
	job, _ := items[0].(map[string]any)
	schemaDocs, err := b.Documents(ctx, []string{SchemaPath(claim.ID, str(job["id"]))})
	if err != nil {
		return nil, err
	}
	rules, _ := schemaDocs[SchemaPath(claim.ID, str(job["id"]))]["synchronizationRules"].([]any)
	if len(rules) == 0 {
		return nil, fmt.Errorf("the job's schema has no synchronization rule to provision with")
	}
	rule, _ := rules[0].(map[string]any)
	req := entra.Request{Method: "POST", Path: jobPath(claim.ID, str(job["id"])) + "/provisionOnDemand",
		Body: map[string]any{"parameters": []any{map[string]any{"ruleId": str(rule["id"]),
			"subjects": []any{map[string]any{"objectId": userID, "objectTypeName": "User"}}}}}}
	res := b.Apply(ctx, []entra.Op{{Kind: entra.OpRequest, Request: &req}})
	if res[0].Err != nil {
		return nil, fmt.Errorf("POST %s: %w", req.Path, res[0].Err)
	}
	// value is a JSON document in a string (Graph's stringKeyStringValuePair).
	var runs []struct {
		Steps []ProvisionStep `json:"provisioningSteps"`
	}
	if err := json.Unmarshal([]byte(str(res[0].Response["value"])), &runs); err != nil {
		return nil, fmt.Errorf("reading the provisioning steps: %w", err)
	}
	var out []ProvisionStep
	for _, r := range runs {
		out = append(out, r.Steps...)
	}
	return out, nil
}

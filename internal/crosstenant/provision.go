package crosstenant

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

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

// Provisioning is what one provision-on-demand run reports: the steps, and
// the overall result with its reason when Graph gives one.
type Provisioning struct {
	Result string          `json:"result,omitempty"`
	Reason string          `json:"reason,omitempty"`
	Steps  []ProvisionStep `json:"steps"`
}

// parseProvisioning reads Graph's answer, a stringKeyStringValuePair whose
// strings hold JSON. Graph's documentation shows two shapes, so both are
// read:
//   - the cross-tenant synchronization guide: key is the type name
//     "….SyncFabric.StatusInfo" and value an array of runs, each with its
//     provisioningSteps;
//   - the provisionOnDemand reference page: key is {"result":…,
//     "details":{"errorCode":…,"errorMessage":…}} and value one run, or
//     {} when there is nothing to report.
func parseProvisioning(key, value string) (Provisioning, error) {
	type run struct {
		Steps []ProvisionStep `json:"provisioningSteps"`
	}
	var out Provisioning
	var summary struct {
		Result  string `json:"result"`
		Details struct {
			ErrorCode    string `json:"errorCode"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"details"`
	}
	if strings.HasPrefix(strings.TrimSpace(key), "{") {
		if err := json.Unmarshal([]byte(key), &summary); err != nil {
			return out, fmt.Errorf("reading the provisioning result: %w", err)
		}
		out.Result = summary.Result
		out.Reason = summary.Details.ErrorCode
		if m := summary.Details.ErrorMessage; m != "" {
			if out.Reason != "" {
				out.Reason += ": "
			}
			out.Reason += m
		}
	}
	var runs []run
	switch trimmed := strings.TrimSpace(value); {
	case strings.HasPrefix(trimmed, "["):
		if err := json.Unmarshal([]byte(trimmed), &runs); err != nil {
			return out, fmt.Errorf("reading the provisioning steps: %w", err)
		}
	case strings.HasPrefix(trimmed, "{"):
		var one run
		if err := json.Unmarshal([]byte(trimmed), &one); err != nil {
			return out, fmt.Errorf("reading the provisioning steps: %w", err)
		}
		runs = []run{one}
	default:
		return out, fmt.Errorf("reading the provisioning steps: Graph answered %q, which is neither a run nor a list of runs", shorten(trimmed))
	}
	out.Steps = []ProvisionStep{}
	for _, r := range runs {
		out.Steps = append(out.Steps, r.Steps...)
	}
	return out, nil
}

// shorten keeps an unexpected answer quoted in an error readable.
func shorten(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Provision provisions one user through the job declared under key, now,
// and returns the steps Graph reports. The job must be one this
// configuration's record holds.
func Provision(ctx context.Context, b entra.Backend, own *plan.Ownership, key, userID string) (Provisioning, error) {
	claim, ok := own.ClaimedKey(ClaimSyncJob, key)
	switch {
	case !ok:
		return Provisioning{}, fmt.Errorf("%s is not managed by this configuration in this tenant; apply it first", syncJobAddress(key))
	case claim.ID == plan.PendingID:
		return Provisioning{}, fmt.Errorf("%s is still being created (an apply was interrupted); apply again first", syncJobAddress(key))
	}
	docs, err := b.Documents(ctx, []string{JobsPath(claim.ID)})
	if err != nil {
		return Provisioning{}, err
	}
	items, _ := docs[JobsPath(claim.ID)]["value"].([]any)
	if len(items) == 0 {
		return Provisioning{}, fmt.Errorf("%s has no synchronization job yet; apply first", syncJobAddress(key))
	}
	job, _ := items[0].(map[string]any)
	schemaDocs, err := b.Documents(ctx, []string{SchemaPath(claim.ID, str(job["id"]))})
	if err != nil {
		return Provisioning{}, err
	}
	rules, _ := schemaDocs[SchemaPath(claim.ID, str(job["id"]))]["synchronizationRules"].([]any)
	if len(rules) == 0 {
		return Provisioning{}, fmt.Errorf("the job's schema has no synchronization rule to provision with")
	}
	rule, _ := rules[0].(map[string]any)
	req := entra.Request{Method: "POST", Path: jobPath(claim.ID, str(job["id"])) + "/provisionOnDemand",
		Body: map[string]any{"parameters": []any{map[string]any{"ruleId": str(rule["id"]),
			"subjects": []any{map[string]any{"objectId": userID, "objectTypeName": "User"}}}}}}
	res := b.Apply(ctx, []entra.Op{{Kind: entra.OpRequest, Request: &req}})
	if res[0].Err != nil {
		return Provisioning{}, fmt.Errorf("POST %s: %w", req.Path, res[0].Err)
	}
	return parseProvisioning(str(res[0].Response["key"]), str(res[0].Response["value"]))
}

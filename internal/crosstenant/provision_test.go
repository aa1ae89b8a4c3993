package crosstenant

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Graph's documentation shows provision on demand answering in two shapes;
// a run must be read from either.
func TestParseProvisioning(t *testing.T) {
	imported := ProvisionStep{Name: "EntryImport", Type: "Import", Status: "Success", Description: "Retrieved User 'a@contoso.com'"}
	skipped := ProvisionStep{Name: "EntrySynchronizationSkip", Type: "Export", Status: "Skipped", Description: "Nothing to change"}
	const stepsJSON = `"provisioningSteps":[` +
		`{"name":"EntryImport","type":"Import","status":"Success","description":"Retrieved User 'a@contoso.com'","details":{"objectId":"x"}},` +
		`{"name":"EntrySynchronizationSkip","type":"Export","status":"Skipped","description":"Nothing to change","details":{}}]`
	tests := []struct {
		name, key, value string
		want             Provisioning
		wantErr          string
	}{
		{
			name:  "cross-tenant guide: type name as key, a list of runs",
			key:   "Microsoft.Identity.Health.CPP.Common.DataContracts.SyncFabric.StatusInfo",
			value: `[{` + stepsJSON + `}]`,
			want:  Provisioning{Steps: []ProvisionStep{imported, skipped}},
		},
		{
			name:  "reference page: result as key, one run",
			key:   `{"result":"Skipped","details":{"errorCode":"RedundantExport","errorMessage":"Both sides already match."}}`,
			value: `{"action":"Other","changeId":"c",` + stepsJSON + `,"statusInfo":{"status":"Skipped"}}`,
			want:  Provisioning{Result: "Skipped", Reason: "RedundantExport: Both sides already match.", Steps: []ProvisionStep{imported, skipped}},
		},
		{
			name:  "reference page: success with nothing to report",
			key:   `{"result":"Success","details":{}}`,
			value: `{}`,
			want:  Provisioning{Result: "Success", Steps: []ProvisionStep{}},
		},
		{
			name:  "a reason with a code only",
			key:   `{"result":"Failure","details":{"errorCode":"SyncPolicyMissing"}}`,
			value: `{}`,
			want:  Provisioning{Result: "Failure", Reason: "SyncPolicyMissing", Steps: []ProvisionStep{}},
		},
		{
			name:  "runs without steps",
			key:   "StatusInfo",
			value: `[{},{}]`,
			want:  Provisioning{Steps: []ProvisionStep{}},
		},
		{name: "value neither run nor list", key: "StatusInfo", value: `"done"`, wantErr: `Graph answered "\"done\"", which is neither`},
		{name: "value empty", key: "StatusInfo", value: ``, wantErr: "neither a run nor a list"},
		{name: "broken list", key: "StatusInfo", value: `[{"provisioningSteps":[}]`, wantErr: "reading the provisioning steps"},
		{name: "broken result", key: `{"result":`, value: `{}`, wantErr: "reading the provisioning result"},
		{name: "a long answer is shortened", key: "StatusInfo", value: strings.Repeat("x", 200), wantErr: strings.Repeat("x", 80) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProvisioning(tt.key, tt.value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

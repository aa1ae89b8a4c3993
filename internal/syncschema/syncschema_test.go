package syncschema

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/entrasync/entrasync/internal/model"
)

// template is the emulator's Azure2Azure schema, shaped as Graph returns
// a job's schema.
func template(t *testing.T) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../sim/azure2azure.json")
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func mappings(s map[string]any) map[string]any {
	om, _ := userMapping(s)
	out := map[string]any{}
	for _, m := range om["attributeMappings"].([]any) {
		out[targetOf(m)] = m
	}
	return out
}

func TestApply(t *testing.T) {
	sales := []model.FilterGroup{{Name: "sales", Clauses: []model.FilterClause{{SourceOperandName: "department", OperatorName: "EQUALS", Values: []string{"Sales"}}}}}
	tests := []struct {
		name    string
		o       Overrides
		changed []string // paths of the changes, in order
		wantErr bool
	}{
		{name: "nothing declared", o: Overrides{}},
		{name: "a mapping as the template has it", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"mail": {Source: "mail", Type: "Attribute", FlowType: "Always"}}}},
		{name: "one mapping changed", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"jobTitle": {Source: "Partner", Type: "Constant", FlowType: "Always"}}}, changed: []string{"attributeMappings.jobTitle"}},
		{name: "a mapping added", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"companyName": {Source: "Contoso", Type: "Constant"}}}, changed: []string{"attributeMappings.companyName"}},
		{name: "a mapping removed", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"mobilePhone": {Remove: true}}}, changed: []string{"attributeMappings.mobilePhone"}},
		{name: "removing what is not there", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"city": {Remove: true}}}},
		{name: "a scoping filter", o: Overrides{ScopeFilter: sales}, changed: []string{"scopeFilter"}},
		{name: "an attribute the target lacks", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"shoeSize": {Source: "department"}}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := template(t)
			got, changes, err := Apply(live, tt.o)
			var unknown UnknownAttributesError
			if tt.wantErr {
				if !errors.As(err, &unknown) || unknown.Attributes[0] != "shoeSize" {
					t.Fatalf("err = %v, want shoeSize unknown", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(live, template(t)) {
				t.Fatal("Apply changed its input")
			}
			var paths []string
			for _, c := range changes {
				paths = append(paths, c.Path)
			}
			if !reflect.DeepEqual(paths, tt.changed) {
				t.Fatalf("changes = %v, want %v", paths, tt.changed)
			}
			// Every mapping not named is exactly as it was; so is
			// everything outside the user mapping.
			before, after := mappings(live), mappings(got)
			for target, m := range before {
				if _, named := tt.o.AttributeMappings[target]; !named && !reflect.DeepEqual(after[target], m) {
					t.Errorf("mapping %s changed: %v", target, after[target])
				}
			}
			if !reflect.DeepEqual(got["directories"], live["directories"]) || got["version"] != live["version"] {
				t.Error("the directories or version changed")
			}
			again, more, err := Apply(got, tt.o)
			if err != nil || len(more) > 0 || !reflect.DeepEqual(again, got) {
				t.Errorf("applying twice changes more: %v %v", more, err)
			}
		})
	}
}

func TestPreview(t *testing.T) {
	o := Overrides{AttributeMappings: map[string]model.AttributeMapping{"department": {Source: "department"},
		"extension_0123456789abcdef0123456789abcdef_costCenter": {Source: "department"}}}
	changes, err := Preview(o, Azure2AzureUserAttributes)
	if err != nil || len(changes) != 2 {
		t.Fatalf("changes = %v, err = %v", changes, err)
	}
	o.AttributeMappings["shoeSize"] = model.AttributeMapping{Source: "x"}
	if _, err := Preview(o, Azure2AzureUserAttributes); err == nil {
		t.Fatal("an unknown attribute was accepted")
	}
}

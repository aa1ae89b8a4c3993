package syncschema

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/model"
)

// asGraphReturnsIt is a schema after a JSON round trip, numbers as float64.
func asGraphReturnsIt(t *testing.T, s map[string]any) map[string]any {
	t.Helper()
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDifferencesInvertsApply: the overrides read back from a job whose
// schema was written with some are those overrides, less what the
// template already does.
func TestDifferencesInvertsApply(t *testing.T) {
	sales := []model.FilterGroup{{Name: "sales", Clauses: []model.FilterClause{
		{SourceOperandName: "department", OperatorName: "EQUALS", Values: []string{"Sales", `Sales "EMEA"`}},
		{SourceOperandName: "accountEnabled", OperatorName: "IS TRUE"}}}}
	tests := []struct {
		name string
		o    Overrides
		want Overrides // nil AttributeMappings: the same as o
	}{
		{name: "the template as it is", o: Overrides{}},
		{name: "a constant with quotes", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"companyName": {Source: `Contoso "Ltd"`, Type: "Constant", FlowType: "Always"}}}},
		{name: "a function, add-only, with a default", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"mail": {Source: `Join("@", [mailNickname], "fabrikam.com")`, Type: "Function", FlowType: "ObjectAddOnly", DefaultValue: "none"}}}},
		{name: "another matching attribute", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"employeeId": {Source: "employeeId", Type: "Attribute", FlowType: "Always", MatchingPriority: 2}}}},
		{name: "a mapping removed", o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
			"mobilePhone": {Remove: true}}}},
		{name: "a scoping filter", o: Overrides{ScopeFilter: sales}},
		{name: "an override the template already does is not repeated",
			o: Overrides{AttributeMappings: map[string]model.AttributeMapping{
				"mail":       {Source: "mail", Type: "Attribute", FlowType: "Always"},
				"department": {Source: "Sales", Type: "Constant", FlowType: "Always"}}},
			want: Overrides{AttributeMappings: map[string]model.AttributeMapping{
				"department": {Source: "Sales", Type: "Constant", FlowType: "Always"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			written, _, err := Apply(template(t), tt.o)
			if err != nil {
				t.Fatal(err)
			}
			live := asGraphReturnsIt(t, written)
			got, err := Differences(template(t), live)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.o
			if tt.want.AttributeMappings != nil {
				want = tt.want
			}
			if !reflect.DeepEqual(got.AttributeMappings, want.AttributeMappings) {
				t.Errorf("mappings = %#v\nwant %#v", got.AttributeMappings, want.AttributeMappings)
			}
			if !reflect.DeepEqual(normAll(got.ScopeFilter), normAll(want.ScopeFilter)) {
				t.Errorf("scope filter = %#v, want %#v", got.ScopeFilter, want.ScopeFilter)
			}
			if _, changes, err := Apply(live, got); err != nil || len(changes) > 0 {
				t.Errorf("declaring them changes %v (%v)", changes, err)
			}
		})
	}
}

func normAll(gs []model.FilterGroup) []model.FilterGroup {
	var out []model.FilterGroup
	for _, g := range gs {
		out = append(out, norm(g))
	}
	return out
}

// TestDifferencesRefusesWhatCannotBeDeclared: a live mapping a
// configuration would spell differently is an error naming it, never a
// declaration that changes the job.
func TestDifferencesRefusesWhatCannotBeDeclared(t *testing.T) {
	edit := func(f func(m map[string]any)) func(*testing.T) map[string]any {
		return func(t *testing.T) map[string]any {
			s := template(t)
			om, _ := userMapping(s)
			for _, m := range om["attributeMappings"].([]any) {
				if mm := m.(map[string]any); targetOf(mm) == "displayName" {
					f(mm)
				}
			}
			return s
		}
	}
	tests := []struct {
		name, want string
		live       func(*testing.T) map[string]any
	}{
		{"an attribute expression without brackets", "displayName", edit(func(m map[string]any) {
			m["source"].(map[string]any)["expression"] = "displayName"
		})},
		{"an unknown flow type", "flow type", edit(func(m map[string]any) { m["flowType"] = "Sometimes" })},
		{"an unknown source type", "source type", edit(func(m map[string]any) { m["source"].(map[string]any)["type"] = "Magic" })},
		{"no user mapping", "User → User", func(*testing.T) map[string]any { return map[string]any{"synchronizationRules": []any{}} }},
		{"a filter operator outside the schema's", "operator", func(t *testing.T) map[string]any {
			s := template(t)
			om, _ := userMapping(s)
			om["scope"] = scope(nil, []model.FilterGroup{{Name: "x", Clauses: []model.FilterClause{{SourceOperandName: "city", OperatorName: "ENDS WITH"}}}})
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Differences(template(t), tt.live(t))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
		})
	}
}

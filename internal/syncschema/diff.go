package syncschema

import (
	"fmt"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/model"
)

// Flow types and filter operators a configuration can declare (the
// schema's enums); a live schema using another cannot be declared.
var (
	flowTypes = []string{"Always", "ObjectAddOnly", "MultiValueAddOnly", "ValueAddOnly", "AttributeAddOnly"}
	operators = []string{"EQUALS", "NOT EQUALS", "IS TRUE", "IS FALSE", "IS NULL", "IS NOT NULL",
		"REGEX MATCH", "NOT REGEX MATCH", "Greater_Than", "Less_Than", "Includes", "Not_Includes"}
)

// Differences is the inverse of [Apply]: the overrides a configuration
// declares so that a job created from template ends up with live's User
// mapping. Only mappings that differ from the template's are named (a
// template mapping live no longer has is removed); the scoping filter is
// live's. Apply(live, Differences(template, live)) changes nothing. It
// fails, saying why, when live holds what a configuration cannot declare:
// an expression whose type the configuration spells differently, a flow
// type or filter operator outside the schema's, or no User mapping.
func Differences(template, live map[string]any) (Overrides, error) {
	liveMapping, _ := userMapping(live)
	if liveMapping == nil {
		return Overrides{}, fmt.Errorf("the job's schema has no User → User object mapping")
	}
	templateMapping, _ := userMapping(template)
	before := map[string]map[string]any{}
	if templateMapping != nil {
		list, _ := templateMapping["attributeMappings"].([]any)
		for _, m := range list {
			if mm, ok := m.(map[string]any); ok {
				before[strings.ToLower(targetOf(mm))] = mm
			}
		}
	}
	o := Overrides{AttributeMappings: map[string]model.AttributeMapping{}}
	seen := map[string]bool{}
	list, _ := liveMapping["attributeMappings"].([]any)
	for _, m := range list {
		mm, _ := m.(map[string]any)
		target := targetOf(mm)
		key := strings.ToLower(target)
		if target == "" || seen[key] {
			// Apply acts on the first mapping of a target only.
			continue
		}
		seen[key] = true
		if t := before[key]; t != nil && sameMapping(t, mm) {
			continue
		}
		want, err := declared(mm)
		if err != nil {
			return Overrides{}, fmt.Errorf("the mapping of %s: %w", target, err)
		}
		o.AttributeMappings[target] = want
	}
	for key, t := range before {
		if !seen[key] {
			o.AttributeMappings[targetOf(t)] = model.AttributeMapping{Remove: true}
		}
	}
	o.ScopeFilter = filterOf(liveMapping["scope"])
	for _, g := range o.ScopeFilter {
		if g.Name == "" || len(g.Clauses) == 0 {
			return Overrides{}, fmt.Errorf("the scoping filter has a group without a name or clauses")
		}
		for _, c := range g.Clauses {
			if !slices.Contains(operators, c.OperatorName) || c.SourceOperandName == "" {
				return Overrides{}, fmt.Errorf("the scoping filter %q uses operator %q on %q", g.Name, c.OperatorName, c.SourceOperandName)
			}
		}
	}
	if len(o.AttributeMappings) == 0 {
		o.AttributeMappings = nil
	}
	// The promise export makes: declared, the job plans to no change.
	switch _, changes, err := Apply(live, o); {
	case err != nil:
		return Overrides{}, err
	case len(changes) > 0:
		return Overrides{}, fmt.Errorf("its %s cannot be declared as it is", changes[0].Path)
	}
	return o, nil
}

// sameMapping reports whether two live mappings do the same: what
// [holds] compares.
func sameMapping(a, b map[string]any) bool {
	sa, _ := a["source"].(map[string]any)
	sb, _ := b["source"].(map[string]any)
	num := func(m map[string]any) float64 { f, _ := m["matchingPriority"].(float64); return f }
	text := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	return sa != nil && sb != nil && sa["expression"] == sb["expression"] && sa["type"] == sb["type"] &&
		a["flowType"] == b["flowType"] && num(a) == num(b) && text(a, "defaultValue") == text(b, "defaultValue")
}

// declared is a live mapping as a configuration declares it; it fails
// when the declaration would not hold for the mapping.
func declared(m map[string]any) (model.AttributeMapping, error) {
	src, _ := m["source"].(map[string]any)
	expr, _ := src["expression"].(string)
	typ, _ := src["type"].(string)
	want := model.AttributeMapping{Type: typ}
	want.FlowType, _ = m["flowType"].(string)
	want.DefaultValue, _ = m["defaultValue"].(string)
	if p, _ := m["matchingPriority"].(float64); p > 0 && p == float64(int(p)) {
		want.MatchingPriority = int(p)
	}
	switch typ {
	case "Attribute":
		want.Source = strings.TrimSuffix(strings.TrimPrefix(expr, "["), "]")
	case "Constant":
		if len(expr) >= 2 && strings.HasPrefix(expr, `"`) && strings.HasSuffix(expr, `"`) {
			want.Source = strings.ReplaceAll(expr[1:len(expr)-1], `""`, `"`)
		}
	case "Function":
		want.Source = expr
	default:
		return model.AttributeMapping{}, fmt.Errorf("source type %q is not Attribute, Constant or Function", typ)
	}
	switch {
	case !slices.Contains(flowTypes, want.FlowType):
		return model.AttributeMapping{}, fmt.Errorf("flow type %q is not one a configuration declares", want.FlowType)
	case want.Source == "" || !holds(m, want):
		return model.AttributeMapping{}, fmt.Errorf("the %s expression %s cannot be declared as it is", strings.ToLower(typ), expr)
	}
	return want, nil
}

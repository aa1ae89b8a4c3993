package syncschema

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/model"
)

// Overrides are what a configuration declares of one job's schema. It
// travels in a saved plan as a request body.
type Overrides struct {
	// AttributeMappings are keyed by target attribute name.
	AttributeMappings map[string]model.AttributeMapping `json:"attributeMappings,omitempty"`
	// ScopeFilter replaces the user mapping's scoping filter groups; empty
	// means every assigned user is in scope.
	ScopeFilter []model.FilterGroup `json:"scopeFilter"`
}

// FromJob is the overrides a declared job makes.
func FromJob(j model.SyncJob) Overrides {
	return Overrides{AttributeMappings: j.AttributeMappings, ScopeFilter: j.ScopeFilter}
}

// Body is the overrides as a request body.
func (o Overrides) Body() map[string]any {
	data, _ := json.Marshal(o)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

// FromBody reads overrides back from a request body.
func FromBody(body map[string]any) (Overrides, error) {
	var o Overrides
	data, err := json.Marshal(body)
	if err == nil {
		err = json.Unmarshal(data, &o)
	}
	return o, err
}

// Change is one difference the overrides make: Path is
// "attributeMappings.<target>" or "scopeFilter"; Before and After
// describe the mapping or filter (nil: none).
type Change struct {
	Path          string
	Before, After any
}

// Apply returns schema with the overrides applied to its User → User
// object mapping, and what changed. schema is not modified. It fails when
// the schema has no such mapping or an override names a target attribute
// the target directory's User object does not have.
func Apply(schema map[string]any, o Overrides) (map[string]any, []Change, error) {
	out := deepCopy(schema).(map[string]any)
	om, targetDir := userMapping(out)
	if om == nil {
		return nil, nil, fmt.Errorf("the schema has no User → User object mapping")
	}
	known := attributesOf(out, targetDir)
	var unknown []string
	for _, t := range slices.Sorted(maps.Keys(o.AttributeMappings)) {
		if known != nil && !known[strings.ToLower(t)] && !o.AttributeMappings[t].Remove {
			unknown = append(unknown, t)
		}
	}
	if len(unknown) > 0 {
		return nil, nil, UnknownAttributesError{Attributes: unknown, Directory: targetDir}
	}
	var changes []Change
	mappings, _ := om["attributeMappings"].([]any)
	for _, t := range slices.Sorted(maps.Keys(o.AttributeMappings)) {
		want := o.AttributeMappings[t]
		i := slices.IndexFunc(mappings, func(m any) bool { return strings.EqualFold(targetOf(m), t) })
		var live map[string]any
		if i >= 0 {
			live, _ = mappings[i].(map[string]any)
		}
		switch {
		case want.Remove && live == nil:
		case want.Remove:
			changes = append(changes, Change{Path: "attributeMappings." + t, Before: Describe(live)})
			mappings = slices.Delete(mappings, i, i+1)
		case live != nil && holds(live, want):
		default:
			m := mapping(t, want, live)
			changes = append(changes, Change{Path: "attributeMappings." + t, Before: describeOrNil(live), After: Describe(m)})
			if i >= 0 {
				mappings[i] = m
			} else {
				mappings = append(mappings, m)
			}
		}
	}
	om["attributeMappings"] = mappings
	liveFilter := filterOf(om["scope"])
	if !slices.EqualFunc(liveFilter, o.ScopeFilter, func(a, b model.FilterGroup) bool { return reflect.DeepEqual(norm(a), norm(b)) }) {
		changes = append(changes, Change{Path: "scopeFilter", Before: describeFilter(liveFilter), After: describeFilter(o.ScopeFilter)})
		om["scope"] = scope(om["scope"], o.ScopeFilter)
	}
	return out, changes, nil
}

// UnknownAttributesError names override targets the schema's target
// object does not have.
type UnknownAttributesError struct {
	Attributes []string
	Directory  string
}

func (e UnknownAttributesError) Error() string {
	return fmt.Sprintf("the User object of %q has no attribute %s", e.Directory, strings.Join(e.Attributes, ", "))
}

// TargetAttributes lists the attributes of the target directory's User
// object, nil when the schema does not say.
func TargetAttributes(schema map[string]any) []string {
	_, dir := userMapping(schema)
	return slices.Sorted(maps.Keys(attributesOf(schema, dir)))
}

// userMapping finds the first rule's User → User object mapping and the
// rule's target directory.
func userMapping(schema map[string]any) (map[string]any, string) {
	rules, _ := schema["synchronizationRules"].([]any)
	for _, r := range rules {
		rule, _ := r.(map[string]any)
		oms, _ := rule["objectMappings"].([]any)
		for _, x := range oms {
			om, _ := x.(map[string]any)
			if om["sourceObjectName"] == "User" && om["targetObjectName"] == "User" {
				dir, _ := rule["targetDirectoryName"].(string)
				return om, dir
			}
		}
	}
	return nil, ""
}

// attributesOf is the set of lower-cased attribute names of the named
// directory's User object; nil when the schema does not describe it.
func attributesOf(schema map[string]any, dir string) map[string]bool {
	dirs, _ := schema["directories"].([]any)
	for _, d := range dirs {
		dm, _ := d.(map[string]any)
		if dm["name"] != dir {
			continue
		}
		objs, _ := dm["objects"].([]any)
		for _, o := range objs {
			obj, _ := o.(map[string]any)
			if obj["name"] != "User" {
				continue
			}
			attrs, _ := obj["attributes"].([]any)
			out := map[string]bool{}
			for _, a := range attrs {
				am, _ := a.(map[string]any)
				if n, ok := am["name"].(string); ok {
					out[strings.ToLower(n)] = true
				}
			}
			return out
		}
	}
	return nil
}

func targetOf(m any) string {
	mm, _ := m.(map[string]any)
	s, _ := mm["targetAttributeName"].(string)
	return s
}

// source is Graph's attributeMappingSource for a declared mapping.
func source(want model.AttributeMapping) map[string]any {
	expr, name := want.Source, want.Source
	switch want.Type {
	case "Constant":
		expr = `"` + strings.ReplaceAll(want.Source, `"`, `""`) + `"`
	case "Function":
		name, _, _ = strings.Cut(want.Source, "(")
		name = strings.TrimSpace(name)
	default:
		expr = "[" + want.Source + "]"
	}
	return map[string]any{"expression": expr, "name": name, "type": typeOf(want), "parameters": []any{}}
}

func typeOf(want model.AttributeMapping) string {
	if want.Type == "" {
		return "Attribute"
	}
	return want.Type
}

func flowOf(want model.AttributeMapping) string {
	if want.FlowType == "" {
		return "Always"
	}
	return want.FlowType
}

// holds reports whether a live mapping already does what is declared.
func holds(live map[string]any, want model.AttributeMapping) bool {
	src, _ := live["source"].(map[string]any)
	def, _ := live["defaultValue"].(string)
	prio, _ := live["matchingPriority"].(float64)
	return src != nil && src["expression"] == source(want)["expression"] && src["type"] == typeOf(want) &&
		live["flowType"] == flowOf(want) && int(prio) == want.MatchingPriority && def == want.DefaultValue
}

// mapping is the declared mapping in Graph's shape, keeping the live
// mapping's other properties (flowBehavior, exportMissingReferences).
func mapping(target string, want model.AttributeMapping, live map[string]any) map[string]any {
	m := map[string]any{"flowBehavior": "FlowWhenChanged", "exportMissingReferences": false}
	maps.Copy(m, live)
	m["targetAttributeName"] = target
	m["source"] = source(want)
	m["flowType"] = flowOf(want)
	m["matchingPriority"] = want.MatchingPriority
	m["defaultValue"] = nil
	if want.DefaultValue != "" {
		m["defaultValue"] = want.DefaultValue
	}
	return m
}

// Describe is a mapping in one line: its source expression, type, flow
// and, when set, matching priority and default.
func Describe(m map[string]any) string {
	src, _ := m["source"].(map[string]any)
	s := fmt.Sprintf("%v (%v, %v", src["expression"], src["type"], m["flowType"])
	if p, _ := m["matchingPriority"].(float64); p > 0 {
		s += fmt.Sprintf(", matching priority %d", int(p))
	} else if p, _ := m["matchingPriority"].(int); p > 0 {
		s += fmt.Sprintf(", matching priority %d", p)
	}
	if d, _ := m["defaultValue"].(string); d != "" {
		s += fmt.Sprintf(", default %q", d)
	}
	return s + ")"
}

func describeOrNil(m map[string]any) any {
	if m == nil {
		return nil
	}
	return Describe(m)
}

// filterOf reads the scoping filter groups of an object mapping's scope.
func filterOf(scope any) []model.FilterGroup {
	sm, _ := scope.(map[string]any)
	groups, _ := sm["groups"].([]any)
	var out []model.FilterGroup
	for _, g := range groups {
		gm, _ := g.(map[string]any)
		fg := model.FilterGroup{}
		fg.Name, _ = gm["name"].(string)
		clauses, _ := gm["clauses"].([]any)
		for _, c := range clauses {
			cm, _ := c.(map[string]any)
			fc := model.FilterClause{}
			fc.SourceOperandName, _ = cm["sourceOperandName"].(string)
			fc.OperatorName, _ = cm["operatorName"].(string)
			to, _ := cm["targetOperand"].(map[string]any)
			vals, _ := to["values"].([]any)
			for _, v := range vals {
				if s, ok := v.(string); ok {
					fc.Values = append(fc.Values, s)
				}
			}
			fg.Clauses = append(fg.Clauses, fc)
		}
		out = append(out, fg)
	}
	return out
}

// norm makes nil and empty value lists compare equal.
func norm(g model.FilterGroup) model.FilterGroup {
	out := model.FilterGroup{Name: g.Name}
	for _, c := range g.Clauses {
		if len(c.Values) == 0 {
			c.Values = nil
		}
		out.Clauses = append(out.Clauses, c)
	}
	return out
}

// scope is the object mapping's scope holding groups, keeping the live
// scope's other filter lists; null when there are no groups.
func scope(live any, groups []model.FilterGroup) any {
	if len(groups) == 0 {
		return nil
	}
	out := map[string]any{"categoryFilterGroups": []any{}, "inputFilterGroups": []any{}}
	if lm, ok := live.(map[string]any); ok {
		maps.Copy(out, lm)
	}
	var gs []any
	for _, g := range groups {
		var cs []any
		for _, c := range g.Clauses {
			vals := []any{}
			for _, v := range c.Values {
				vals = append(vals, v)
			}
			cs = append(cs, map[string]any{"operatorName": c.OperatorName, "sourceOperandName": c.SourceOperandName,
				"targetOperand": map[string]any{"values": vals}})
		}
		gs = append(gs, map[string]any{"name": g.Name, "clauses": cs})
	}
	out["groups"] = gs
	return out
}

// describeFilter is each filter group in one line, its clauses joined by
// AND; nil when there is none.
func describeFilter(groups []model.FilterGroup) any {
	if len(groups) == 0 {
		return nil
	}
	var out []any
	for _, g := range groups {
		var cs []string
		for _, c := range g.Clauses {
			s := c.SourceOperandName + " " + c.OperatorName
			if len(c.Values) > 0 {
				s += " " + strings.Join(quoteAll(c.Values), ", ")
			}
			cs = append(cs, s)
		}
		out = append(out, g.Name+": "+strings.Join(cs, " AND "))
	}
	return out
}

func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	}
	return v
}

// Azure2AzureUserAttributes are the target User attributes of the
// Azure2Azure (cross-tenant synchronization) template, checked before a
// job exists. Once it exists, its live schema decides. Directory
// extension attributes (extension_<appId>_<name>) are accepted too: a
// target tenant may define them.
var Azure2AzureUserAttributes = append([]string{"accountEnabled", "alternativeSecurityIds", "city", "companyName",
	"country", "department", "displayName", "employeeHireDate", "employeeId", "employeeLeaveDateTime", "employeeType",
	"faxNumber", "givenName", "jobTitle", "mail", "mailNickname", "manager", "mobilePhone", "officeLocation",
	"otherMails", "postalCode", "preferredLanguage", "showInAddressList", "state", "streetAddress", "surname",
	"telephoneNumber", "usageLocation", "userPrincipalName", "userType"}, extensionAttributes()...)

func extensionAttributes() []string {
	var out []string
	for i := 1; i <= 15; i++ {
		out = append(out, fmt.Sprintf("extensionAttribute%d", i))
	}
	return out
}

// Preview is what the overrides will change in a job that does not exist
// yet, whose schema will be its template's: each declared mapping
// replaces the template's, and a scoping filter is added. It fails when
// an override names an attribute not in known.
func Preview(o Overrides, known []string) ([]Change, error) {
	set := map[string]bool{}
	for _, a := range known {
		set[strings.ToLower(a)] = true
	}
	var changes []Change
	var unknown []string
	for _, t := range slices.Sorted(maps.Keys(o.AttributeMappings)) {
		want := o.AttributeMappings[t]
		if !set[strings.ToLower(t)] && !strings.HasPrefix(t, "extension_") && !want.Remove {
			unknown = append(unknown, t)
			continue
		}
		ch := Change{Path: "attributeMappings." + t, Before: "(the template's)", After: "(removed)"}
		if !want.Remove {
			ch.After = Describe(mapping(t, want, nil))
		}
		changes = append(changes, ch)
	}
	if len(unknown) > 0 {
		return nil, UnknownAttributesError{Attributes: unknown, Directory: "Azure Active Directory (target tenant)"}
	}
	if len(o.ScopeFilter) > 0 {
		changes = append(changes, Change{Path: "scopeFilter", After: describeFilter(o.ScopeFilter)})
	}
	return changes, nil
}

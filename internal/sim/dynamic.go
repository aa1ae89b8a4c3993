package sim

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/dynrule"
)

func parseRule(rule string) (dynrule.Expr, error) { return dynrule.Parse(rule) }

// refreshDynamic brings a dynamic group's members up to date with its
// rule, recording each change as a membership change, so that group delta
// reports members@delta for a dynamic group as for an assigned one.
// Entra processes rules in the background after a user or device changes;
// the emulator processes them whenever the members are about to be read,
// which a client cannot tell apart from a fast background pass. A paused
// rule keeps the members it had, and a group turned from dynamic to
// assigned keeps its last members (Graph docs: Manage rules for dynamic
// membership groups; Change static group membership to dynamic).
func (s *Server) refreshDynamic(g *Group) {
	if !g.IsDynamic() || g.MembershipRuleProcessingState == "Paused" {
		return
	}
	want := map[string]bool{}
	for _, id := range s.ruleMembers(g) {
		want[id] = true
	}
	for _, id := range g.sortedMembers() {
		if !want[id] {
			s.t.setMember(g, id, false)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want)) {
		s.t.setMember(g, id, true)
	}
}

// refreshAllDynamic refreshes every dynamic group, before a read (group
// delta) that reports them all against one position in the change sequence.
func (s *Server) refreshAllDynamic() {
	for _, id := range s.t.groupOrder {
		s.refreshDynamic(s.t.groups[id])
	}
}

// ruleMembers evaluates a dynamic group's rule over users or devices
// (whichever the rule names). An unparsable rule has no members.
func (s *Server) ruleMembers(g *Group) []string {
	rule, err := parseRule(g.MembershipRule)
	if err != nil {
		return nil
	}
	var ids []string
	if strings.Contains(strings.ToLower(g.MembershipRule), "device.") {
		for _, id := range s.t.deviceOrder {
			if evalRule(rule, "device", s.t.devices[id].props()) {
				ids = append(ids, id)
			}
		}
		return ids
	}
	for _, id := range s.t.userOrder {
		u := s.t.users[id]
		if rule, ok := rule.(*dynrule.DirectReports); ok {
			if m, _ := u.Properties["manager"].(string); strings.EqualFold(m, rule.ManagerID) {
				ids = append(ids, id)
			}
			continue
		}
		p := u.props()
		p["objectId"] = u.ID
		if evalRule(rule, "user", p) {
			ids = append(ids, id)
		}
	}
	return ids
}

// evalRule evaluates a membership rule against one object's properties.
// String comparisons ignore case, as Entra's do.
func evalRule(e dynrule.Expr, object string, props map[string]any) bool {
	switch x := e.(type) {
	case *dynrule.Logical:
		if x.Op == "and" {
			return evalRule(x.L, object, props) && evalRule(x.R, object, props)
		}
		return evalRule(x.L, object, props) || evalRule(x.R, object, props)
	case *dynrule.Not:
		return !evalRule(x.X, object, props)
	case *dynrule.Compare:
		v, ok := ruleProperty(x.Property, object, props)
		if !ok {
			return false
		}
		return compareRule(x.Op, v, x.Values)
	case *dynrule.Quantified:
		v, _ := ruleProperty(x.Property, object, props)
		items, _ := v.([]any)
		for _, item := range items {
			m, _ := item.(map[string]any)
			hit := evalRule(x.Body, "", m)
			if x.Kind == "any" && hit {
				return true
			}
			if x.Kind == "all" && !hit {
				return false
			}
		}
		return x.Kind == "all" && len(items) > 0
	}
	return false
}

// ruleProperty reads user.department (object "user") or, inside -any/-all,
// assignedPlan.servicePlanId (object ""), case-insensitively.
func ruleProperty(path, object string, props map[string]any) (any, bool) {
	prefix, name, ok := strings.Cut(path, ".")
	if !ok || (object != "" && !strings.EqualFold(prefix, object)) {
		return nil, false
	}
	for k, v := range props {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, true
}

func compareRule(op string, v any, values []dynrule.Value) bool {
	var s string
	isNull := v == nil
	if !isNull {
		s = strings.ToLower(fmt.Sprint(v))
	}
	want := ""
	if len(values) > 0 {
		want = strings.ToLower(values[0].Text)
	}
	switch op {
	case "eq", "ne":
		eq := (values[0].Null && isNull) || (!values[0].Null && !isNull && s == want)
		return eq == (op == "eq")
	case "startswith", "notstartswith":
		return !isNull && strings.HasPrefix(s, want) == (op == "startswith")
	case "contains", "notcontains":
		return !isNull && strings.Contains(s, want) == (op == "contains")
	case "match", "notmatch":
		re, err := regexp.Compile("(?i)" + values[0].Text)
		return err == nil && !isNull && re.MatchString(s) == (op == "match")
	case "in", "notin":
		in := false
		for _, x := range values {
			if !isNull && strings.ToLower(x.Text) == s {
				in = true
			}
		}
		return in == (op == "in")
	case "le", "ge":
		var a, b float64
		if _, err := fmt.Sscan(s, &a); err != nil {
			return false
		}
		if _, err := fmt.Sscan(want, &b); err != nil {
			return false
		}
		return (op == "le" && a <= b) || (op == "ge" && a >= b)
	}
	return false
}

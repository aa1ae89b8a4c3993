package sim

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/entrasync/entrasync/internal/odata"
)

// match evaluates a parsed $filter against an object's properties. String
// comparisons ignore case, as directory queries do.
func match(e odata.Expr, props map[string]any, vars map[string]any) bool {
	switch x := e.(type) {
	case *odata.Logical:
		if x.Op == "and" {
			return match(x.L, props, vars) && match(x.R, props, vars)
		}
		return match(x.L, props, vars) || match(x.R, props, vars)
	case *odata.Not:
		return !match(x.X, props, vars)
	case *odata.Compare:
		return compare(x.Op, operand(x.L, props, vars), operand(x.R, props, vars))
	case *odata.In:
		v := operand(x.L, props, vars)
		for _, lit := range x.Values {
			if compare("eq", v, literal(lit)) {
				return true
			}
		}
		return false
	case *odata.Call:
		s, _ := operand(x.Args[0], props, vars).(string)
		arg, _ := operand(x.Args[1], props, vars).(string)
		s, arg = strings.ToLower(s), strings.ToLower(arg)
		switch x.Name {
		case "startswith":
			return strings.HasPrefix(s, arg)
		case "endswith":
			return strings.HasSuffix(s, arg)
		case "contains":
			return strings.Contains(s, arg)
		}
	case *odata.Lambda:
		coll, _ := lookup(x.Path.Path, props, vars).([]any)
		if x.Body == nil {
			return len(coll) > 0
		}
		for _, item := range coll {
			inner := map[string]any{x.Var: item}
			for k, v := range vars {
				if _, shadowed := inner[k]; !shadowed {
					inner[k] = v
				}
			}
			ok := match(x.Body, props, inner)
			if x.Kind == "any" && ok {
				return true
			}
			if x.Kind == "all" && !ok {
				return false
			}
		}
		return x.Kind == "all"
	}
	return false
}

func operand(o odata.Operand, props, vars map[string]any) any {
	switch o := o.(type) {
	case odata.Property:
		return lookup(o.Path, props, vars)
	case odata.Literal:
		return literal(o)
	}
	return nil
}

func lookup(path []string, props, vars map[string]any) any {
	var cur any = props
	if v, ok := vars[path[0]]; ok {
		cur, path = v, path[1:]
	}
	for _, p := range path {
		if p == "$count" {
			// A collection's size: appRoleAssignments/$count gt 0
			// (Graph docs: List a user's direct memberships, example 6).
			if list, ok := cur.([]any); ok {
				return float64(len(list))
			}
			return nil
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func literal(l odata.Literal) any {
	switch l.Kind {
	case odata.Null:
		return nil
	case odata.Bool:
		return l.Value == "true"
	case odata.Number:
		f, _ := strconv.ParseFloat(l.Value, 64)
		return f
	}
	return l.Value
}

func compare(op string, a, b any) bool {
	if a == nil || b == nil {
		switch op {
		case "eq":
			return a == nil && b == nil
		case "ne":
			return !(a == nil && b == nil)
		}
		return false
	}
	var c int
	switch av := a.(type) {
	case string:
		bv, ok := b.(string)
		if !ok {
			return false
		}
		c = strings.Compare(strings.ToLower(av), strings.ToLower(bv))
	case bool:
		bv, ok := b.(bool)
		if !ok {
			return false
		}
		if av != bv {
			c = 1
		}
	case float64, int:
		af, _ := strconv.ParseFloat(fmt.Sprint(av), 64)
		bf, _ := strconv.ParseFloat(fmt.Sprint(b), 64)
		switch {
		case af < bf:
			c = -1
		case af > bf:
			c = 1
		}
	default:
		return false
	}
	switch op {
	case "eq":
		return c == 0
	case "ne":
		return c != 0
	case "gt":
		return c > 0
	case "ge":
		return c >= 0
	case "lt":
		return c < 0
	case "le":
		return c <= 0
	}
	return false
}

package render

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/plan"
)

// profileChange is one profile property's change, as both views print
// it: sym "+" for a value never imported, "~" for a changed one.
type profileChange struct {
	sym, user, property, before, after string
}

func (c profileChange) String() string {
	if c.sym == "+" {
		return fmt.Sprintf("%s %s %s = %s", c.sym, Clean(c.user), Clean(c.property), Clean(value(c.after)))
	}
	return fmt.Sprintf("%s %s %s: %s → %s", c.sym, Clean(c.user), Clean(c.property), Clean(value(c.before)), Clean(value(c.after)))
}

// profileChanges lists an import's property changes, user by user.
func profileChanges(imp *plan.ProfileImport) []profileChange {
	var out []profileChange
	for _, r := range imp.Rows {
		for _, a := range r.Changed() {
			c := profileChange{sym: "~", user: r.Name, property: imp.Properties[a], after: r.Values[a]}
			old, ok := r.Before[a]
			if ok {
				c.before = old
			} else {
				c.sym = "+"
			}
			out = append(out, c)
		}
	}
	return out
}

// importSummary says in a line how many profiles change, per property.
func importSummary(imp *plan.ProfileImport) string {
	counts := imp.Counts()
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", p, counts[p]))
	}
	s := fmt.Sprintf("%s of %s read change", plural(len(imp.Rows), "profile", "profiles"), plural(imp.UsersRead, "user", "users"))
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// importProblems are what the import leaves out and why.
func importProblems(imp *plan.ProfileImport) []string {
	var out []string
	if n := len(imp.Unresolvable); n > 0 {
		shown := imp.Unresolvable[:min(n, textMembersShown)]
		s := fmt.Sprintf("%s without a value for idType %s, so no record can name them: %s", plural(n, "user", "users"), imp.IDType, strings.Join(shown, ", "))
		if n > len(shown) {
			s += fmt.Sprintf(" … and %d more", n-len(shown))
		}
		out = append(out, s)
	}
	for i, r := range imp.Refused {
		if i == textMembersShown {
			out = append(out, fmt.Sprintf("… and %d more values left out (the JSON plan lists all)", len(imp.Refused)-i))
			break
		}
		out = append(out, fmt.Sprintf("%s %s left out: %s", r.User, r.Attribute, r.Why))
	}
	return out
}

// importAction says what apply does with the import; "" for nothing.
func importAction(c plan.ObjectChange) string {
	imp := c.Import
	switch {
	case imp == nil || c.Action != plan.Update:
		return ""
	case len(imp.Rows) == 0:
		return "nothing to import; record the new delta link in " + imp.StatePath
	}
	return fmt.Sprintf("upload %s to %s, queue the import (%s matched by %s) and follow its job",
		plural(len(imp.Rows), "record", "records"), imp.Folder, imp.IDType, imp.IDProperty)
}

func writeImport(b *strings.Builder, c plan.ObjectChange, st Style) {
	imp := c.Import
	fmt.Fprintf(b, "    [%s]\n", Clean(imp.ModeReason))
	if len(imp.Rows) > 0 {
		fmt.Fprintf(b, "    %s\n", importSummary(imp))
	}
	for i, c := range profileChanges(imp) {
		if i == textMembersShown {
			fmt.Fprintf(b, "        … and more (the JSON plan lists every record)\n")
			break
		}
		colour := ansiYellow
		if c.sym == "+" {
			colour = ansiGreen
		}
		fmt.Fprintf(b, "        %s%s\n", st.paint(colour, c.sym), strings.TrimPrefix(c.String(), c.sym))
	}
	for _, p := range importProblems(imp) {
		fmt.Fprintf(b, "    %s %s\n", st.paint(ansiYellow, "!"), Clean(p))
	}
	if a := importAction(c); a != "" {
		fmt.Fprintf(b, "    %s %s\n", st.paint(ansiBold, "→"), Clean(a))
	}
}

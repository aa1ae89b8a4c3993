package sim

import (
	"fmt"
	"strings"
	"unicode"
)

// $search on directory objects (Graph docs: Use the $search query
// parameter; Advanced query capabilities): only with ConsistencyLevel:
// eventual; clauses "property:value" in double quotes, joined by AND and
// OR (AND binds tighter). displayName and description are tokenized (on
// spaces, punctuation, a change of case and between letters and digits),
// and a clause matches when a token, and what follows it, starts with the
// value; other properties match when they start with it. Case is ignored.

// searchQuery is a parsed $search: clauses in disjunctive form, OR over
// groups of clauses ANDed together.
type searchQuery [][]searchClause

type searchClause struct{ prop, value string }

// searchable are the properties $search accepts, and whether they are
// tokenized.
var searchable = map[string]bool{
	"displayName": true, "description": true,
	"mail": false, "mailNickname": false, "userPrincipalName": false, "givenName": false, "surname": false,
}

const searchNeedsEventual = "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'"

// parseSearch parses a $search expression; msg is Graph's message when
// it is invalid.
func parseSearch(s string) (q searchQuery, msg string) {
	var and []searchClause
	expectClause := true
	rest := strings.TrimSpace(s)
	for rest != "" {
		if expectClause {
			if rest[0] != '"' {
				return nil, fmt.Sprintf("Syntax error: a $search clause is a double-quoted \"property:value\" at %q", rest)
			}
			end := strings.IndexByte(rest[1:], '"')
			if end < 0 {
				return nil, fmt.Sprintf("Syntax error: unterminated quote in %q", rest)
			}
			prop, value, ok := strings.Cut(rest[1:end+1], ":")
			if !ok || value == "" {
				return nil, fmt.Sprintf("Syntax error: %q is not \"property:value\"", rest[:end+2])
			}
			if _, known := searchable[prop]; !known {
				return nil, fmt.Sprintf("Invalid search property '%s'.", prop)
			}
			and = append(and, searchClause{prop: prop, value: strings.ToLower(value)})
			rest = strings.TrimSpace(rest[end+2:])
			expectClause = false
			continue
		}
		word, after, _ := strings.Cut(rest, " ")
		switch word {
		case "AND":
		case "OR":
			q = append(q, and)
			and = nil
		default:
			return nil, fmt.Sprintf("Syntax error: expected AND or OR at %q", rest)
		}
		rest = strings.TrimSpace(after)
		expectClause = true
	}
	if expectClause {
		return nil, fmt.Sprintf("Syntax error: the $search expression %q ends without a clause", s)
	}
	return append(q, and), ""
}

// matches reports whether an object's properties satisfy the search.
func (q searchQuery) matches(props map[string]any) bool {
	for _, and := range q {
		all := true
		for _, c := range and {
			text, _ := props[c.prop].(string)
			if !searchMatch(text, c.value, searchable[c.prop]) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

func searchMatch(text, value string, tokenized bool) bool {
	lower := strings.ToLower(text)
	if strings.HasPrefix(lower, value) {
		return true
	}
	if !tokenized {
		return false
	}
	runes := []rune(text)
	for i := 1; i < len(runes); i++ {
		if tokenStart(runes[i-1], runes[i]) && strings.HasPrefix(strings.ToLower(string(runes[i:])), value) {
			return true
		}
	}
	return false
}

// tokenStart reports whether a token begins at cur, after prev.
func tokenStart(prev, cur rune) bool {
	alnum := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	switch {
	case !alnum(cur):
		return false
	case !alnum(prev):
		return true
	case unicode.IsLower(prev) && unicode.IsUpper(cur):
		return true
	}
	return unicode.IsDigit(prev) != unicode.IsDigit(cur)
}

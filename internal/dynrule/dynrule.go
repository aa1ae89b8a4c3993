package dynrule

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Expr is a rule expression.
type Expr interface{ Offset() int }

// Logical is "L -and R" or "L -or R".
type Logical struct {
	At   int
	Op   string // "and" or "or"
	L, R Expr
}

// Not is "-not X".
type Not struct {
	At int
	X  Expr
}

// Compare is "property -op value". Values holds one value, or several for
// -in/-notIn. Op is lower-case without the dash: "eq", "startswith", …
type Compare struct {
	At       int
	Property string // as written, e.g. user.department
	Op       string
	Values   []Value
}

// Quantified is "property -any (expr)" or "property -all (expr)".
type Quantified struct {
	At       int
	Property string
	Kind     string // "any" or "all"
	Body     Expr
}

// DirectReports is `Direct Reports for "<managerId>"`.
type DirectReports struct {
	At        int
	ManagerID string
}

// Value is a rule constant; Null marks the keyword null.
type Value struct {
	Text string
	Null bool
	Bool *bool
}

func (x *Logical) Offset() int       { return x.At }
func (x *Not) Offset() int           { return x.At }
func (x *Compare) Offset() int       { return x.At }
func (x *Quantified) Offset() int    { return x.At }
func (x *DirectReports) Offset() int { return x.At }

// Error is a syntax error at a byte offset of the rule.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// Operators maps each comparison operator (lower-case) to whether it takes
// a list of values.
var Operators = map[string]bool{
	"eq": false, "ne": false, "startswith": false, "notstartswith": false,
	"contains": false, "notcontains": false, "match": false, "notmatch": false,
	"le": false, "ge": false, "in": true, "notin": true,
}

// Parse parses a membership rule.
func Parse(rule string) (Expr, error) {
	if !utf8.ValidString(rule) {
		return nil, &Error{0, "rule is not valid UTF-8"}
	}
	toks, err := lex(rule)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	if t := p.peek(); t.kind == tWord && strings.EqualFold(t.text, "direct") {
		return p.directReports()
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s after a complete rule", t.describe())
	}
	return e, nil
}

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tOp // -eq, -and, …; text is lower-case without the dash
	tString
	tLParen
	tRParen
	tLBracket
	tRBracket
	tComma
)

type tok struct {
	kind tokKind
	text string
	at   int
}

func (t tok) describe() string {
	switch t.kind {
	case tEOF:
		return "the end of the rule"
	case tOp:
		return "-" + t.text
	case tString:
		return fmt.Sprintf("the string %q", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

func lex(s string) ([]tok, error) {
	var out []tok
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')' || c == '[' || c == ']' || c == ',':
			kind := map[byte]tokKind{'(': tLParen, ')': tRParen, '[': tLBracket, ']': tRBracket, ',': tComma}[c]
			out = append(out, tok{kind, string(c), i})
			i++
		case c == '"' || c == '\'':
			// Rules quote with double quotes; single quotes appear in -in
			// lists in Microsoft's own examples. A backtick escapes a quote.
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != c; j++ {
				if s[j] == '`' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, &Error{i, "string is not terminated: add the closing " + string(c)}
			}
			out = append(out, tok{tString, b.String(), i})
			i = j + 1
		case c == '-' && i+1 < len(s) && isLetter(s[i+1]):
			j := i + 1
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			out = append(out, tok{tOp, strings.ToLower(s[i+1 : j]), i})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			out = append(out, tok{tWord, s[i:j], i})
			i = j
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			hint := ""
			if c == '=' || c == '!' {
				hint = ": operators are written -eq, -ne, …"
			}
			return nil, &Error{i, fmt.Sprintf("unexpected character %q%s", r, hint)}
		}
	}
	return append(out, tok{tEOF, "", len(s)}), nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isWordByte(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '.' || c == '_'
}

type parser struct {
	toks []tok
	pos  int
}

func (p *parser) peek() tok { return p.toks[p.pos] }
func (p *parser) next() tok {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}
func (p *parser) errorf(t tok, format string, args ...any) error {
	return &Error{t.at, fmt.Sprintf(format, args...)}
}

func (p *parser) expr(depth int) (Expr, error) {
	if depth > 100 {
		return nil, p.errorf(p.peek(), "rule nested too deeply")
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && t.text == "or"; t = p.peek() {
		p.next()
		r, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		l = &Logical{At: t.at, Op: "or", L: l, R: r}
	}
	return l, nil
}

func (p *parser) and(depth int) (Expr, error) {
	l, err := p.unary(depth)
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == tOp && t.text == "and"; t = p.peek() {
		p.next()
		r, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		l = &Logical{At: t.at, Op: "and", L: l, R: r}
	}
	return l, nil
}

func (p *parser) unary(depth int) (Expr, error) {
	t := p.peek()
	if t.kind == tOp && t.text == "not" {
		p.next()
		x, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		return &Not{At: t.at, X: x}, nil
	}
	if t.kind == tLParen {
		p.next()
		x, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errorf(c, "expected ')' to close the '(' at offset %d, found %s", t.at, c.describe())
		}
		return x, nil
	}
	return p.comparison(depth)
}

// objectPrefixes are the objects a rule property may start with; assignedPlan,
// group and the like are the loop variables of -any/-all.
var objectPrefixes = []string{"user.", "device.", "assignedplan.", "group.", "serviceplan."}

func (p *parser) comparison(depth int) (Expr, error) {
	prop := p.next()
	if prop.kind != tWord {
		return nil, p.errorf(prop, "expected a property such as user.department, found %s", prop.describe())
	}
	lower := strings.ToLower(prop.text)
	known := false
	for _, pre := range objectPrefixes {
		if strings.HasPrefix(lower, pre) && len(lower) > len(pre) {
			known = true
		}
	}
	if !known {
		return nil, p.errorf(prop, "property %q must start with user. or device.", prop.text)
	}
	op := p.next()
	if op.kind != tOp {
		return nil, p.errorf(op, "expected an operator such as -eq after %s, found %s", prop.text, op.describe())
	}
	if op.text == "any" || op.text == "all" {
		open := p.next()
		if open.kind != tLParen {
			return nil, p.errorf(open, "expected '(' after -%s", op.text)
		}
		body, err := p.expr(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errorf(c, "expected ')' to close -%s (...), found %s", op.text, c.describe())
		}
		return &Quantified{At: prop.at, Property: prop.text, Kind: op.text, Body: body}, nil
	}
	list, ok := Operators[op.text]
	if !ok {
		return nil, p.errorf(op, "unknown operator -%s", op.text)
	}
	if list {
		open := p.next()
		if open.kind != tLBracket {
			return nil, p.errorf(open, "-%s takes a list such as [\"a\",\"b\"], found %s", op.text, open.describe())
		}
		var vals []Value
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			vals = append(vals, v)
			sep := p.next()
			if sep.kind == tRBracket {
				break
			}
			if sep.kind != tComma {
				return nil, p.errorf(sep, "expected ',' or ']' in the list, found %s", sep.describe())
			}
		}
		return &Compare{At: prop.at, Property: prop.text, Op: op.text, Values: vals}, nil
	}
	v, err := p.value()
	if err != nil {
		return nil, err
	}
	return &Compare{At: prop.at, Property: prop.text, Op: op.text, Values: []Value{v}}, nil
}

func (p *parser) value() (Value, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return Value{Text: t.text}, nil
	case tWord:
		switch strings.ToLower(t.text) {
		case "null":
			return Value{Null: true}, nil
		case "true", "false":
			b := strings.EqualFold(t.text, "true")
			return Value{Text: strings.ToLower(t.text), Bool: &b}, nil
		}
		if t.text[0] >= '0' && t.text[0] <= '9' {
			return Value{Text: t.text}, nil
		}
		return Value{}, p.errorf(t, "value %s must be quoted: \"%s\"", t.text, t.text)
	}
	return Value{}, p.errorf(t, "expected a value, found %s", t.describe())
}

func (p *parser) directReports() (Expr, error) {
	start := p.next() // Direct
	if t := p.next(); t.kind != tWord || !strings.EqualFold(t.text, "reports") {
		return nil, p.errorf(t, `expected Direct Reports for "<manager id>"`)
	}
	if t := p.next(); t.kind != tWord || !strings.EqualFold(t.text, "for") {
		return nil, p.errorf(t, `expected Direct Reports for "<manager id>"`)
	}
	id := p.next()
	if id.kind != tString {
		return nil, p.errorf(id, `expected the manager's object id in quotes`)
	}
	if t := p.next(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s after the Direct Reports rule", t.describe())
	}
	return &DirectReports{At: start.at, ManagerID: id.text}, nil
}

// PropertyRef is a property a rule reads and where.
type PropertyRef struct {
	At   int
	Name string // as written, e.g. user.department
}

// Properties lists the user and device properties a rule reads, leaving
// out those inside -any/-all bodies, which name the element's fields.
func Properties(e Expr) []PropertyRef {
	var out []PropertyRef
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Logical:
			walk(x.L)
			walk(x.R)
		case *Not:
			walk(x.X)
		case *Compare:
			out = append(out, PropertyRef{x.At, x.Property})
		case *Quantified:
			out = append(out, PropertyRef{x.At, x.Property})
		case *DirectReports:
		}
	}
	walk(e)
	return out
}

package odata

import (
	"fmt"
	"strings"
)

// Error is a syntax error at a byte offset of the filter text.
type Error struct {
	Offset int
	Msg    string
}

func (e *Error) Error() string { return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg) }

// Parse parses a $filter expression.
func Parse(s string) (Expr, error) {
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks, src: s}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t, "unexpected %s after a complete expression", t.describe())
	}
	return e, nil
}

type parser struct {
	toks       []token
	pos        int
	src        string
	lambdaVars []string // lambda variables in scope
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &Error{Offset: t.at, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) keyword(t token, word string) bool {
	return t.kind == tIdent && strings.EqualFold(t.text, word)
}

// expr parses or-expressions; depth guards against pathological nesting.
func (p *parser) expr(depth int) (Expr, error) {
	if depth > 100 {
		return nil, p.errorf(p.peek(), "expression nested too deeply")
	}
	l, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	for p.keyword(p.peek(), "or") {
		t := p.next()
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
	for p.keyword(p.peek(), "and") {
		t := p.next()
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
	if p.keyword(t, "not") {
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
	return p.predicate(depth)
}

var comparisonOps = map[string]bool{"eq": true, "ne": true, "gt": true, "ge": true, "lt": true, "le": true}

var boolFunctions = map[string]int{"startswith": 2, "endswith": 2, "contains": 2}

func (p *parser) predicate(depth int) (Expr, error) {
	t := p.peek()
	if t.kind == tIdent {
		if n, ok := boolFunctions[strings.ToLower(t.text)]; ok && p.toks[p.pos+1].kind == tLParen {
			return p.call(strings.ToLower(t.text), n)
		}
	}
	l, lambda, err := p.operand(depth)
	if err != nil {
		return nil, err
	}
	if lambda != nil {
		return lambda, nil
	}
	op := p.next()
	if op.kind != tIdent {
		return nil, p.errorf(op, "expected an operator (eq, ne, gt, ge, lt, le, in) after %s, found %s", describeOperand(l), op.describe())
	}
	word := strings.ToLower(op.text)
	if word == "in" {
		return p.in(op, l)
	}
	if !comparisonOps[word] {
		return nil, p.errorf(op, "unknown operator %q: use eq, ne, gt, ge, lt, le or in", op.text)
	}
	r, lambda, err := p.operand(depth)
	if err != nil {
		return nil, err
	}
	if lambda != nil {
		return nil, p.errorf(op, "a lambda cannot be compared")
	}
	return &Compare{At: op.at, Op: word, L: l, R: r}, nil
}

func (p *parser) call(name string, arity int) (Expr, error) {
	t := p.next() // name
	p.next()      // (
	var args []Operand
	for {
		a, lambda, err := p.operand(0)
		if err != nil {
			return nil, err
		}
		if lambda != nil {
			return nil, p.errorf(t, "%s takes a property and a string, not a lambda", name)
		}
		args = append(args, a)
		sep := p.next()
		if sep.kind == tRParen {
			break
		}
		if sep.kind != tComma {
			return nil, p.errorf(sep, "expected ',' or ')' in %s(...), found %s", name, sep.describe())
		}
	}
	if len(args) != arity {
		return nil, p.errorf(t, "%s takes %d arguments, found %d", name, arity, len(args))
	}
	return &Call{At: t.at, Name: name, Args: args}, nil
}

func (p *parser) in(op token, l Operand) (Expr, error) {
	open := p.next()
	if open.kind != tLParen {
		return nil, p.errorf(open, "expected '(' after in, found %s", open.describe())
	}
	var vals []Literal
	for {
		t := p.next()
		lit, ok := literalOf(t)
		if !ok {
			return nil, p.errorf(t, "expected a literal in the in (...) list, found %s", t.describe())
		}
		vals = append(vals, lit)
		sep := p.next()
		if sep.kind == tRParen {
			break
		}
		if sep.kind != tComma {
			return nil, p.errorf(sep, "expected ',' or ')' in the in (...) list, found %s", sep.describe())
		}
	}
	return &In{At: op.at, L: l, Values: vals}, nil
}

// operand parses a literal or a property path; a path ending in /any(...) or
// /all(...) is a lambda and comes back as the second result.
func (p *parser) operand(depth int) (Operand, Expr, error) {
	t := p.next()
	if lit, ok := literalOf(t); ok {
		return lit, nil, nil
	}
	if t.kind != tIdent {
		return nil, nil, p.errorf(t, "expected a property or a value, found %s", t.describe())
	}
	if isReserved(t.text) {
		return nil, nil, p.errorf(t, "expected a property or a value, found the keyword %q", t.text)
	}
	prop := Property{At: t.at, Path: []string{t.text}}
	for p.peek().kind == tSlash {
		p.next()
		seg := p.next()
		if seg.kind != tIdent {
			return nil, nil, p.errorf(seg, "expected a property name after '/', found %s", seg.describe())
		}
		kind := strings.ToLower(seg.text)
		if (kind == "any" || kind == "all") && p.peek().kind == tLParen {
			lambda, err := p.lambda(prop, kind, seg, depth)
			return nil, lambda, err
		}
		prop.Path = append(prop.Path, seg.text)
	}
	return prop, nil, nil
}

func (p *parser) lambda(path Property, kind string, at token, depth int) (Expr, error) {
	p.next() // (
	if p.peek().kind == tRParen {
		p.next()
		if kind == "all" {
			return nil, p.errorf(at, "all() needs a condition")
		}
		return &Lambda{At: at.at, Path: path, Kind: kind}, nil
	}
	v := p.next()
	if v.kind != tIdent || isReserved(v.text) {
		return nil, p.errorf(v, "expected a lambda variable, as in %s/%s(x: ...), found %s", path, kind, v.describe())
	}
	if c := p.next(); c.kind != tColon {
		return nil, p.errorf(c, "expected ':' after the lambda variable %q, found %s", v.text, c.describe())
	}
	p.lambdaVars = append(p.lambdaVars, v.text)
	body, err := p.expr(depth + 1)
	p.lambdaVars = p.lambdaVars[:len(p.lambdaVars)-1]
	if err != nil {
		return nil, err
	}
	if c := p.next(); c.kind != tRParen {
		return nil, p.errorf(c, "expected ')' to close %s(...), found %s", kind, c.describe())
	}
	return &Lambda{At: at.at, Path: path, Kind: kind, Var: v.text, Body: body}, nil
}

func isReserved(s string) bool {
	switch strings.ToLower(s) {
	case "and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "in":
		return true
	}
	return false
}

func literalOf(t token) (Literal, bool) {
	switch t.kind {
	case tString:
		return Literal{At: t.at, Kind: String, Value: t.text}, true
	case tNumber:
		return Literal{At: t.at, Kind: Number, Value: t.text}, true
	case tGUID:
		return Literal{At: t.at, Kind: GUID, Value: t.text}, true
	case tDateTime:
		return Literal{At: t.at, Kind: DateTime, Value: t.text}, true
	case tIdent:
		switch t.text {
		case "true", "false":
			return Literal{At: t.at, Kind: Bool, Value: t.text}, true
		case "null":
			return Literal{At: t.at, Kind: Null, Value: t.text}, true
		}
	}
	return Literal{}, false
}

func describeOperand(o Operand) string {
	switch o := o.(type) {
	case Property:
		return "property " + o.String()
	case Literal:
		return "a value"
	}
	return "the operand"
}

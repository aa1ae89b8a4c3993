package odata

import (
	"slices"
	"strings"
)

// Expr is a boolean filter expression.
type Expr interface {
	// Offset is the byte offset of the expression in the filter text.
	Offset() int
	expr()
}

// Operand is a value in a comparison: a property path, a literal, a
// function call or a lambda variable's member.
type Operand interface {
	Offset() int
	operand()
}

// Logical is "L and R" or "L or R".
type Logical struct {
	At   int
	Op   string // "and" or "or"
	L, R Expr
}

// Not is "not X".
type Not struct {
	At int
	X  Expr
}

// Compare is "L op R" with op one of eq, ne, gt, ge, lt, le.
type Compare struct {
	At   int
	Op   string
	L, R Operand
}

// In is "L in (v1, v2, …)".
type In struct {
	At     int
	L      Operand
	Values []Literal
}

// Call is a boolean function: startswith, endswith or contains.
type Call struct {
	At   int
	Name string
	Args []Operand
}

// Lambda is "path/any(v: body)" or "path/all(v: body)"; "path/any()" tests
// for a non-empty collection.
type Lambda struct {
	At   int
	Path Property
	Kind string // "any" or "all"
	Var  string
	Body Expr // nil for path/any()
}

// Property is a property path such as department or onPremisesExtensionAttributes/extensionAttribute1.
// Inside a lambda, the first element may be the lambda variable.
type Property struct {
	At   int
	Path []string
}

// String joins the path with slashes, as written.
func (p Property) String() string { return strings.Join(p.Path, "/") }

// LiteralKind is the type of a literal.
type LiteralKind int

// The literal kinds.
const (
	String LiteralKind = iota
	Number
	Bool
	Null
	GUID
	DateTime
)

// Literal is a constant. Value holds strings unquoted and unescaped, and
// other kinds as written.
type Literal struct {
	At    int
	Kind  LiteralKind
	Value string
}

func (x *Logical) Offset() int { return x.At }
func (x *Not) Offset() int     { return x.At }
func (x *Compare) Offset() int { return x.At }
func (x *In) Offset() int      { return x.At }
func (x *Call) Offset() int    { return x.At }
func (x *Lambda) Offset() int  { return x.At }
func (x Property) Offset() int { return x.At }
func (x Literal) Offset() int  { return x.At }

func (*Logical) expr() {}
func (*Not) expr()     {}
func (*Compare) expr() {}
func (*In) expr()      {}
func (*Call) expr()    {}
func (*Lambda) expr()  {}

func (Property) operand() {}
func (Literal) operand()  {}

// Walk calls fn for every expression in pre-order; fn returning false
// stops descent into that expression's children.
func Walk(e Expr, fn func(Expr) bool) {
	if e == nil || !fn(e) {
		return
	}
	switch x := e.(type) {
	case *Logical:
		Walk(x.L, fn)
		Walk(x.R, fn)
	case *Not:
		Walk(x.X, fn)
	case *Lambda:
		Walk(x.Body, fn)
	case *Compare, *In, *Call:
	}
}

// Properties lists the properties an expression reads, in order, leaving
// out paths through a lambda's variable (x/skuId in any(x: …)), which
// name the element's properties rather than the resource's.
func Properties(e Expr) []Property {
	var out []Property
	var vars []string
	operand := func(o Operand) {
		if p, ok := o.(Property); ok && len(p.Path) > 0 && !slices.Contains(vars, p.Path[0]) {
			out = append(out, p)
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch x := e.(type) {
		case *Logical:
			walk(x.L)
			walk(x.R)
		case *Not:
			walk(x.X)
		case *Compare:
			operand(x.L)
			operand(x.R)
		case *In:
			operand(x.L)
		case *Call:
			for _, a := range x.Args {
				operand(a)
			}
		case *Lambda:
			operand(x.Path)
			if x.Body != nil {
				vars = append(vars, x.Var)
				walk(x.Body)
				vars = vars[:len(vars)-1]
			}
		}
	}
	walk(e)
	return out
}

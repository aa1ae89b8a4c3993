package config

import (
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/parser"
)

// The helpers below let packages that write CUE (export) do so without
// importing CUE themselves: CUE stays in this package.

// Quote is s as a CUE string literal: a backslash, a quote, a newline or
// an interpolation in s stays text.
func Quote(s string) string { return literal.String.Quote(s) }

// Format formats CUE source as `cue fmt` does.
func Format(src []byte) ([]byte, error) { return format.Source(src, format.Simplify()) }

// Outline returns a CUE file's package name and the names of the fields
// it declares at the top level.
func Outline(name string, src []byte) (pkg string, fields []string, err error) {
	f, err := parser.ParseFile(name, src)
	if err != nil {
		return "", nil, err
	}
	for _, decl := range f.Decls {
		if field, ok := decl.(*ast.Field); ok {
			if label, _, err := ast.LabelName(field.Label); err == nil {
				fields = append(fields, label)
			}
		}
	}
	return f.PackageName(), fields, nil
}

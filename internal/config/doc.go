// Package config loads a configuration package: it reads CUE files from an
// in-memory snapshot (a Git revision or the working tree), unifies them with
// the embedded schema, checks concreteness, and decodes the result into
// [model.Desired]. CUE errors become [diag.Diagnostics] carrying the user's
// file:line:col.
//
// This is the only package that imports cuelang.org/go. Nothing is read from
// disk here: callers pass the files, so two revisions of a pull request can
// be loaded side by side.
//
// Large configurations cost CUE most where they carry least meaning: member
// lists of plain strings. Two measures keep a 10,000-group configuration
// within seconds and a few hundred megabytes, each taken only when the
// syntax shows it cannot change the result: member lists of string
// literals are taken out of the syntax tree before evaluation and put back
// after (lists.go), and groups that no reference connects are evaluated in
// parts, in parallel (parts.go). TestFastPathMatchesWholeEvaluation and
// FuzzFastPath hold both to what CUE gives evaluating everything whole.
package config

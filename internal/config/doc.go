// Package config loads a configuration package: it reads CUE files from an
// in-memory snapshot (a Git revision or the working tree), unifies them with
// the embedded schema, checks concreteness, and decodes the result into
// [model.Desired]. CUE errors become [diag.Diagnostics] carrying the user's
// file:line:col.
//
// This is the only package that imports cuelang.org/go. Nothing is read from
// disk here: callers pass the files, so two revisions of a pull request can
// be loaded side by side.
package config

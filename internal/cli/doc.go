// Package cli implements the entrasync command line: one file per command,
// each a flags struct, a cobra constructor with examples, and a run
// function. Main is the entry point for cmd/entrasync and for the
// testscript end-to-end tests in testdata/script.
//
// Exit codes follow Terraform's -detailed-exitcode: 0 success (no
// changes), 1 error or invalid input, 2 success with changes present.
package cli

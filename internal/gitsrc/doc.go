// Package gitsrc reads a configuration package's CUE files from a Git
// revision (through go-git, without checking anything out) or from the
// working tree, as an in-memory snapshot for [config.Load].
//
// It works on bare and shallow clones. This is the only package that
// imports go-git.
package gitsrc

// Package schema embeds the entrasync CUE schema (entrasync.cue beside this
// file) so the binary validates configurations without any file on disk.
//
// The same directory is a CUE package that users can vendor into their own
// repository (entrasync schema --out cue.mod/pkg/github.com/entrasync/entrasync/schema)
// and import, so that `cue vet` checks their files as entrasync does.
package schema

import "embed"

// Filename is the name schema positions carry in diagnostics.
const Filename = "schema/entrasync.cue"

// ImportPath is the CUE import path users write to import the schema.
const ImportPath = "github.com/entrasync/entrasync/schema"

// Root is the definition a configuration package is unified with.
const Root = "#Config"

//go:embed entrasync.cue
var Source []byte

// FS holds the schema's CUE files, for writing them into a user's repository.
//
//go:embed *.cue
var FS embed.FS

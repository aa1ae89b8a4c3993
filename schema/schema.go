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

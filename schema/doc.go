// Package schema embeds the entrasync CUE schema (entrasync.cue beside this
// file) so the binary validates configurations without any file on disk.
//
// The same directory is a CUE package that users can vendor into their own
// repository (entrasync schema --out cue.mod/pkg/github.com/entrasync/entrasync/schema)
// and import, so that `cue vet` checks their files as entrasync does.
package schema

// Package model holds the plain desired-state types entrasync works on, and
// the addresses that name each declared object.
//
// The types mirror the CUE schema in schema/entrasync.cue field for field and
// decode from its JSON form; they import neither CUE nor Microsoft Graph, so
// the planner, the validator and the renderers can be tested without either.
package model

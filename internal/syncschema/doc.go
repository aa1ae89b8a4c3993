// Package syncschema applies what a configuration declares of a
// cross-tenant synchronization job's schema (attribute-mapping overrides
// and a scoping filter) to the schema Graph holds.
//
// Graph's PUT of a job's schema replaces the whole document, so a change
// to one mapping is a read, a merge and a write of everything. [Apply] is
// that merge: pure, so the planner uses it to show the diff and apply uses
// it again on the schema as it is when the write happens. Everything the
// overrides do not name (other rules, other object mappings, mappings of
// other attributes, metadata, directories) is copied through untouched,
// and a mapping whose declared fields already hold is left as Graph
// returned it, byte for byte.
package syncschema

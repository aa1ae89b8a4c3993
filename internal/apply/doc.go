// Package apply executes a plan through an [entra.Writer], in the order of
// ARCHITECTURE §4: create groups, wait until they are readable, update
// attributes, owners, member adds, member removes, deletes, and each
// group's marker last.
//
// Every step is idempotent ("already a member" and "not a member" count as
// success), and a group's marker only moves when all of its writes
// succeeded, so re-running after a crash or a failure converges. Apply
// refuses to start when a removal guard trips (unless overridden) or when
// the live state no longer matches the plan's fingerprints.
package apply

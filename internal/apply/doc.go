// Package apply executes a plan through an [entra.Writer], phase by
// phase: create groups, wait until they are readable, mark the
// new groups (so an interrupted apply can always be resumed), update
// attributes, owners, member adds, member removes; then the other kinds'
// steps by [plan.Phase] (the ownership record claims, objects are
// written), group deletes, the other kinds' deletes and the record's
// release, and the other groups' markers last.
//
// Every step is idempotent ("already a member" and "not a member" count as
// success), and a group's marker only moves when all of its writes
// succeeded, so re-running after a crash or a failure converges. Apply
// refuses to start when a removal guard trips (unless overridden) or when
// the live state no longer matches the plan's fingerprints.
package apply

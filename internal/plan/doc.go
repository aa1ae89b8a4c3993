// Package plan computes what apply will do: per declared address, create,
// update, delete or nothing, and the members and owners to add and remove
// under the group's membership mode.
//
// Every managed kind is a [Kind] run by [Make], the one pipeline: groups
// ([Groups]) first, then the document kinds (cross-tenant partners, the
// default policy, synchronization jobs), then the ownership record's
// change; ordering, the prune guard, the summary and the --target check
// are Make's, written once for every kind.
//
// For groups, reading and computing are separate steps. [ReadLive] asks an
// [entra.Reader] for exactly what the desired state needs, in bulk.
// [Compute] is a pure function of the desired state, the live state and
// the options: the plan is a value, and renderers print it.
//
// # Membership semantics
//
// Full sync makes a group's members exactly the declared set. Incremental
// sync adds what is declared and missing, and removes what the
// configuration declared at the last applied commit and no longer does;
// members added in the tenant by hand stay. The first sync of a group is
// full. Owners follow the same rules once they are declared.
//
// "What was declared at the last applied commit" has two parts:
//
//   - Explicit references (users, devices, service principals, nested
//     groups, owners) are read from Git at the commit the group's marker
//     records. When that commit is missing (a shallow clone, rewritten
//     history) the run is add-only: the marker keeps its commit and adds
//     the new one to its pending list, and the first run with the history
//     removes what any of those commits declared and the configuration no
//     longer does. The marker's commit moves only when a sync completes.
//   - Computed sources (an OData filter on users, a mirrored group) change
//     without any commit, so Git cannot say what they resolved to. Each
//     group with computed sources keeps a sources record: a security group
//     entrasync creates, marked with the role "sources", whose members are
//     what the sources resolved to at the last apply. A member that leaves
//     the source is removed, as Configuration Manager's incremental
//     collection sync does; a member added by hand never was in the record
//     and stays. The record is a group rather than part of the marker
//     because Graph's open extensions hold at most 2 KB of data per
//     extension (about 50 object ids), while a membership holds any number
//     of ids and is read and written in bulk like any other.
//
// The marker (an open extension, well under 2 KB) records the address, the
// commit, pending commits, earlier addresses still needed to read them,
// whether owners are managed, an owner Graph kept as the last one, and
// whether a sources record exists. A plan that cannot decide some
// removals says so in [GroupChange.Undecided], with what would decide
// them; it never reports that the tenant matches.
package plan

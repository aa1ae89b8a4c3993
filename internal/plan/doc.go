// Package plan computes what apply will do: per declared address, create,
// update, delete or nothing, and the members and owners to add and remove
// under the group's membership mode (ARCHITECTURE §3).
//
// Reading and computing are separate steps. [ReadLive] asks an
// [entra.Reader] for exactly what the desired state needs, in bulk.
// [Compute] is a pure function of the desired state, the live state and
// the options: the plan is a value, and renderers print it.
package plan

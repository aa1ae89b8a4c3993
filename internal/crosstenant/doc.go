// Package crosstenant plans the cross-tenant access policy: partner
// configurations with their identity-sync policies, and the tenant-wide
// default. Each is a [plan.Kind]: it reads the live documents, resolves
// the users and groups the declaration names, diffs setting by setting and
// emits the requests apply sends.
//
// # Semantics
//
//   - A setting left out of the configuration is not touched. For a
//     partner, null resets it to inherit the default.
//   - An update sends one PATCH holding only the settings that change;
//     each changed setting is sent whole (the live value with the declared
//     parts laid over it), so the result is the same whether Graph merges
//     or replaces a complex property, which its documentation leaves open.
//   - identitySynchronization is created with PUT and updated with PATCH
//     (a second PUT is Graph's 409), and deleted before its partner, which
//     Graph requires.
//   - Partners carry no open extensions, so ownership lives in the
//     configuration's ownership record on the organization (see
//     [plan.OwnershipExtension]). A live partner that no configuration
//     records is taken over only with adopt: true; one another
//     configuration records never is. Prune deletes only what this
//     configuration created, and releases what it adopted.
//   - The default policy is updated, never deleted.
package crosstenant

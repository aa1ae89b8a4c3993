// Package export writes what a tenant holds as an entrasync
// configuration, so an existing tenant comes under management without
// hand-written CUE: the first plan after an export changes nothing, and
// the first apply only writes markers.
//
// Reading ([Read]) takes a bounded number of round trips: one listing of
// the groups (with their markers), the members and owners of every
// exported group twenty requests per $batch, and one lookup per fifteen
// device names to learn which names are unique. Rendering ([Render]) is a
// pure function of what was read, so exporting an unchanged tenant twice
// gives the same bytes, and a Git diff of a re-export shows real changes
// only.
//
// # What an export declares
//
//   - Every group carries adopt: "id:…": the plan binds it by id, never by
//     a name the tenant could change or duplicate.
//   - Members and owners are declared exactly as they are, so the first
//     sync (always full) removes nothing: users by userPrincipalName
//     (unique in a tenant), devices by name only when no other device has
//     it, nested groups by their key when they are exported too, and
//     everything else by id. A group whose members or owners cannot all be
//     declared (an organizational contact as member, an application as
//     owner) keeps them unmanaged, with a comment saying why.
//   - Groups entrasync cannot manage are skipped with a note: groups
//     synchronized from Active Directory, distribution lists and
//     mail-enabled security groups (Exchange manages their members),
//     groups another configuration manages, entrasync's own records of
//     computed sources, and groups the existing configuration already
//     declares.
//
// # Keys
//
// A group marked by this configuration keeps the key its marker records.
// Any other group's key comes from its mailNickname: lower-cased, every
// run of characters other than ASCII letters and digits turned into one
// "-". When several groups (or a key the existing configuration
// uses) normalise to the same key, the group whose mailNickname already
// is that key keeps it (or, when none is, the one with the lowest object
// id) and the others get the first eight characters of their object id
// appended, so a key never depends on the order Graph lists groups in.
package export

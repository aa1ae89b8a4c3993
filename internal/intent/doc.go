// Package intent computes what a change to the configuration declares,
// without a tenant: per address, objects added, removed or changed, with
// attribute diffs and the references (members, owners, scope) added and
// removed.
//
// It needs no credentials, so a pull request from a fork can show it.
// The result is a value; package render prints it.
package intent

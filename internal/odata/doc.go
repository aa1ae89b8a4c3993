// Package odata parses the OData $filter subset Microsoft Graph accepts on
// directory objects: eq, ne, gt, ge, lt, le, and, or, not, in, the functions
// startswith, endswith and contains, and any/all lambdas on collections.
//
// The validator uses it to reject a bad filter with its offset before any
// request is sent; the emulator evaluates the same AST, so a filter that
// validates is one the emulator understands.
package odata

// Package validate runs the semantic checks the CUE schema cannot express:
// uniqueness across objects, references between objects, nesting cycles,
// dynamic-group rules, and the syntax of OData filters and membership rules.
//
// It works on [model.Desired] and a locator that maps a configuration path
// to a source range, so every diagnostic carries the user's file:line:col.
// It reads no tenant: everything here holds for any tenant.
package validate

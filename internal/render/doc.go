// Package render prints entrasync's values: diagnostics, intent diffs and
// (later) plans, as text for a terminal, JSON for machines, Markdown for
// pull-request comments and annotations for GitHub Actions.
//
// Every renderer is a pure function of its value and options: it computes
// nothing about the tenant or the configuration, so the same value always
// prints the same way, which the golden tests rely on.
package render

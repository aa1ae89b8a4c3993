// Package diag holds diagnostics: problems found in a configuration or a
// plan, each with a severity, a summary, the configuration path it concerns
// and, where known, the source range the user should look at.
//
// Diagnostics are values. Producers append them; views (text, JSON, GitHub
// annotations) render them. Nothing in this package prints on its own.
package diag

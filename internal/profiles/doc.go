// Package profiles plans and applies profile mappings: Entra user
// attributes copied into SharePoint Online user profiles through
// SharePoint's bulk import (a JSON file uploaded to a document library,
// an import job queued on the tenant's admin site, followed to its end).
//
// SharePoint cannot read profile values back in bulk, so each mapping
// keeps a state file in its import folder, ".entrasync/<configuration>.
// <mapping>.json": the values last imported (the plan's "before"), the
// users delta link the next incremental plan reads changes from, the
// job that is still running, and how the last one ended. A value counts
// as imported only once its job says so; a job that failed some records
// leaves the delta link where it was, so the next plan retries them.
package profiles

// Package entra is the port between entrasync and a tenant: small Reader
// and Writer interfaces over plain types. internal/graph implements them
// with Microsoft Graph; entratest implements them in memory for fast
// planner and apply tests.
//
// The interfaces are shaped by what Graph can do in few round trips:
// references resolve in bulk, groups are read with their marker in the
// same listing, and writes are a list of operations the implementation
// packs into $batch requests.
package entra

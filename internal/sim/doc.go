// Package sim is a stateful Microsoft Graph emulator on loopback: the demo,
// the end-to-end tests and the benchmarks run the real msgraph-sdk-go
// client against it, because no live tenant is reachable from our machines.
//
// Fidelity is the point. Each behaviour cites its source
// (the Microsoft Graph v1.0 documentation, cited where each rule is implemented).
// Each endpoint family is a file of its own (users.go, groups.go, …)
// registering its routes on the shared mux, so new families — cross-tenant
// policies, synchronization jobs, SharePoint — are new files, not rewrites.
//
// This package does not import msgraph-sdk-go.
package sim

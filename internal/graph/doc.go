// Package graph is entrasync's only user of msgraph-sdk-go and azidentity:
// it builds the Graph client (base URL, HTTP client, credentials) and will
// hold the adapter behind the entra port.
//
// msgraph-sdk-go takes about three minutes and 4.5 GB to compile cold, so
// nothing but cmd/ may import this package; a test in internal/cli
// enforces that. Its tests drive the emulator (internal/sim) with the real
// SDK, so what the product sends is what the emulator is tested against.
package graph

// Package azuread checks that the Terraform azuread provider's Graph
// client reaches entrasync's emulator by configuration alone.
//
// The provider itself cannot be built here (its module is not served by
// the Go module proxy this project can reach), but the client library it
// is built on, hashicorp/go-azure-sdk, is. The tests drive that library
// the way the provider's azuread_group resource does: the cloud read
// from the metadata host, a client-secret token, the caller from the
// token's claims, then a group created, read, changed and deleted under
// /beta. The emulator is `entrasync sim serve --require-auth`, started
// as a user would start it; the client knows only the metadata host, the
// tenant, the client id and secret, and SSL_CERT_FILE.
//
// This is a module of its own so that go-azure-sdk (a 60 MB download)
// never enters entrasync's dependency graph. `make interop` runs it.
package azuread

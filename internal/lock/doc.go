// Package lock keeps two applies of one configuration in one tenant from
// running at once.
//
// The lock is a lease kept in the tenant itself, so it holds across
// machines and CI runners with nothing else to share: an open extension
// on the organization named "dev.entrasync.lock." + the configuration,
// next to the configuration's ownership record. Creating it is the
// acquire: Graph refuses a second open extension of the same name with
// 409, so of two applies that try at once exactly one succeeds. Deleting
// it is the release.
//
// The extension records who holds it (a random run id, user, host and
// process id) and until when. The holder renews the lease while it works;
// a lease that expired, or whose holder was a process on this host that no
// longer exists (an apply killed outright), is taken over: deleted and
// created again, and that creation is the atomic step. Graph offers no
// compare-and-swap on an open extension, so a renewal first reads the
// lease back and gives up the run when another run holds it now, rather
// than writing over it. A renewal that read the lease just before a
// takeover may still write over the new holder's record; that run then
// finds, at its own next renewal, that it lost, so one run keeps the lock.
package lock

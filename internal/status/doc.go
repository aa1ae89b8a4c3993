// Package status is what `entrasync status` reports: per object a
// configuration manages, how it is managed (created or adopted) and what
// was last applied to it, and for cross-tenant synchronization jobs how
// the job is running (state, last cycle's counts, errors, quarantine),
// the view an administrator otherwise assembles from the Entra admin
// center's provisioning blade. The kinds fill it in; renderers print it.
package status

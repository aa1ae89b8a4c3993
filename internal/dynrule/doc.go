// Package dynrule parses Entra dynamic membership rules such as
//
//	(user.department -eq "Sales") -and (user.accountEnabled -eq true)
//
// into an AST. The validator rejects a malformed rule before any request is
// sent, and the emulator evaluates the AST to compute dynamic groups.
//
// The grammar follows the Entra documentation "Dynamic membership rules for
// groups" (learn.microsoft.com/entra/identity/users/groups-dynamic-membership):
// properties user.* and device.*, the operators -eq -ne -startsWith
// -notStartsWith -contains -notContains -match -notMatch -in -notIn -le -ge,
// the logical operators -and -or -not, -any/-all over multi-valued
// properties, and the "Direct Reports for" rule.
package dynrule

package validate_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/validate"
)

// check loads files and validates them, as `entrasync validate` does.
func check(files map[string]string) diag.Diagnostics {
	fs := map[string][]byte{}
	for name, src := range files {
		fs[name] = []byte(src)
	}
	cfg, ds := config.Load(config.Files{Files: fs, Dir: "."})
	if cfg != nil {
		ds = append(ds, validate.Desired(cfg.Desired, cfg.Locate)...)
		ds.Sort()
	}
	return ds
}

// head is the start of every case's file: two lines, so the case's own
// lines start at line 3.
const head = "package cfg\ntenant: id: \"8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10\"\n"

const guid = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"

type badCase struct {
	name string
	src  string // appended to head in c.cue
	at   string // file:line:col of the first error
	msg  string // substring of its summary
}

var cases = []badCase{
	{"syntax error", `groups: x: {displayName: "X"`, "c.cue:3:30", "expected '}'"},
	{"unknown top-level field", `group: x: displayName: "X"`, "c.cue:3:1", "field not allowed"},
	{"unknown group field", `groups: x: {displayName: "X", securityEnabld: true}`, "c.cue:3:31", "field not allowed"},
	{"wrong type", `groups: x: displayName: 3`, "c.cue:3:25", "conflicting values 3 and string"},
	{"missing displayName", `groups: x: kind: "security"`, "c.cue:3:12", "missing required field displayName"},
	{"bad kind", `groups: x: {displayName: "X", kind: "distribution"}`, "c.cue:3:37", `"distribution" is not allowed: want one of "microsoft365", "security"`},
	{"displayName too long", `groups: x: displayName: "` + strings.Repeat("a", 257) + `"`, "c.cue:3:25", "at most 256 characters (got 257)"},
	{"empty displayName", `groups: x: displayName: ""`, "c.cue:3:25", "must not be empty"},
	{"bad mailNickname charset", `groups: x: {displayName: "X", mailNickname: "a b"}`, "c.cue:3:45", "want 1-64 ASCII characters"},
	{"mailNickname too long", `groups: x: {displayName: "X", mailNickname: "` + strings.Repeat("n", 65) + `"}`, "c.cue:3:45", "want 1-64 ASCII characters"},
	{"invalid key as mailNickname", `groups: "a b": displayName: "X"`, "c.cue:3:16", "mailNickname defaults to the group key"},
	{"duplicate mailNickname", "groups: a: {displayName: \"A\", mailNickname: \"fin\"}\ngroups: b: {displayName: \"B\", mailNickname: \"FIN\"}", "c.cue:4:45", `mailNickname "FIN" is also used by groups.a`},
	{"dangling group reference", `groups: a: {displayName: "A", membership: groups: ["nope"]}`, "c.cue:3:52", `group reference "nope" is not a group declared here`},
	{"dangling mirror source", `groups: a: {displayName: "A", membership: from: [{group: "nope"}]}`, "c.cue:3:58", `"nope" is not a group declared here`},
	{"nesting cycle", "groups: a: {displayName: \"A\", membership: groups: [\"b\"]}\ngroups: b: {displayName: \"B\", membership: groups: [\"a\"]}", "c.cue:3:43", "nesting cycle: a → b → a"},
	{"member of itself", `groups: a: {displayName: "A", membership: groups: ["a"]}`, "c.cue:3:52", "cannot be a member of itself"},
	{"dynamic group with members", `groups: d: {displayName: "D", dynamicRule: "user.department -eq \"Sales\"", membership: users: ["a@contoso.com"]}`, "c.cue:3:89", "a dynamic group's members come from dynamicRule"},
	{"dynamic rule syntax", `groups: d: {displayName: "D", dynamicRule: "user.department == \"Sales\""}`, "c.cue:3:61", "operators are written -eq"},
	{"dynamic role-assignable", `groups: d: {displayName: "D", isAssignableToRole: true, dynamicRule: "user.a -eq \"b\""}`, "c.cue:3:51", "role-assignable group cannot have dynamic membership"},
	{"bad UPN", `groups: a: {displayName: "A", membership: users: ["bob"]}`, "c.cue:3:51", `user reference "bob" is not a userPrincipalName`},
	{"bad owner UPN", `groups: a: {displayName: "A", owners: ["alice@"]}`, "c.cue:3:40", `"alice@" is not a userPrincipalName`},
	{"bad GUID in id ref", `groups: a: {displayName: "A", membership: users: ["id:1234"]}`, "c.cue:3:51", `"1234" is not a GUID`},
	{"bad tenant domain", `tenant: domain: "contoso"`, "c.cue:3:17", "want a domain name"},
	{"bad partner tenant GUID", `crossTenant: partners: a: tenantId: "1234"`, "c.cue:3:37", "want a GUID"},
	{"filter syntax", `groups: a: {displayName: "A", membership: from: [{users: "department = 'Finance'"}]}`, "c.cue:3:70", "OData filter: unexpected character '='"},
	{"filter double quotes", `profileMappings: p: {sharePoint: {adminUrl: "https://contoso-admin.sharepoint.com", site: "https://contoso.sharepoint.com/sites/hr", folder: "F"}, properties: CostCenter: "department", users: "city eq \"Oslo\""}`, "c.cue:3:202", "single quotes"},
	{"over-limit owners", `groups: a: {displayName: "A", owners: [` + manyOwners(101) + `]}`, "c.cue:3:39", "at most 100 entries (got 101)"},
	{"bad duration", `crossTenant: syncJobs: j: {displayName: "J", targetTenantId: "` + guid + `", schedule: {interval: "40 minutes", state: "Disabled"}}`, "c.cue:3:123", "want an ISO 8601 duration"},
	{"empty duration", `crossTenant: syncJobs: j: {displayName: "J", targetTenantId: "` + guid + `", schedule: {interval: "PT", state: "Disabled"}}`, "c.cue:3:123", "not an ISO 8601 duration"},
	{"active sync job without scope", `crossTenant: syncJobs: j: {displayName: "J", targetTenantId: "` + guid + `"}`, "c.cue:3:27", "needs at least one assigned group or user"},
	{"duplicate partner tenant", "crossTenant: partners: a: tenantId: \"" + guid + "\"\ncrossTenant: partners: b: tenantId: \"" + guid + "\"", "c.cue:4:37", "also configured by crossTenant.partners.a"},
	{"partner bad target", `crossTenant: partners: a: {tenantId: "` + guid + `", b2bCollaborationInbound: usersAndGroups: {accessType: "allowed", targets: [{target: "Everyone", targetType: "user"}]}}`, "c.cue:3:162", `user reference "Everyone" is not a userPrincipalName`},
	{"partner bad accessType", `crossTenant: partners: a: {tenantId: "` + guid + `", b2bCollaborationInbound: usersAndGroups: {accessType: "maybe", targets: [{target: "AllUsers", targetType: "user"}]}}`, "c.cue:3:132", `"maybe" is not allowed: want one of "allowed", "blocked"`},
	{"partner undeclared group target", `crossTenant: partners: a: {tenantId: "` + guid + `", b2bDirectConnectOutbound: usersAndGroups: {accessType: "allowed", targets: [{target: "sg-nowhere", targetType: "group"}]}}`, "c.cue:3:163", `group reference "sg-nowhere" is not a group declared here`},
	{"partner unknown target type", `crossTenant: partners: a: {tenantId: "` + guid + `", b2bDirectConnectOutbound: usersAndGroups: {accessType: "allowed", targets: [{target: "AllUsers", targetType: "device"}]}}`, "c.cue:3:187", `"device" is not allowed`},
	{"default policy null", `crossTenant: default: inboundTrust: null`, "c.cue:3:37", "this is the default policy"},
	{"partner null consent", `crossTenant: partners: a: {tenantId: "` + guid + `", automaticUserConsentSettings: inboundAllowed: "yes"}`, "c.cue:3:124", `"yes" is not allowed: want one of bool, null`},
	{"profile core property", `profileMappings: p: {sharePoint: {adminUrl: "https://contoso-admin.sharepoint.com", site: "https://contoso.sharepoint.com/sites/hr", folder: "F"}, properties: Department: "department"}`, "c.cue:3:172", `"Department" is synchronized from Entra`},
	{"profile editable property", `profileMappings: p: {sharePoint: {adminUrl: "https://contoso-admin.sharepoint.com", site: "https://contoso.sharepoint.com/sites/hr", folder: "F"}, properties: HomePhone: "mobilePhone"}`, "c.cue:3:171", `"HomePhone" is editable by users`},
	{"profile unknown source attribute", `profileMappings: p: {sharePoint: {adminUrl: "https://contoso-admin.sharepoint.com", site: "https://contoso.sharepoint.com/sites/hr", folder: "F"}, properties: CostCenter: "costCentre"}`, "c.cue:3:172", `"costCentre" is not a property of Entra users`},
	{"profile admin site of another tenant", `profileMappings: p: {sharePoint: {adminUrl: "https://fabrikam-admin.sharepoint.com", site: "https://contoso.sharepoint.com/sites/hr", folder: "F"}, properties: CostCenter: "department"}`, "c.cue:3:45", "is not the admin site of https://contoso.sharepoint.com/sites/hr"},
	{"profile attribute mapped twice", `profileMappings: p: {sharePoint: {adminUrl: "https://contoso-admin.sharepoint.com", site: "https://contoso.sharepoint.com/sites/hr", folder: "F"}, properties: {CostCenter: "department", Dept: "department"}}`, "c.cue:3:193", `"department" is mapped to CostCenter already`},
	{"profile bad admin URL", `profileMappings: p: {sharePoint: {adminUrl: "http://contoso.sharepoint.com", site: "https://contoso.sharepoint.com/", folder: "F"}, properties: X: "city"}`, "c.cue:3:45", "want https://<tenant>-admin.sharepoint.com"},
	{"bad membership mode", `groups: a: {displayName: "A", membership: mode: "partial"}`, "c.cue:3:49", `"partial" is not allowed: want one of "full", "incremental"`},
	{"unknown filter property", `groups: a: {displayName: "A", membership: from: [{users: "departmnt eq 'Finance'"}]}`, "c.cue:3:59", `users have no property "departmnt"`},
	{"unknown rule property", `groups: a: {displayName: "A", dynamicRule: "user.departmnt -eq \"x\""}`, "c.cue:3:45", `"user.departmnt" is not a property rules can use`},
	{"Microsoft 365 group with a device", `groups: a: {displayName: "A", kind: "microsoft365", membership: devices: ["D"]}`, "c.cue:3:74", "takes only users as members, not devices"},
	{"Microsoft 365 group nested", `groups: a: {displayName: "A", membership: groups: ["b"]}` + "\n" + `groups: b: {displayName: "B", kind: "microsoft365"}`, "c.cue:3:52", "is a Microsoft 365 group, which cannot be a member"},
	{"visibility on a security group", `groups: a: {displayName: "A", visibility: "Private"}`, "c.cue:3:43", `visibility applies only to kind "microsoft365"`},
	{"HiddenMembership on security group", `groups: a: {displayName: "A", visibility: "HiddenMembership"}`, "c.cue:3:43", `only for kind "microsoft365"`},
	{"computed source with both fields", `groups: a: {displayName: "A", membership: from: [{group: "a", users: "x eq 'y'"}]}`, "c.cue:3:51", "field not allowed"},
	{"no files", "", "", "no .cue files"},
}

func manyOwners(n int) string {
	owners := make([]string, n)
	for i := range owners {
		owners[i] = fmt.Sprintf("%q", fmt.Sprintf("u%d@contoso.com", i))
	}
	return strings.Join(owners, ", ")
}

func TestBadInput(t *testing.T) {
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{"c.cue": head + tt.src + "\n"}
			if tt.name == "no files" {
				files = map[string]string{"sub/other.cue": "package x\n"}
			}
			ds := check(files)
			if !ds.HasErrors() {
				t.Fatalf("no error; diagnostics: %v", ds)
			}
			var first *diag.Diagnostic
			for i := range ds {
				if ds[i].Severity == diag.Error {
					first = &ds[i]
					break
				}
			}
			at := ""
			if first.Subject != nil {
				at = first.Subject.String()
			}
			if at != tt.at || !strings.Contains(first.Summary, tt.msg) {
				t.Errorf("first error = %s %q\nwant        %s containing %q\nall: %v", at, first.Summary, tt.at, tt.msg, ds)
			}
		})
	}
}

// TestValidConfigsHaveNoDiagnostics guards against checks that fire on
// good input.
func TestValidConfigsHaveNoDiagnostics(t *testing.T) {
	for _, src := range []string{
		`groups: a: {displayName: "A", membership: {mode: "full", users: ["id:` + guid + `", "a.b@contoso.com"], groups: ["b"]}}` + "\n" + `groups: b: {displayName: "B", kind: "security"}` + "\n" +
			`groups: c: {displayName: "C", kind: "microsoft365", visibility: "HiddenMembership", membership: users: ["a@contoso.com"]}`,
		`groups: f: {displayName: "F", membership: from: [{users: "department eq 'X' and extension_0123456789abcdef0123456789abcdef_costCenter eq '1' and onPremisesExtensionAttributes/extensionAttribute3 eq 'y' and ext55gb1l09_courses/courseType eq 'Developer' and signInActivity/lastSignInDateTime le 2026-01-01T00:00:00Z and assignedLicenses/any(x:x/skuId eq ` + guid + `)"}]}`,
		`groups: r: {displayName: "R", dynamicRule: "(user.department -eq \"a\") -and (user.extensionAttribute7 -eq \"b\") -and (user.assignedPlans -any (assignedPlan.capabilityStatus -eq \"Enabled\"))"}`,
		`groups: d: {displayName: "D", dynamicRule: "user.department -in [\"a\",\"b\"]"}`,
		`crossTenant: partners: p: {tenantId: "` + guid + `", automaticUserConsentSettings: outboundAllowed: true}` + "\n" +
			`crossTenant: syncJobs: j: {displayName: "J", targetTenantId: "` + guid + `", scope: users: ["a@contoso.com"], attributeMappings: x: remove: true}`,
	} {
		if ds := check(map[string]string{"c.cue": head + src + "\n"}); len(ds) > 0 {
			t.Errorf("%s\n=> %v", src, ds)
		}
	}
}

// Files the CUE loader would leave out without a word are reported.
func TestIgnoredFilesAreReported(t *testing.T) {
	ds := check(map[string]string{
		"a.cue":     head + `groups: a: displayName: "A"` + "\n",
		"nopkg.cue": `groups: b: displayName: "B"` + "\n",
		"sub/x.cue": "package cfg\n" + `groups: c: displayName: "C"` + "\n",
		"z.cue":     "package cfg\n\n" + `groups: a: description: "also here"` + "\n",
	})
	want := map[string]diag.Severity{
		`nopkg.cue:1:1: nopkg.cue has no package clause`:                       diag.Error,
		`sub/x.cue:1:1: sub/x.cue is in a subdirectory of the repository root`: diag.Warning,
		`z.cue:3:9: groups.a: groups.a is also declared in a.cue`:              diag.Warning,
	}
	for w, sev := range want {
		i := slices.IndexFunc(ds, func(d diag.Diagnostic) bool { return strings.HasPrefix(d.String(), w) })
		if i < 0 || ds[i].Severity != sev {
			t.Errorf("missing %q (%v) in\n%v", w, sev, ds)
		}
	}
}

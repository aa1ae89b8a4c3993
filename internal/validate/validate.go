package validate

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/dynrule"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/odata"
)

// Desired checks d and returns its diagnostics, sorted.
func Desired(d *model.Desired, locate diag.Locator) diag.Diagnostics {
	c := &checker{d: d, locate: locate}
	c.groups()
	c.cycles()
	c.profileMappings()
	c.crossTenant()
	c.ds.Sort()
	return c.ds
}

type checker struct {
	d      *model.Desired
	locate diag.Locator
	ds     diag.Diagnostics
}

func (c *checker) errorf(path, format string, args ...any) {
	c.ds.Errorf(c.locate(path), path, format, args...)
}

func (c *checker) warnf(path, format string, args ...any) {
	c.ds.Warnf(c.locate(path), path, format, args...)
}

var (
	upnRe      = regexp.MustCompile(`^[A-Za-z0-9.!#$%&'*+/=?^_` + "`" + `{|}~-]+@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
	nicknameRe = regexp.MustCompile("^[!#$%&'*+/0-9=?A-Z^_`a-z{|}~-]{1,64}$")
	durationRe = regexp.MustCompile(`^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)
)

// refKind says what a reference may name.
type refKind int

const (
	refUser refKind = iota
	refGroup
	refDevice
	refServicePrincipal
)

// guidRefProblem explains a malformed "prefix:GUID" reference; ok says
// whether s had the prefix at all.
func guidRefProblem(s, prefix string) (problem string, ok bool) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return "", false
	}
	if !model.IsGUID(rest) {
		return fmt.Sprintf("%q: %q is not a GUID (want %sxxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", s, rest, prefix), true
	}
	return "", true
}

// IsUserName reports whether s is a user reference by name (a
// userPrincipalName or mail address) that validation accepts.
func IsUserName(s string) bool { return upnRe.MatchString(s) }

// refProblem explains why s is not a valid reference of the kind, or
// returns "" when it is.
func (c *checker) refProblem(kind refKind, s string) string {
	if problem, ok := guidRefProblem(s, "id:"); ok {
		return problem
	}
	switch kind {
	case refUser:
		if !upnRe.MatchString(s) {
			return fmt.Sprintf("user reference %q is not a userPrincipalName, a mail address or id:GUID", s)
		}
	case refGroup:
		if _, ok := c.d.Groups[s]; !ok {
			return fmt.Sprintf("group reference %q is not a group declared here; use its key, or id:GUID for a group entrasync does not manage", s)
		}
	case refDevice:
		if strings.TrimSpace(s) != s {
			return fmt.Sprintf("device reference %q has leading or trailing spaces", s)
		}
	case refServicePrincipal:
		problem, _ := guidRefProblem(s, "appId:")
		return problem
	}
	return ""
}

func (c *checker) ref(path string, kind refKind, s string) {
	if problem := c.refProblem(kind, s); problem != "" {
		c.errorf(path, "%s", problem)
	}
}

// refList checks a list of references. Paths are built only for the
// entries that are reported: a large configuration has hundreds of
// thousands of references and almost all of them are fine.
func (c *checker) refList(base []any, kind refKind, refs []string) {
	seen := make(map[string]int, len(refs))
	for i, r := range refs {
		if problem := c.refProblem(kind, r); problem != "" {
			c.errorf(model.Path(append(base, i)...), "%s", problem)
		}
		key := strings.ToLower(r)
		if first, dup := seen[key]; dup {
			c.warnf(model.Path(append(base, i)...), "%q is listed twice (first at index %d)", r, first)
			continue
		}
		seen[key] = i
	}
}

func (c *checker) groups() {
	nicknames := map[string]string{}
	adopted := map[string]string{}
	for _, key := range model.SortedKeys(c.d.Groups) {
		g := c.d.Groups[key]
		gp := []any{"groups", key}
		at := func(elems ...any) string { return model.Path(append(append([]any{}, gp...), elems...)...) }

		if !nicknameRe.MatchString(g.MailNickname) {
			// Only reachable through the key default: the schema checks an
			// explicit mailNickname.
			c.errorf(at(), "mailNickname defaults to the group key %q, which Graph does not accept (1-64 ASCII characters without spaces or @ ( ) \\ [ ] \" ; : . < > ,): set mailNickname", key)
		}
		lower := strings.ToLower(g.MailNickname)
		if other, dup := nicknames[lower]; dup {
			c.errorf(at("mailNickname"), "mailNickname %q is also used by groups.%s; Graph requires it to be unique", g.MailNickname, other)
		} else {
			nicknames[lower] = key
		}
		if problem, ok := guidRefProblem(g.Adopt, "id:"); ok {
			if problem != "" {
				c.errorf(at("adopt"), "%s", problem)
			}
			if other, dup := adopted[strings.ToLower(g.Adopt)]; dup {
				c.errorf(at("adopt"), "%s is also adopted by groups.%s", g.Adopt, other)
			} else {
				adopted[strings.ToLower(g.Adopt)] = key
			}
		}
		if g.Visibility == "HiddenMembership" && g.Kind != model.GroupMicrosoft365 {
			c.errorf(at("visibility"), `visibility "HiddenMembership" is only for kind "microsoft365" groups`)
		} else if g.Visibility != "" && g.Kind != model.GroupMicrosoft365 {
			c.errorf(at("visibility"), `visibility applies only to kind "microsoft365" groups; remove it from this security group`)
		}
		// Graph's member types (group resource, "Group types in Microsoft
		// Entra ID and Microsoft Graph"): a Microsoft 365 group takes only
		// users, and cannot be a member of another group.
		if m := g.Membership; m != nil && g.Kind == model.GroupMicrosoft365 {
			for _, f := range []struct {
				name string
				n    int
			}{{"groups", len(m.Groups)}, {"devices", len(m.Devices)}, {"servicePrincipals", len(m.ServicePrincipals)}} {
				if f.n > 0 {
					c.errorf(at("membership", f.name), "a Microsoft 365 group takes only users as members, not %s", f.name)
				}
			}
		}
		if m := g.Membership; m != nil {
			for i, r := range m.Groups {
				if other, ok := c.d.Groups[r]; ok && other.Kind == model.GroupMicrosoft365 {
					c.errorf(at("membership", "groups", i), "groups.%s is a Microsoft 365 group, which cannot be a member of another group", r)
				}
			}
		}
		c.refList(append(gp, "owners"), refUser, g.Owners)

		if g.IsDynamic() {
			c.dynamicRule(at("dynamicRule"), g.DynamicRule)
			if g.IsAssignableToRole {
				c.errorf(at("isAssignableToRole"), "a role-assignable group cannot have dynamic membership")
			}
			if m := g.Membership; m != nil && (len(m.Users)+len(m.Groups)+len(m.Devices)+len(m.ServicePrincipals)+len(m.From) > 0) {
				c.errorf(at("membership"), "a dynamic group's members come from dynamicRule; remove membership or dynamicRule")
			}
		}
		if m := g.Membership; m != nil {
			mp := append(gp, "membership")
			c.refList(append(mp, "users"), refUser, m.Users)
			c.refList(append(mp, "groups"), refGroup, m.Groups)
			c.refList(append(mp, "devices"), refDevice, m.Devices)
			c.refList(append(mp, "servicePrincipals"), refServicePrincipal, m.ServicePrincipals)
			for i, s := range m.From {
				sp := model.Path(append(mp, "from", i)...)
				switch {
				case s.Group != "":
					c.ref(sp+".group", refGroup, s.Group)
					if s.Group == key {
						c.errorf(sp+".group", "a group cannot mirror itself")
					}
				case s.Users != "":
					c.filter(sp+".users", s.Users)
				}
			}
			for i, r := range m.Groups {
				if r == key {
					c.errorf(model.Path(append(mp, "groups", i)...), "a group cannot be a member of itself")
				}
			}
		}
	}
}

// cycles finds nesting cycles among declared groups. Mirroring (from.group)
// counts as an edge too: mirroring a group that contains you never settles.
func (c *checker) cycles() {
	edges := map[string][]string{}
	for key, g := range c.d.Groups {
		if g.Membership == nil {
			continue
		}
		for _, r := range g.Membership.Groups {
			if _, ok := c.d.Groups[r]; ok && r != key {
				edges[key] = append(edges[key], r)
			}
		}
		for _, s := range g.Membership.From {
			if _, ok := c.d.Groups[s.Group]; ok && s.Group != key {
				edges[key] = append(edges[key], s.Group)
			}
		}
	}
	const (
		unvisited = iota
		onStack
		done
	)
	state := map[string]int{}
	var stack []string
	reported := map[string]bool{}
	var visit func(string)
	visit = func(k string) {
		state[k] = onStack
		stack = append(stack, k)
		for _, next := range edges[k] {
			switch state[next] {
			case onStack:
				i := len(stack) - 1
				for stack[i] != next {
					i--
				}
				cycle := append(append([]string{}, stack[i:]...), next)
				// Report each cycle once, at its smallest key, so output
				// does not depend on where the search started.
				least := 0
				for j, x := range cycle[:len(cycle)-1] {
					if x < cycle[least] {
						least = j
					}
				}
				rot := append(append([]string{}, cycle[least:len(cycle)-1]...), cycle[:least]...)
				rot = append(rot, rot[0])
				id := strings.Join(rot, "\x00")
				if !reported[id] {
					reported[id] = true
					c.errorf(model.Path("groups", rot[0], "membership"), "nesting cycle: %s", strings.Join(rot, " → "))
				}
			case unvisited:
				visit(next)
			case done:
			}
		}
		stack = stack[:len(stack)-1]
		state[k] = done
	}
	for _, k := range model.SortedKeys(edges) {
		if state[k] == unvisited {
			visit(k)
		}
	}
}

// stringOffset moves a range from the start of a string literal to a byte
// offset inside it, so that a syntax error in a filter points at the
// offending character. Strings with escapes before the offset keep the
// literal's start, which is still the right line.
func stringOffset(r *diag.Range, raw string, offset int) *diag.Range {
	if r == nil || strings.ContainsAny(raw[:min(offset, len(raw))], "\\\"\n\t") {
		return r
	}
	moved := *r
	moved.Start.Column += 1 + offset
	moved.Start.Byte += 1 + offset
	moved.End = moved.Start
	return &moved
}

func (c *checker) filter(path, f string) {
	e, err := odata.Parse(f)
	var pe *odata.Error
	if errors.As(err, &pe) {
		c.at(path, f, pe.Offset, "OData filter: %s", pe.Msg)
		return
	}
	for _, p := range odata.Properties(e) {
		if !model.KnownUserProperty(p.Path) {
			c.at(path, f, p.At, "OData filter: users have no property %q (Graph's user resource; directory extensions are extension_<appId>_<name>)", p.String())
		}
	}
}

func (c *checker) dynamicRule(path, rule string) {
	e, err := dynrule.Parse(rule)
	var pe *dynrule.Error
	if errors.As(err, &pe) {
		c.at(path, rule, pe.Offset, "dynamic membership rule: %s", pe.Msg)
		return
	}
	for _, p := range dynrule.Properties(e) {
		if !model.KnownRuleProperty(p.Name) {
			c.at(path, rule, p.At, "dynamic membership rule: %q is not a property rules can use (Entra's supported properties; extensions are extension_<appId>_<name> or extensionAttribute1-15)", p.Name)
		}
	}
}

// at reports an error inside a string value, positioned at offset.
func (c *checker) at(path, raw string, offset int, format string, args ...any) {
	c.ds = append(c.ds, diag.Diagnostic{Severity: diag.Error, Path: path,
		Summary: fmt.Sprintf(format, args...), Subject: stringOffset(c.locate(path), raw, offset)})
}

func (c *checker) profileMappings() {
	for _, key := range model.SortedKeys(c.d.ProfileMappings) {
		m := c.d.ProfileMappings[key]
		at := func(elems ...any) string {
			return model.Path(append([]any{"profileMappings", key}, elems...)...)
		}
		if len(m.Properties) == 0 {
			c.errorf(at("properties"), "map at least one SharePoint property to an Entra attribute")
		}
		for _, prop := range model.SortedKeys(m.Properties) {
			if why := model.SharePointRefusal(prop); why != "" {
				c.errorf(at("properties", prop), "SharePoint property %q %s; the bulk import API only writes custom properties users cannot edit", prop, why)
			}
			if src := m.Properties[prop]; !model.KnownUserAttribute(src) {
				c.errorf(at("properties", prop), "%q is not a property of Entra users or a directory extension attribute (extension_<app id>_<name>)", src)
			}
			if src := m.Properties[prop]; strings.EqualFold(src, m.IDProperty) {
				c.errorf(at("properties", prop), "%q is also the import file's identifier field (idProperty); choose another idProperty", src)
			}
			// The file carries an attribute once, under its own name.
			for _, other := range model.SortedKeys(m.Properties) {
				if other < prop && strings.EqualFold(m.Properties[other], m.Properties[prop]) {
					c.errorf(at("properties", prop), "%q is mapped to %s already; the import file can carry an attribute once", m.Properties[prop], other)
				}
			}
		}
		if site, admin := model.SharePointTenant(m.SharePoint.Site, false), model.SharePointTenant(m.SharePoint.AdminURL, true); site != "" && admin != "" && !strings.EqualFold(site, admin) {
			c.errorf(at("sharePoint", "adminUrl"), "%s is not the admin site of %s (want https://%s-admin.…); the import runs in the site's own tenant", m.SharePoint.AdminURL, m.SharePoint.Site, site)
		}
		if m.Users != "" {
			c.filter(at("users"), m.Users)
		}
	}
}

var applicationKeywords = map[string]bool{"AllApplications": true, "AllMicrosoftApps": true, "Office365": true}

func (c *checker) policy(base []any, p *model.PolicySettings) {
	if p == nil {
		return
	}
	settings := []struct {
		name string
		s    *model.B2BSetting
	}{
		{"b2bCollaborationInbound", p.B2BCollaborationInbound},
		{"b2bCollaborationOutbound", p.B2BCollaborationOutbound},
		{"b2bDirectConnectInbound", p.B2BDirectConnectInbound},
		{"b2bDirectConnectOutbound", p.B2BDirectConnectOutbound},
	}
	if p.TenantRestrictions != nil {
		settings = append(settings, struct {
			name string
			s    *model.B2BSetting
		}{"tenantRestrictions", &p.TenantRestrictions.B2BSetting})
	}
	for _, st := range settings {
		if st.s == nil {
			continue
		}
		for _, tc := range []struct {
			name string
			t    *model.TargetConfiguration
		}{{"usersAndGroups", st.s.UsersAndGroups}, {"applications", st.s.Applications}} {
			if tc.t == nil {
				continue
			}
			for i, t := range tc.t.Targets {
				path := model.Path(append(append([]any{}, base...), st.name, tc.name, "targets", i, "target")...)
				c.target(path, tc.name, t)
			}
		}
	}
}

// target checks a b2b target. Users and groups are named as memberships
// name them (a UPN, a declared group's key, id:GUID; a bare GUID is taken
// as the object id it is); the plan resolves them to the ids Graph stores.
func (c *checker) target(path, section string, t model.Target) {
	switch {
	case section == "usersAndGroups" && t.TargetType == "application",
		section == "applications" && t.TargetType != "application":
		c.errorf(path, "targetType %q does not belong in %s", t.TargetType, section)
	case t.Target == "AllUsers":
		if t.TargetType != "user" {
			c.errorf(path, `"AllUsers" needs targetType "user"`)
		}
	case applicationKeywords[t.Target]:
		if t.TargetType != "application" {
			c.errorf(path, "%q needs targetType \"application\"", t.Target)
		}
	case model.IsGUID(t.Target):
	case t.TargetType == "user":
		c.ref(path, refUser, t.Target)
	case t.TargetType == "group":
		c.ref(path, refGroup, t.Target)
	default:
		c.errorf(path, "target %q is neither an application id (GUID) nor a keyword (AllApplications, AllMicrosoftApps, Office365)", t.Target)
	}
}

// noNulls refuses null settings in the default policy, which has no
// default of its own to inherit.
func (c *checker) noNulls(base []any, doc map[string]any) {
	for _, name := range model.SortedKeys(doc) {
		v := doc[name]
		if v == nil {
			c.errorf(model.Path(append(slices.Clone(base), name)...), "null inherits the default, but this is the default policy: declare a value, or leave the setting out to leave it alone")
		}
		if m, ok := v.(map[string]any); ok {
			c.noNulls(append(slices.Clone(base), name), m)
		}
	}
}

func (c *checker) crossTenant() {
	ct := c.d.CrossTenant
	c.policy([]any{"crossTenant", "default"}, ct.Default)
	if ct.Default != nil {
		c.noNulls([]any{"crossTenant", "default"}, ct.Default.Declared)
	}
	byTenant := map[string]string{}
	for _, key := range model.SortedKeys(ct.Partners) {
		p := ct.Partners[key]
		base := []any{"crossTenant", "partners", key}
		tid := strings.ToLower(p.TenantID)
		if other, dup := byTenant[tid]; dup {
			c.errorf(model.Path(append(base, "tenantId")...), "tenant %s is also configured by crossTenant.partners.%s; Graph allows one partner configuration per tenant", p.TenantID, other)
		} else {
			byTenant[tid] = key
		}
		if strings.EqualFold(p.TenantID, c.d.Tenant.ID) {
			c.errorf(model.Path(append(base, "tenantId")...), "a tenant cannot be its own partner")
		}
		c.policy(base, &p.PolicySettings)
	}
	for _, key := range model.SortedKeys(ct.SyncJobs) {
		j := ct.SyncJobs[key]
		at := func(elems ...any) string {
			return model.Path(append([]any{"crossTenant", "syncJobs", key}, elems...)...)
		}
		if m := durationRe.FindStringSubmatch(j.Schedule.Interval); m == nil || strings.Join(m[1:], "") == "" {
			c.errorf(at("schedule", "interval"), "interval %q is not an ISO 8601 duration such as PT40M", j.Schedule.Interval)
		}
		c.refList([]any{"crossTenant", "syncJobs", key, "scope", "groups"}, refGroup, j.Scope.Groups)
		c.refList([]any{"crossTenant", "syncJobs", key, "scope", "users"}, refUser, j.Scope.Users)
		if j.Schedule.State == "Active" && len(j.Scope.Groups)+len(j.Scope.Users) == 0 {
			c.errorf(at("scope"), "an active sync job needs at least one assigned group or user in scope")
		}
		partnerKey, ok := byTenant[strings.ToLower(j.TargetTenantID)]
		if !ok {
			c.warnf(at("targetTenantId"), "no crossTenant.partners entry for tenant %s: cross-tenant sync needs automaticUserConsentSettings.outboundAllowed on it", j.TargetTenantID)
			continue
		}
		cs := ct.Partners[partnerKey].AutomaticUserConsentSettings
		if cs == nil || cs.OutboundAllowed == nil || !*cs.OutboundAllowed {
			c.warnf(at("targetTenantId"), "crossTenant.partners.%s does not set automaticUserConsentSettings.outboundAllowed: true; users would be asked to consent in %s", partnerKey, j.TargetTenantID)
		}
		for _, target := range model.SortedKeys(j.AttributeMappings) {
			am := j.AttributeMappings[target]
			if am.Type == "Function" && !strings.Contains(am.Source, "(") {
				c.errorf(at("attributeMappings", target, "source"), "a Function mapping needs an expression such as Join(\"@\", [mailNickname], \"fabrikam.com\")")
			}
		}
	}
}

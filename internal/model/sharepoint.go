package model

import (
	"net/url"
	"strings"
)

// SharePoint user-profile properties the bulk import API refuses (its
// documentation, "What can be mapped"): the ones Entra already fills in,
// and the ones a new tenant lets users edit. Only custom properties that
// users cannot edit and that hold one value can be imported.
var (
	SharePointSyncedProperties = []string{"UserName", "AccountName", "FirstName", "LastName", "Manager",
		"PreferredName", "WorkPhone", "WorkEmail", "Office", "Title", "SPS-JobTitle", "Department",
		"SPS-Department", "PublicSiteRedirect", "SPS-MUILanguages", "SPS-UserPrincipalName", "CellPhone", "Fax"}
	SharePointUserEditableProperties = []string{"AboutMe", "HomePhone", "SPS-Birthday", "SPS-PastProjects",
		"SPS-School", "PictureURL", "SPS-Skills", "SPS-Interests", "SPS-Responsibility"}
)

// SharePointRefusal says why the bulk import refuses a target property of
// a new tenant ("" when it does not).
func SharePointRefusal(prop string) string {
	has := func(list []string) bool {
		for _, p := range list {
			if strings.EqualFold(p, prop) {
				return true
			}
		}
		return false
	}
	switch {
	case has(SharePointSyncedProperties):
		return "is synchronized from Entra by SharePoint itself"
	case has(SharePointUserEditableProperties):
		return "is editable by users"
	}
	return ""
}

// KnownUserAttribute reports whether a profile mapping's source names a
// property of Graph's user resource or a directory extension attribute.
func KnownUserAttribute(name string) bool {
	return userProperties[strings.ToLower(name)] || extensionRe.MatchString(name)
}

// CutPrefixFold is strings.CutPrefix ignoring case, as SharePoint compares
// URLs and library paths.
func CutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// SharePointTenant is the tenant name of a SharePoint Online URL:
// "contoso" of https://contoso.sharepoint.com/…, or with admin of
// https://contoso-admin.sharepoint.com; "" when the URL is not one (or
// not over https).
func SharePointTenant(raw string, admin bool) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" {
		return ""
	}
	name, domain, _ := strings.Cut(strings.ToLower(u.Hostname()), ".")
	if !strings.HasPrefix(domain, "sharepoint.") {
		return ""
	}
	if admin {
		var ok bool
		if name, ok = strings.CutSuffix(name, "-admin"); !ok {
			return ""
		}
	}
	return name
}

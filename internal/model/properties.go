package model

import (
	"regexp"
	"strings"
)

// The property names of Graph's user and device resources (v1.0), which
// $filter on /users and dynamic membership rules may name. A name outside
// these is a typo that Graph answers with 400 ("Could not find a
// property named …"), so entrasync reports it offline, with its position.
var (
	userProperties = words(`accountEnabled ageGroup assignedLicenses assignedPlans businessPhones city
		companyName consentProvidedForMinor country createdDateTime creationType department displayName
		employeeHireDate employeeId employeeLeaveDateTime employeeOrgData employeeType externalUserState
		externalUserStateChangeDateTime faxNumber givenName id identities imAddresses isResourceAccount
		jobTitle lastPasswordChangeDateTime legalAgeGroupClassification mail mailNickname manager
		mobilePhone officeLocation onPremisesDistinguishedName onPremisesDomainName
		onPremisesExtensionAttributes onPremisesImmutableId onPremisesLastSyncDateTime
		onPremisesSamAccountName onPremisesSecurityIdentifier onPremisesSyncEnabled
		onPremisesUserPrincipalName otherMails passwordPolicies postalCode preferredDataLocation
		preferredLanguage proxyAddresses securityIdentifier showInAddressList signInActivity
		signInSessionsValidFromDateTime state streetAddress surname usageLocation userPrincipalName userType`)

	// Dynamic membership rules use Entra's own attribute names (Microsoft
	// Entra ID, "Dynamic membership rules for groups": supported
	// properties).
	ruleUserProperties = words(`accountEnabled dirSyncEnabled city country companyName department
		displayName employeeId employeeHireDate employeeType facsimileTelephoneNumber givenName jobTitle
		mail mailNickname memberOf mobile objectId onPremisesDistinguishedName
		onPremisesSecurityIdentifier onPremisesSamAccountName otherMails passwordPolicies
		physicalDeliveryOfficeName postalCode preferredLanguage proxyAddresses sipProxyAddress state
		streetAddress surname telephoneNumber usageLocation userPrincipalName userType assignedPlans`)
	ruleDeviceProperties = words(`accountEnabled displayName deviceCategory deviceId deviceManufacturer
		deviceModel deviceOSType deviceOSVersion deviceOwnership devicePhysicalIds enrollmentProfileName
		isRooted managementType memberOf objectId profileType systemLabels`)

	// Directory extensions (extension_<appId without dashes>_<name>) and
	// the fifteen extension attributes are allowed everywhere.
	extensionRe          = regexp.MustCompile(`^extension_[0-9a-fA-F]{32}_[A-Za-z0-9_]+$`)
	extensionAttributeRe = regexp.MustCompile(`^extensionAttribute([1-9]|1[0-5])$`)

	// A schema extension's id is a verified domain's label, or ext and
	// eight random characters, then _ and its name (Graph's
	// schemaExtension resource, id): contoso_courses,
	// ext55gb1l09_msLearnCourses.
	schemaExtensionRe = regexp.MustCompile(`^[a-z][a-z0-9]*_[A-Za-z0-9]+$`)
)

// ExtensionProperty reports whether name is a directory extension or a
// schema extension, which a user or group carries only once it is set.
func ExtensionProperty(name string) bool {
	return extensionRe.MatchString(name) || schemaExtensionRe.MatchString(name)
}

func words(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.Fields(s) {
		out[strings.ToLower(w)] = true
	}
	return out
}

// KnownUserProperty reports whether path (a $filter property path on
// /users, such as department or employeeOrgData/costCenter) starts with a
// property of Graph's user resource or an extension.
func KnownUserProperty(path []string) bool {
	if len(path) == 0 {
		return false
	}
	first := path[0]
	if first == "onPremisesExtensionAttributes" && len(path) == 2 {
		return extensionAttributeRe.MatchString(path[1])
	}
	return userProperties[strings.ToLower(first)] || ExtensionProperty(first)
}

// KnownRuleProperty reports whether a dynamic membership rule property
// ("user.department", "device.deviceOSType") names an attribute Entra
// evaluates. Other prefixes are the parser's business, not this check's.
func KnownRuleProperty(prop string) bool {
	kind, name, ok := strings.Cut(prop, ".")
	if !ok {
		return true
	}
	if extensionRe.MatchString(name) || extensionAttributeRe.MatchString(name) {
		return true
	}
	switch strings.ToLower(kind) {
	case "user":
		return ruleUserProperties[strings.ToLower(name)]
	case "device":
		return ruleDeviceProperties[strings.ToLower(name)]
	}
	return true
}

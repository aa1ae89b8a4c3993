package model

// Desired is the whole declared state of one configuration revision.
type Desired struct {
	Tenant Tenant `json:"tenant"`
	// Configuration names this configuration among those managing the
	// tenant; markers record it.
	Configuration   string                    `json:"configuration"`
	Prune           bool                      `json:"prune"`
	Groups          map[string]Group          `json:"groups"`
	ProfileMappings map[string]ProfileMapping `json:"profileMappings"`
	CrossTenant     CrossTenant               `json:"crossTenant"`
}

// Tenant names the directory the configuration is for.
type Tenant struct {
	ID     string `json:"id"`
	Domain string `json:"domain,omitempty"`
}

// GroupKind is the kind of group Graph creates.
type GroupKind string

// The group kinds the schema allows.
const (
	GroupSecurity     GroupKind = "security"
	GroupMicrosoft365 GroupKind = "microsoft365"
)

// MembershipMode says how apply treats members the configuration does not
// declare (README: Membership modes).
type MembershipMode string

// The membership modes.
const (
	// ModeFull makes the live members exactly the declared set.
	ModeFull MembershipMode = "full"
	// ModeIncremental applies only what changed in the declared set since the
	// last applied commit and leaves members added in the tenant alone.
	ModeIncremental MembershipMode = "incremental"
)

// Group is a declared group.
type Group struct {
	DisplayName        string      `json:"displayName"`
	Description        string      `json:"description,omitempty"`
	Kind               GroupKind   `json:"kind"`
	MailNickname       string      `json:"mailNickname"`
	Visibility         string      `json:"visibility,omitempty"`
	IsAssignableToRole bool        `json:"isAssignableToRole"`
	DynamicRule        string      `json:"dynamicRule,omitempty"`
	DynamicRulePaused  bool        `json:"dynamicRulePaused"`
	Owners             []string    `json:"owners"`
	Membership         *Membership `json:"membership,omitempty"`
	// Adopt binds an existing unmarked group: "id:<GUID>" or "mailNickname".
	Adopt string `json:"adopt,omitempty"`
}

// IsDynamic reports whether Graph computes the group's members from a rule.
func (g Group) IsDynamic() bool { return g.DynamicRule != "" }

// Membership declares a group's members.
type Membership struct {
	Mode              MembershipMode `json:"mode"`
	Users             []string       `json:"users"`
	Groups            []string       `json:"groups"`
	Devices           []string       `json:"devices"`
	ServicePrincipals []string       `json:"servicePrincipals"`
	From              []Source       `json:"from"`
}

// Source is a computed membership source: exactly one field is set.
type Source struct {
	// Group mirrors the members of another group: a declared key or "id:<GUID>".
	Group string `json:"group,omitempty"`
	// Users adds the users matching an OData $filter on /users.
	Users string `json:"users,omitempty"`
}

// ProfileMapping copies Entra user attributes to SharePoint Online user
// profile properties through the bulk import API.
type ProfileMapping struct {
	SharePoint SharePointTarget `json:"sharePoint"`
	IDType     string           `json:"idType"`
	IDProperty string           `json:"idProperty"`
	// Properties maps a SharePoint profile property to an Entra user attribute.
	Properties map[string]string `json:"properties"`
	Users      string            `json:"users,omitempty"`
	Mode       MembershipMode    `json:"mode"`
}

// SharePointTarget says where the import file goes.
type SharePointTarget struct {
	AdminURL string `json:"adminUrl"`
	Site     string `json:"site"`
	Folder   string `json:"folder"`
}

// CrossTenant holds cross-tenant access policies and synchronization jobs.
type CrossTenant struct {
	Default  *PolicySettings    `json:"default,omitempty"`
	Partners map[string]Partner `json:"partners"`
	SyncJobs map[string]SyncJob `json:"syncJobs"`
}

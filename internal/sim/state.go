package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// State is the JSON document of a --state file: the whole emulated tenant.
type State struct {
	TenantID          string              `json:"tenantId"`
	Domain            string              `json:"domain"`
	Users             []*User             `json:"users"`
	Groups            []*Group            `json:"groups"`
	Devices           []*Device           `json:"devices"`
	ServicePrincipals []*ServicePrincipal `json:"servicePrincipals,omitempty"`
	// DeletedItems are soft-deleted Microsoft 365 groups, restorable for 30
	// days (security groups are deleted at once; Graph docs: Delete group).
	DeletedItems []*Group `json:"deletedItems,omitempty"`
	// DeletedUsers are soft-deleted users, restorable for 30 days with
	// their memberships (Graph docs: Delete user; Restore deleted item).
	DeletedUsers []*User `json:"deletedUsers,omitempty"`
	// Apps are the client credentials the token endpoint accepts.
	Apps []*App `json:"apps,omitempty"`
	// CrossTenant is the cross-tenant access policy.
	CrossTenant *CrossTenant `json:"crossTenant,omitempty"`
	// OrganizationExtensions are the organization's open extensions by
	// extensionName.
	OrganizationExtensions map[string]map[string]any `json:"organizationExtensions,omitempty"`
	// DeltaSeq is the tenant's change sequence, and each user's and
	// group's ChangeSeq its last change in it: a delta token issued by one
	// emulator process stays valid in the next one serving the same file.
	DeltaSeq uint64 `json:"deltaSeq,omitempty"`
	// SharePoint is the tenant's SharePoint Online; nil when it has none.
	SharePoint *SharePoint `json:"sharePoint,omitempty"`
}

// User is a user object. Properties holds every other Graph property
// (department, jobTitle, extension_…) under its Graph name.
type User struct {
	ID                string         `json:"id"`
	UserPrincipalName string         `json:"userPrincipalName"`
	DisplayName       string         `json:"displayName"`
	Mail              string         `json:"mail,omitempty"`
	MailNickname      string         `json:"mailNickname,omitempty"`
	AccountEnabled    bool           `json:"accountEnabled"`
	UserType          string         `json:"userType,omitempty"`
	Properties        map[string]any `json:"properties,omitempty"`
	ChangeSeq         uint64         `json:"changeSeq,omitempty"`
	// DeletedDateTime, MemberOf and OwnerOf are set on a soft-deleted
	// user only: when it was deleted, and the groups it rejoins, as member
	// and as owner, if it is restored.
	DeletedDateTime string   `json:"deletedDateTime,omitempty"`
	MemberOf        []string `json:"memberOf,omitempty"`
	OwnerOf         []string `json:"ownerOf,omitempty"`

	seq     uint64 // last change, for delta
	changes propertyChanges
}

// Group is a group with its relationships by object id.
type Group struct {
	ID                 string   `json:"id"`
	DisplayName        string   `json:"displayName"`
	Description        string   `json:"description,omitempty"`
	MailNickname       string   `json:"mailNickname"`
	UniqueName         string   `json:"uniqueName,omitempty"`
	MailEnabled        bool     `json:"mailEnabled"`
	SecurityEnabled    bool     `json:"securityEnabled"`
	GroupTypes         []string `json:"groupTypes"`
	Visibility         string   `json:"visibility,omitempty"`
	IsAssignableToRole bool     `json:"isAssignableToRole,omitempty"`
	// OnPremisesSyncEnabled marks a group synchronized from Active
	// Directory (Graph answers null for cloud groups).
	OnPremisesSyncEnabled         bool   `json:"onPremisesSyncEnabled,omitempty"`
	MembershipRule                string `json:"membershipRule,omitempty"`
	MembershipRuleProcessingState string `json:"membershipRuleProcessingState,omitempty"`
	// AssignedLicenses are group-based licensing's assignments, each
	// {skuId, disabledPlans}; HasMembersWithLicenseErrors is its error
	// flag, which Graph filters on but never returns.
	AssignedLicenses            []any    `json:"assignedLicenses,omitempty"`
	HasMembersWithLicenseErrors bool     `json:"hasMembersWithLicenseErrors,omitempty"`
	CreatedDateTime             string   `json:"createdDateTime,omitempty"`
	DeletedDateTime             string   `json:"deletedDateTime,omitempty"`
	Members                     []string `json:"members,omitempty"`
	Owners                      []string `json:"owners,omitempty"`
	// Extensions are open extensions by extensionName.
	Extensions map[string]map[string]any `json:"extensions,omitempty"`
	ChangeSeq  uint64                    `json:"changeSeq,omitempty"`

	members   map[string]bool // lower-case ids
	owners    map[string]bool
	sorted    []string // members in id order; nil when stale
	seq       uint64
	changes   propertyChanges
	memberLog []memberChange
}

// memberChange records one membership change for delta.
type memberChange struct {
	seq     uint64
	id      string
	removed bool
}

// Device is a device object.
type Device struct {
	ID              string `json:"id"`
	DeviceID        string `json:"deviceId"`
	DisplayName     string `json:"displayName"`
	OperatingSystem string `json:"operatingSystem,omitempty"`
	AccountEnabled  bool   `json:"accountEnabled"`
	// Properties are the device's other properties as Graph names them
	// (operatingSystemVersion, trustType, extensionAttributes …); those
	// not given answer null or empty.
	Properties map[string]any `json:"properties,omitempty"`
}

// ServicePrincipal is a service principal: a group member, or the
// configuration app of a cross-tenant synchronization job.
type ServicePrincipal struct {
	ID          string   `json:"id"`
	AppID       string   `json:"appId"`
	DisplayName string   `json:"displayName"`
	Tags        []string `json:"tags,omitempty"`
	// TemplateID is the application template it was instantiated from.
	TemplateID string `json:"applicationTemplateId,omitempty"`
	// AppRoleID is its msiam_access role, for apps made from a template.
	AppRoleID   string              `json:"appRoleId,omitempty"`
	Assignments []AppRoleAssignment `json:"appRoleAssignedTo,omitempty"`
	// Properties are the other writable properties a PATCH set, as sent.
	Properties map[string]any `json:"properties,omitempty"`
	// Synchronization is its provisioning state (secrets and jobs).
	Synchronization *Synchronization `json:"synchronization,omitempty"`
}

// App is a client the emulator's token endpoint issues tokens to.
type App struct {
	ClientID string `json:"clientId"`
	// Secret is the client secret; empty means only client assertions.
	Secret string `json:"secret,omitempty"`
	// Certificate is the app's certificate (PEM): client assertions it
	// issues itself (iss and sub are its client id) must be signed with
	// its key.
	Certificate string `json:"certificate,omitempty"`
	// Federated are its federated identity credentials: external tokens
	// (GitHub Actions OIDC, Kubernetes workload identity) it accepts as
	// assertions.
	Federated []FederatedCredential `json:"federatedCredentials,omitempty"`
}

// FederatedCredential trusts tokens of one issuer and subject (Graph's
// federatedIdentityCredential). Certificate stands in for the issuer's
// published signing keys.
type FederatedCredential struct {
	Issuer      string   `json:"issuer"`
	Subject     string   `json:"subject"`
	Audiences   []string `json:"audiences"`
	Certificate string   `json:"certificate"`
}

// IsUnified reports whether the group is a Microsoft 365 group.
func (g *Group) IsUnified() bool { return slices.Contains(g.GroupTypes, "Unified") }

// IsDynamic reports whether Graph computes the members from a rule.
func (g *Group) IsDynamic() bool { return slices.Contains(g.GroupTypes, "DynamicMembership") }

// LoadState reads a state file; unknown fields are errors so that a typo
// in a hand-written seed does not silently drop data.
func LoadState(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var st State
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &st, nil
}

// SaveState writes st atomically: a reader never sees half a file, and a
// crash leaves the previous state. The file keeps its mode (a new one is
// 0644).
func SaveState(path string, st *State) error {
	data, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return writeState(path, data)
}

func writeState(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if info, err := os.Stat(path); err == nil {
		mode = info.Mode().Perm()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr, os.Chmod(tmp.Name(), mode)); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// A running `sim serve` holds its state file: it saves its own copy over
// the file, so an edit made to the file meanwhile would be lost. It says so
// in a file next to it, which edits of the state file check.

// HoldPath is the file that says a server holds the state file at path.
func HoldPath(path string) string { return path + ".serving" }

// Holder is the server holding a state file.
type Holder struct {
	PID int    `json:"pid"`
	URL string `json:"url"` // the server's Graph root
}

// Hold records that the server at url holds the state file at path; it
// fails when another server that still answers holds it. release removes
// the record.
func Hold(path, url string) (release func(), err error) {
	if h, ok := Held(path); ok {
		return nil, HeldError{Path: path, Holder: h}
	}
	data, _ := json.Marshal(Holder{PID: os.Getpid(), URL: url})
	if err := os.WriteFile(HoldPath(path), data, 0o644); err != nil {
		return nil, err
	}
	return func() { _ = os.Remove(HoldPath(path)) }, nil
}

// Held reports the server holding the state file at path. A record left by
// a server that no longer answers (it was killed) does not count.
func Held(path string) (Holder, bool) {
	data, err := os.ReadFile(HoldPath(path))
	if err != nil {
		return Holder{}, false
	}
	var h Holder
	if json.Unmarshal(data, &h) != nil || h.URL == "" {
		return Holder{}, false
	}
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(strings.TrimSuffix(h.URL, "/v1.0") + "/_sim/config")
	if err != nil {
		return Holder{}, false
	}
	resp.Body.Close()
	return h, true
}

// HeldError refuses to edit a state file a server holds.
type HeldError struct {
	Path   string
	Holder Holder
}

func (e HeldError) Error() string {
	return fmt.Sprintf("%s is held by `entrasync sim serve` (pid %d, %s), which saves its own copy over it: stop the server first, or make the change through Graph at %s",
		e.Path, e.Holder.PID, e.Holder.URL, e.Holder.URL)
}

// Edit loads the state file at path, changes it and saves it, unless a
// running server holds it.
func Edit(path string, change func(*State) error) error {
	if h, ok := Held(path); ok {
		return HeldError{Path: path, Holder: h}
	}
	st, err := LoadState(path)
	if err != nil {
		return err
	}
	if err := change(st); err != nil {
		return err
	}
	return SaveState(path, st)
}

func lower(s string) string { return strings.ToLower(s) }

// maxChangeSeq is the highest change a state file records.
func maxChangeSeq(st *State) uint64 {
	var n uint64
	for _, u := range st.Users {
		n = max(n, u.ChangeSeq)
	}
	for _, g := range st.Groups {
		n = max(n, g.ChangeSeq)
	}
	return n
}

// SetUserProperty sets a property of a user in a state file (department,
// jobTitle, …), as an HR system or the portal would; an empty value
// clears it.
func SetUserProperty(st *State, upn, name, value string) error {
	for _, u := range st.Users {
		if !strings.EqualFold(u.UserPrincipalName, upn) {
			continue
		}
		if u.Properties == nil {
			u.Properties = map[string]any{}
		}
		if value == "" {
			delete(u.Properties, name)
		} else {
			u.Properties[name] = value
		}
		// The change is in the file's change sequence, so a delta token
		// issued before it returns the user.
		st.DeltaSeq = max(st.DeltaSeq, maxChangeSeq(st)) + 1
		u.ChangeSeq = st.DeltaSeq
		return nil
	}
	return fmt.Errorf("no user %s", upn)
}

// EditMember adds or removes a user in a group of a state file, found by
// the group's mailNickname and the user's userPrincipalName; with owner,
// it edits the group's owners instead of its members.
func EditMember(st *State, mailNickname, upn string, add, owner bool) error {
	var g *Group
	for _, x := range st.Groups {
		if strings.EqualFold(x.MailNickname, mailNickname) {
			g = x
		}
	}
	if g == nil {
		return fmt.Errorf("no group with mailNickname %s", mailNickname)
	}
	var id string
	for _, u := range st.Users {
		if strings.EqualFold(u.UserPrincipalName, upn) {
			id = u.ID
		}
	}
	if id == "" {
		return fmt.Errorf("no user %s", upn)
	}
	set, what := &g.Members, "member"
	if owner {
		set, what = &g.Owners, "owner"
	}
	has := slices.ContainsFunc(*set, func(m string) bool { return strings.EqualFold(m, id) })
	switch {
	case add && has:
		return fmt.Errorf("%s is already an %s of %s", upn, what, mailNickname)
	case add:
		*set = append(*set, id)
	case !has:
		return fmt.Errorf("%s is not an %s of %s", upn, what, mailNickname)
	default:
		*set = slices.DeleteFunc(*set, func(m string) bool { return strings.EqualFold(m, id) })
	}
	return nil
}

// MemberNames lists a group's members by userPrincipalName (users) or
// displayName (groups, devices, service principals), sorted.
func MemberNames(st *State, mailNickname string) ([]string, error) {
	names := map[string]string{}
	for _, u := range st.Users {
		names[lower(u.ID)] = u.UserPrincipalName
	}
	for _, g := range st.Groups {
		names[lower(g.ID)] = g.DisplayName
	}
	for _, d := range st.Devices {
		names[lower(d.ID)] = d.DisplayName
	}
	for _, sp := range st.ServicePrincipals {
		names[lower(sp.ID)] = sp.DisplayName
	}
	for _, g := range st.Groups {
		if strings.EqualFold(g.MailNickname, mailNickname) {
			out := make([]string, 0, len(g.Members))
			for _, m := range g.Members {
				out = append(out, names[lower(m)])
			}
			slices.Sort(out)
			return out, nil
		}
	}
	return nil, fmt.Errorf("no group with mailNickname %s", mailNickname)
}

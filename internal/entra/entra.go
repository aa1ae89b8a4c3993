package entra

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/model"
)

// MarkerExtension is the open extension on a group that records
// entrasync's ownership (the tenant is the state: no state file).
const MarkerExtension = "dev.entrasync"

// OpenExtension is the body of a request that creates or updates an open
// extension. Both name the extension, and an update replaces every
// property: Graph deletes the ones a PATCH leaves out ("Update open
// extension": to update any property, specify all of them). So whoever
// writes an extension sends all of its fields, every time.
func OpenExtension(name string, fields map[string]any) map[string]any {
	body := make(map[string]any, len(fields)+2)
	for k, v := range fields {
		body[k] = v
	}
	body["@odata.type"] = "microsoft.graph.openTypeExtension"
	body["extensionName"] = name
	return body
}

// Marker says which address a group is bound to and which commit's
// declared state was last applied to it.
type Marker struct {
	// Tenant and Configuration say whose object this is: entrasync only
	// manages objects marked by the same configuration in the same tenant.
	// Empty in markers written before they were recorded (read as ours).
	Tenant        string `json:"tenant,omitempty"`
	Configuration string `json:"configuration,omitempty"`
	// Origin is OriginCreated for objects entrasync created (prune may
	// delete them) and OriginAdopted for objects it took over (prune
	// releases them); empty in older markers, read as adopted.
	Origin  string `json:"origin,omitempty"`
	Address string `json:"address"`
	// Role is empty for a managed group and RoleSources for the record
	// that keeps what the computed sources of the group at Address
	// resolved to when they were last applied.
	Role string `json:"role,omitempty"`
	// Commit is the commit whose declaration the group fully reflects:
	// every add and every removal it implied was applied.
	Commit string `json:"commit"`
	// Pending are commits applied add-only since Commit (their history was
	// missing), so their removals are still owed: the next run with the
	// history removes what any of them declared and the configuration no
	// longer does.
	Pending []string `json:"pending,omitempty"`
	// Renamed are the group's earlier addresses, under which Commit and
	// some Pending commits declare it (a key renamed by an add-only run).
	Renamed []string `json:"renamed,omitempty"`
	// OwedOwners are owners the configuration dropped that Graph kept as
	// the group's last owner; they go once another owner is there.
	OwedOwners []string `json:"owedOwners,omitempty"`
	// Owners says whether the configuration manages the group's owners
	// (OwnersManaged: they were declared, or dropped with removals still
	// owed) or not (OwnersNone); empty in markers written before.
	Owners string `json:"owners,omitempty"`
	// Sources says whether the group keeps a sources record: SourcesRecorded
	// or SourcesNone; empty in markers written before records existed.
	Sources   string               `json:"sources,omitempty"`
	Mode      model.MembershipMode `json:"mode"`
	AppliedAt time.Time            `json:"appliedAt,omitzero"`
}

// The values of [Marker.Origin], [Marker.Sources] and [Marker.Owners].
const (
	OriginCreated   = "created"
	OriginAdopted   = "adopted"
	SourcesRecorded = "recorded"
	SourcesNone     = "none"
	OwnersManaged   = "managed"
	OwnersNone      = "none"
)

// Ours reports whether the marker was written by the given configuration
// in the given tenant. Markers that predate these fields are ours.
func (m *Marker) Ours(tenant, configuration string) bool {
	return (m.Tenant == "" || strings.EqualFold(m.Tenant, tenant)) &&
		(m.Configuration == "" || m.Configuration == configuration)
}

// Owner names who a foreign marker belongs to, for messages.
func (m *Marker) Owner() string {
	return fmt.Sprintf("configuration %q in tenant %s", m.Configuration, m.Tenant)
}

// RoleSources marks the record group of a group's computed sources.
const RoleSources = "sources"

// Fields is the marker as an open extension's properties.
func (m *Marker) Fields() map[string]any {
	f := map[string]any{"address": m.Address, "commit": m.Commit, "mode": string(m.Mode),
		"appliedAt": m.AppliedAt.UTC().Format(time.RFC3339)}
	for name, v := range map[string]string{"role": m.Role, "tenant": m.Tenant, "configuration": m.Configuration, "origin": m.Origin} {
		if v != "" {
			f[name] = v
		}
	}
	if m.Sources != "" {
		f["sources"] = m.Sources
	}
	if m.Owners != "" {
		f["owners"] = m.Owners
	}
	f["pending"] = anyList(m.Pending)
	f["owedOwners"] = anyList(m.OwedOwners)
	f["renamed"] = anyList(m.Renamed)
	return f
}

// anyList is a list as an open extension stores it; always a list, so a
// PATCH clears what is no longer there.
func anyList(l []string) []any {
	out := []any{}
	for _, s := range l {
		out = append(out, s)
	}
	return out
}

// ParseMarker reads a marker from an open extension's properties; a field
// of the wrong type reads as empty.
func ParseMarker(ext map[string]any) *Marker {
	m := &Marker{}
	m.Address, _ = ext["address"].(string)
	m.Role, _ = ext["role"].(string)
	m.Tenant, _ = ext["tenant"].(string)
	m.Configuration, _ = ext["configuration"].(string)
	m.Origin, _ = ext["origin"].(string)
	m.Commit, _ = ext["commit"].(string)
	m.Sources, _ = ext["sources"].(string)
	m.Owners, _ = ext["owners"].(string)
	mode, _ := ext["mode"].(string)
	m.Mode = model.MembershipMode(mode)
	if at, ok := ext["appliedAt"].(string); ok {
		m.AppliedAt, _ = time.Parse(time.RFC3339, at)
	}
	m.Pending = stringList(ext["pending"])
	m.OwedOwners = stringList(ext["owedOwners"])
	m.Renamed = stringList(ext["renamed"])
	return m
}

func stringList(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// ObjectType is a directory object's type.
type ObjectType string

// The directory object types a group can contain.
const (
	TypeUser             ObjectType = "user"
	TypeGroup            ObjectType = "group"
	TypeDevice           ObjectType = "device"
	TypeServicePrincipal ObjectType = "servicePrincipal"
)

// Principal is a resolved directory object.
type Principal struct {
	ID   string     `json:"id"`
	Type ObjectType `json:"type"`
	// Name is what people recognise: a UPN, a device or group name.
	Name string `json:"name"`
	// Candidates, set only when a reference by name matched more than one
	// object, are all of them: such a reference resolves to none, because
	// anyone who can name a device or an app could otherwise choose which
	// object joins a group.
	Candidates []Principal `json:"candidates,omitempty"`
}

// Ambiguous is the resolution of a name that matched several objects.
func Ambiguous(matches []Principal) Principal {
	return Principal{Type: matches[0].Type, Name: matches[0].Name, Candidates: matches}
}

// Group is a live group as the planner needs it.
type Group struct {
	ID           string `json:"id"`
	DisplayName  string `json:"displayName"`
	Description  string `json:"description,omitempty"`
	MailNickname string `json:"mailNickname"`
	// UniqueName is the alternate key entrasync gives the groups it
	// creates, so a creation interrupted before its marker was written is
	// still recognised as its own.
	UniqueName         string          `json:"uniqueName,omitempty"`
	Kind               model.GroupKind `json:"kind"`
	Visibility         string          `json:"visibility,omitempty"`
	IsAssignableToRole bool            `json:"isAssignableToRole,omitempty"`
	DynamicRule        string          `json:"dynamicRule,omitempty"`
	DynamicRulePaused  bool            `json:"dynamicRulePaused,omitempty"`
	// MailEnabled and SecurityEnabled tell a distribution list or a
	// mail-enabled security group (Exchange manages their members) from
	// the groups entrasync manages; OnPremisesSynced, a group synchronized
	// from Active Directory, which Graph cannot change. entrasync never
	// writes them, so they stay out of plans and fingerprints.
	MailEnabled      bool    `json:"-"`
	SecurityEnabled  bool    `json:"-"`
	OnPremisesSynced bool    `json:"-"`
	Marker           *Marker `json:"marker,omitempty"`
}

// GroupQuery selects live groups: every group carrying a marker, plus the
// groups with the given ids, mailNicknames (for adoption and conflicts)
// or uniqueNames (to recognise an interrupted creation); or, with All,
// every group the OData Filter selects (every group when it is empty).
type GroupQuery struct {
	All           bool
	Filter        string
	Marked        bool
	IDs           []string
	MailNicknames []string
	UniqueNames   []string
}

// Reader reads the tenant. Implementations resolve in bulk; a reference
// that does not resolve is simply absent from the result.
type Reader interface {
	// TenantID is the id of the tenant actually reached (GET /organization).
	TenantID(ctx context.Context) (string, error)
	// ResolveUsers maps UPNs, mail addresses and "id:GUID" references to users.
	ResolveUsers(ctx context.Context, refs []string) (map[string]Principal, error)
	// ResolveDevices maps device display names and "id:GUID" to devices.
	ResolveDevices(ctx context.Context, refs []string) (map[string]Principal, error)
	// ResolveServicePrincipals maps display names, "appId:GUID" and "id:GUID".
	ResolveServicePrincipals(ctx context.Context, refs []string) (map[string]Principal, error)
	// ResolveGroups maps "id:GUID" references to groups.
	ResolveGroups(ctx context.Context, refs []string) (map[string]Principal, error)
	// UsersMatching returns the users an OData filter selects.
	UsersMatching(ctx context.Context, filter string) ([]Principal, error)
	// Unreadable returns the ids of the groups that a lookup by id does not
	// find yet (a new group replicates for a while; lookups by id lag as
	// everything else does).
	Unreadable(ctx context.Context, groupIDs []string) ([]string, error)
	// Groups returns the groups the query selects.
	Groups(ctx context.Context, q GroupQuery) ([]Group, error)
	// Relations returns the direct members and the owners of the groups
	// the query names, by group id; they are read together, so their
	// requests share round trips.
	Relations(ctx context.Context, q RelationQuery) (members, owners map[string][]Principal, err error)

	// Documents reads resources by path under the API root (for example
	// "policies/crossTenantAccessPolicy/default"), as JSON objects, in
	// shared round trips; a resource that does not exist (404) is absent
	// from the result. A collection is read through all its pages, its
	// items under "value".
	Documents(ctx context.Context, paths []string) (map[string]Document, error)
	// Collection reads every page of a collection by path.
	Collection(ctx context.Context, path string) ([]Document, error)
}

// RelationQuery names the groups whose members and owners
// [Reader.Relations] reads.
type RelationQuery struct {
	// Members and Owners are the ids of the groups whose members, and
	// whose owners, are read.
	Members, Owners []string
	// ServicePrincipals are groups, among Members and Owners, whose
	// service principal members and owners are wanted as well. Graph v1.0
	// leaves service principals out of a group's member and owner
	// listings (a known issue its List group members and List group
	// owners pages state), so they take one more request per group and
	// relation, through the type cast; that read goes through an index
	// that can lag recent changes. Callers ask for them where a service
	// principal can change their answer: a full sync, which removes what
	// it does not see, or a declaration that names service principals.
	ServicePrincipals []string
}

// Document is a resource as Graph returns it, annotations removed.
type Document = map[string]any

// OpKind is the kind of a write.
type OpKind string

// The writes the apply engine issues.
const (
	OpCreateGroup   OpKind = "createGroup"
	OpUpdateGroup   OpKind = "updateGroup"
	OpDeleteGroup   OpKind = "deleteGroup"
	OpAddMembers    OpKind = "addMembers"
	OpRemoveMembers OpKind = "removeMembers"
	OpAddOwners     OpKind = "addOwners"
	OpRemoveOwners  OpKind = "removeOwners"
	OpSetMarker     OpKind = "setMarker"
	// OpRemoveMarker releases a group: entrasync no longer manages it.
	OpRemoveMarker OpKind = "removeMarker"
	// OpRequest is one request on a resource by path: the writes of the
	// kinds that are documents rather than groups (cross-tenant policies).
	// A DELETE of a resource that is already gone succeeds.
	OpRequest OpKind = "request"
)

// Op is one write. GroupID is empty for OpCreateGroup.
type Op struct {
	Kind    OpKind
	GroupID string
	// Group carries the attributes for create and update (for update,
	// only the fields named in Fields are sent).
	Group  *Group
	Fields []string
	// IDs are the member or owner object ids to add or remove.
	IDs    []string
	Marker *Marker
	// NewMarker says the group was created moments ago and has no marker
	// yet: OpSetMarker creates it at once rather than first trying to
	// update it.
	NewMarker bool
	// Request is the request of an OpRequest.
	Request *Request
}

// CrossTenantSyncTemplate is the application template of cross-tenant
// synchronization configuration apps: the only service principals a
// plan's steps may change.
const CrossTenantSyncTemplate = "518e5f48-1fc8-4c48-9387-9fdf28b0dfe7"

// Request is a write to a resource by path under the API root.
type Request struct {
	Method string         `json:"method"`
	Path   string         `json:"path"`
	Body   map[string]any `json:"body,omitempty"`
}

// Result is the outcome of one Op. Adding an existing member and removing
// an absent one count as success (re-runs converge).
type Result struct {
	Op Op
	// CreatedID is the new group's id for OpCreateGroup.
	CreatedID string
	// Response is the body Graph answered an OpRequest with, if any.
	Response Document
	// Failed lists the ids that failed with their errors; Err is set when
	// the whole operation failed.
	Failed map[string]error
	Err    error
}

// ErrConflict and ErrNotFound are what a failed write's error matches
// (errors.Is) when Graph answered 409 (the object exists: a second POST of
// an open extension) or 404: the answers a caller decides on.
var (
	ErrConflict = errors.New("conflict")
	ErrNotFound = errors.New("not found")
)

// Writer changes the tenant.
type Writer interface {
	// Apply runs the operations, packing them into as few requests as the
	// implementation can, and returns one result per operation, in order.
	Apply(ctx context.Context, ops []Op) []Result
}

// Traffic is what a client sent: HTTP round trips, and the Graph requests
// they carried (a $batch round trip carries up to 20).
type Traffic struct {
	RoundTrips int64
	Requests   int64
}

// Backend is a tenant entrasync can read and change.
type Backend interface {
	Reader
	Writer
}

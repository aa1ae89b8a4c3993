// Package entratest is an in-memory [entra.Backend] for planner and apply
// tests: a tiny tenant that records every call and can fail on demand.
package entratest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// Fake is an in-memory tenant.
type Fake struct {
	mu      sync.Mutex
	objects map[string]entra.Principal // by id
	// Props are user properties for UsersMatching (department, …).
	props   map[string]map[string]string
	groups  map[string]*entra.Group
	members map[string]map[string]bool
	owners  map[string]map[string]bool
	nextID  int

	// Calls records every method called, in order ("Members", "Apply:addMembers", …).
	Calls []string
	// Writes counts Ops applied.
	Writes int
	// Fail makes an Op of that kind fail for the given object id ("" = whole op).
	Fail map[entra.OpKind]map[string]error
	// Tenant is the tenant id TenantID answers.
	Tenant string
	// CollectionKey is the body property a POST files a new document
	// under (see documents.go); "tenantId" by default.
	CollectionKey string

	docs map[string]entra.Document
}

// FakeTenant is the tenant id a new Fake answers.
const FakeTenant = "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"

// TenantID implements [entra.Reader].
func (f *Fake) TenantID(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("TenantID")
	return f.Tenant, nil
}

var _ entra.Backend = (*Fake)(nil)

// New returns an empty tenant.
func New() *Fake {
	return &Fake{objects: map[string]entra.Principal{}, props: map[string]map[string]string{},
		groups: map[string]*entra.Group{}, members: map[string]map[string]bool{}, owners: map[string]map[string]bool{},
		Fail: map[entra.OpKind]map[string]error{}, Tenant: FakeTenant, CollectionKey: "tenantId"}
}

func (f *Fake) id() string {
	f.nextID++
	return fmt.Sprintf("00000000-0000-4000-8000-%012d", f.nextID)
}

// AddUser adds a user with optional properties ("department=Finance").
func (f *Fake) AddUser(upn string, props ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id()
	f.objects[id] = entra.Principal{ID: id, Type: entra.TypeUser, Name: upn}
	f.props[id] = map[string]string{}
	for _, p := range props {
		k, v, _ := strings.Cut(p, "=")
		f.props[id][k] = v
	}
	return id
}

// AddDevice adds a device.
func (f *Fake) AddDevice(name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id()
	f.objects[id] = entra.Principal{ID: id, Type: entra.TypeDevice, Name: name}
	return id
}

// AddObject adds a directory object of any type (a service principal, an
// organizational contact) and returns its id.
func (f *Fake) AddObject(t entra.ObjectType, name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := f.id()
	f.objects[id] = entra.Principal{ID: id, Type: t, Name: name}
	return id
}

// AddGroup adds a group with members (ids) and returns its id.
func (f *Fake) AddGroup(g entra.Group, members ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if g.ID == "" {
		g.ID = f.id()
	}
	if g.Kind == "" {
		g.Kind = model.GroupSecurity
	}
	f.groups[g.ID] = &g
	f.objects[g.ID] = entra.Principal{ID: g.ID, Type: entra.TypeGroup, Name: g.DisplayName}
	f.members[g.ID] = map[string]bool{}
	f.owners[g.ID] = map[string]bool{}
	for _, m := range members {
		f.members[g.ID][m] = true
	}
	return g.ID
}

// SetOwners replaces a group's owners.
func (f *Fake) SetOwners(groupID string, ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owners[groupID] = map[string]bool{}
	for _, id := range ids {
		f.owners[groupID][id] = true
	}
}

// Group returns a copy of a group and its member ids, sorted.
func (f *Fake) Group(id string) (entra.Group, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.groups[id]
	if g == nil {
		return entra.Group{}, nil
	}
	return *g, sortedKeys(f.members[id])
}

// MemberNames returns a group's members by name, sorted.
func (f *Fake) MemberNames(id string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var names []string
	for m := range f.members[id] {
		names = append(names, f.objects[m].Name)
	}
	slices.Sort(names)
	return names
}

// AddMemberByHand adds a member outside entrasync (a portal edit).
func (f *Fake) AddMemberByHand(groupID, memberID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.members[groupID][memberID] = true
}

// RemoveMemberByHand removes a member outside entrasync.
func (f *Fake) RemoveMemberByHand(groupID, memberID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.members[groupID], memberID)
}

// AddOwnerByHand and RemoveOwnerByHand edit owners outside entrasync.
func (f *Fake) AddOwnerByHand(groupID, ownerID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.owners[groupID][ownerID] = true
}

// RemoveOwnerByHand removes an owner outside entrasync.
func (f *Fake) RemoveOwnerByHand(groupID, ownerID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.owners[groupID], ownerID)
}

// SetUserProp changes a user property, as an HR sync would.
func (f *Fake) SetUserProp(id, prop, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.props[id][prop] = value
}

// OwnerIDs returns a group's owner ids, sorted.
func (f *Fake) OwnerIDs(groupID string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return sortedKeys(f.owners[groupID])
}

// Marked returns the groups carrying a marker, by id.
func (f *Fake) Marked() map[string]entra.Group {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]entra.Group{}
	for id, g := range f.groups {
		if g.Marker != nil {
			out[id] = *g
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (f *Fake) call(name string) {
	f.Calls = append(f.Calls, name)
}

func (f *Fake) resolve(refs []string, match func(p entra.Principal, ref string) bool) map[string]entra.Principal {
	out := map[string]entra.Principal{}
	for _, ref := range refs {
		var hits []entra.Principal
		for _, p := range f.objects {
			if id, ok := strings.CutPrefix(ref, "id:"); ok {
				if strings.EqualFold(p.ID, id) && match(p, "") {
					hits = append(hits, p)
				}
				continue
			}
			if match(p, ref) {
				hits = append(hits, p)
			}
		}
		slices.SortFunc(hits, func(a, b entra.Principal) int { return strings.Compare(a.ID, b.ID) })
		switch len(hits) {
		case 0:
		case 1:
			out[ref] = hits[0]
		default:
			out[ref] = entra.Ambiguous(hits)
		}
	}
	return out
}

// ResolveUsers implements [entra.Reader].
func (f *Fake) ResolveUsers(_ context.Context, refs []string) (map[string]entra.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ResolveUsers")
	return f.resolve(refs, func(p entra.Principal, ref string) bool {
		return p.Type == entra.TypeUser && (ref == "" || strings.EqualFold(p.Name, ref))
	}), nil
}

// ResolveDevices implements [entra.Reader].
func (f *Fake) ResolveDevices(_ context.Context, refs []string) (map[string]entra.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ResolveDevices")
	return f.resolve(refs, func(p entra.Principal, ref string) bool {
		return p.Type == entra.TypeDevice && (ref == "" || p.Name == ref)
	}), nil
}

// ResolveServicePrincipals implements [entra.Reader].
func (f *Fake) ResolveServicePrincipals(_ context.Context, refs []string) (map[string]entra.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ResolveServicePrincipals")
	return f.resolve(refs, func(p entra.Principal, ref string) bool {
		return p.Type == entra.TypeServicePrincipal && (ref == "" || p.Name == ref)
	}), nil
}

// ResolveGroups implements [entra.Reader].
func (f *Fake) ResolveGroups(_ context.Context, refs []string) (map[string]entra.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("ResolveGroups")
	return f.resolve(refs, func(p entra.Principal, ref string) bool { return p.Type == entra.TypeGroup && ref == "" }), nil
}

// UsersMatching implements [entra.Reader] for filters of the form
// "prop eq 'value'" (enough for planner tests).
func (f *Fake) UsersMatching(_ context.Context, filter string) ([]entra.Principal, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("UsersMatching")
	prop, rest, ok := strings.Cut(filter, " eq ")
	if !ok {
		return nil, fmt.Errorf("entratest: unsupported filter %q", filter)
	}
	want := strings.Trim(rest, "'")
	var out []entra.Principal
	for id, props := range f.props {
		if strings.EqualFold(props[prop], want) {
			out = append(out, f.objects[id])
		}
	}
	slices.SortFunc(out, func(a, b entra.Principal) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// Unreadable implements [entra.Reader]: the fake replicates at once.
func (f *Fake) Unreadable(_ context.Context, ids []string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Unreadable")
	var out []string
	for _, id := range ids {
		if f.groups[id] == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// Groups implements [entra.Reader].
func (f *Fake) Groups(_ context.Context, q entra.GroupQuery) ([]entra.Group, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Groups")
	if q.Filter != "" {
		return nil, fmt.Errorf("entratest: group filters are not emulated")
	}
	var out []entra.Group
	for _, id := range sortedKeysGroups(f.groups) {
		g := f.groups[id]
		if q.All || (q.Marked && g.Marker != nil) || slices.Contains(q.IDs, g.ID) ||
			slices.ContainsFunc(q.MailNicknames, func(n string) bool { return strings.EqualFold(n, g.MailNickname) }) ||
			(g.UniqueName != "" && slices.ContainsFunc(q.UniqueNames, func(n string) bool { return strings.EqualFold(n, g.UniqueName) })) {
			out = append(out, *g)
		}
	}
	return out, nil
}

func sortedKeysGroups(m map[string]*entra.Group) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// relation lists a relation as Graph v1.0 does: service principals only
// for the groups in withSPs (see [entra.RelationQuery]), so a test sees
// what a caller that forgets to ask for them would miss.
func (f *Fake) relation(rel map[string]map[string]bool, ids []string, withSPs map[string]bool) map[string][]entra.Principal {
	out := map[string][]entra.Principal{}
	for _, g := range ids {
		for _, m := range sortedKeys(rel[g]) {
			if p := f.objects[m]; p.Type != entra.TypeServicePrincipal || withSPs[g] {
				out[g] = append(out[g], p)
			}
		}
	}
	return out
}

// Relations implements [entra.Reader].
func (f *Fake) Relations(_ context.Context, q entra.RelationQuery) (members, owners map[string][]entra.Principal, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.call("Relations")
	withSPs := map[string]bool{}
	for _, id := range q.ServicePrincipals {
		withSPs[id] = true
	}
	return f.relation(f.members, q.Members, withSPs), f.relation(f.owners, q.Owners, withSPs), nil
}

// Apply implements [entra.Writer]. Adding a present member or removing an
// absent one succeeds, as the real adapter treats Graph's answers.
func (f *Fake) Apply(_ context.Context, ops []entra.Op) []entra.Result {
	f.mu.Lock()
	defer f.mu.Unlock()
	results := make([]entra.Result, len(ops))
	for i, op := range ops {
		f.call("Apply:" + string(op.Kind))
		f.Writes++
		res := entra.Result{Op: op}
		if err := f.Fail[op.Kind][""]; err != nil {
			res.Err = err
			results[i] = res
			continue
		}
		if op.Kind == entra.OpRequest {
			res.Response, res.Err = f.request(op.Request)
			results[i] = res
			continue
		}
		if op.Kind != entra.OpCreateGroup && f.groups[op.GroupID] == nil {
			res.Err = fmt.Errorf("entratest: group %s does not exist", op.GroupID)
			results[i] = res
			continue
		}
		each := func(set map[string]bool, add bool) {
			for _, id := range op.IDs {
				if err := f.Fail[op.Kind][id]; err != nil {
					if res.Failed == nil {
						res.Failed = map[string]error{}
					}
					res.Failed[id] = err
					continue
				}
				if add {
					set[id] = true
				} else {
					delete(set, id)
				}
			}
		}
		switch op.Kind {
		case entra.OpCreateGroup:
			if op.Group.UniqueName != "" && slices.ContainsFunc(slices.Collect(maps.Values(f.groups)), func(x *entra.Group) bool {
				return strings.EqualFold(x.UniqueName, op.Group.UniqueName)
			}) {
				res.Err = fmt.Errorf("entratest: another group has uniqueName %s", op.Group.UniqueName)
				break
			}
			g := *op.Group
			g.ID = f.id()
			f.groups[g.ID] = &g
			f.objects[g.ID] = entra.Principal{ID: g.ID, Type: entra.TypeGroup, Name: g.DisplayName}
			f.members[g.ID] = map[string]bool{}
			f.owners[g.ID] = map[string]bool{}
			res.CreatedID = g.ID
		case entra.OpUpdateGroup:
			g := f.groups[op.GroupID]
			for _, field := range op.Fields {
				switch field {
				case "displayName":
					g.DisplayName = op.Group.DisplayName
				case "description":
					g.Description = op.Group.Description
				case "mailNickname":
					g.MailNickname = op.Group.MailNickname
				case "visibility":
					g.Visibility = op.Group.Visibility
				case "dynamicRule":
					g.DynamicRule = op.Group.DynamicRule
				case "dynamicRulePaused":
					g.DynamicRulePaused = op.Group.DynamicRulePaused
				}
			}
		case entra.OpDeleteGroup:
			delete(f.groups, op.GroupID)
			delete(f.objects, op.GroupID)
		case entra.OpAddMembers:
			each(f.members[op.GroupID], true)
		case entra.OpRemoveMembers:
			each(f.members[op.GroupID], false)
		case entra.OpAddOwners:
			each(f.owners[op.GroupID], true)
		case entra.OpRemoveOwners:
			each(f.owners[op.GroupID], false)
		case entra.OpSetMarker:
			m := *op.Marker
			f.groups[op.GroupID].Marker = &m
		case entra.OpRemoveMarker:
			f.groups[op.GroupID].Marker = nil
		case entra.OpRequest: // handled above
		}
		results[i] = res
	}
	return results
}

package sim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// tenant is the live, indexed directory. All access happens under
// Server.mu.
type tenant struct {
	id, domain string

	users   map[string]*User // lower-case id
	upns    map[string]*User // lower-case userPrincipalName
	groups  map[string]*Group
	devices map[string]*Device
	sps     map[string]*ServicePrincipal
	deleted map[string]*Group // soft-deleted groups, restorable
	// deletedUsers are soft-deleted users, restorable; their
	// userPrincipalNames are free for new users meanwhile.
	deletedUsers map[string]*User
	apps         []*App

	// Listing order is creation order, as Graph's is stable per object.
	userOrder, groupOrder, deviceOrder []string

	// seq numbers every change; delta tokens are positions in it.
	seq        uint64
	tombstones []tombstone
	// created records when objects were created, for replication lag.
	created map[string]time.Time

	crossTenant   CrossTenant
	orgExtensions map[string]map[string]any
	spo           *SharePoint
}

// tombstone is a deleted object as delta reports it.
type tombstone struct {
	seq    uint64
	id     string
	kind   string // "user" or "group"
	reason string // "changed" (soft-deleted) or "deleted"
}

func newTenant(st *State) (*tenant, error) {
	t := &tenant{
		id: st.TenantID, domain: st.Domain,
		users: map[string]*User{}, upns: map[string]*User{}, groups: map[string]*Group{},
		devices: map[string]*Device{}, sps: map[string]*ServicePrincipal{}, deleted: map[string]*Group{},
		deletedUsers: map[string]*User{}, apps: st.Apps, created: map[string]time.Time{}, orgExtensions: st.OrganizationExtensions,
	}
	if c := cloneCrossTenant(st.CrossTenant); c != nil {
		t.crossTenant = *c
	}
	t.spo = cloneSharePoint(st.SharePoint)
	if t.orgExtensions == nil {
		t.orgExtensions = map[string]map[string]any{}
	}
	// Changes recorded in the file keep their place in the sequence; an
	// object without one (a file written by hand) is new after them.
	t.seq = max(st.DeltaSeq, maxChangeSeq(st))
	for _, u := range st.Users {
		if err := t.addUser(u); err != nil {
			return nil, err
		}
	}
	for _, d := range st.Devices {
		if _, dup := t.devices[lower(d.ID)]; dup {
			return nil, fmt.Errorf("state: duplicate device id %s", d.ID)
		}
		t.devices[lower(d.ID)] = d
		t.deviceOrder = append(t.deviceOrder, lower(d.ID))
	}
	for _, sp := range st.ServicePrincipals {
		t.sps[lower(sp.ID)] = sp
	}
	for _, g := range st.Groups {
		if err := t.addGroup(g); err != nil {
			return nil, err
		}
	}
	for _, g := range st.DeletedItems {
		g.members, g.owners = setOf(g.Members), setOf(g.Owners)
		g.Members, g.Owners = nil, nil
		t.deleted[lower(g.ID)] = g
	}
	for _, u := range st.DeletedUsers {
		t.deletedUsers[lower(u.ID)] = u
	}
	return t, nil
}

func (t *tenant) next() uint64 {
	t.seq++
	return t.seq
}

func (t *tenant) addUser(u *User) error {
	id := lower(u.ID)
	if _, dup := t.users[id]; dup {
		return fmt.Errorf("state: duplicate user id %s", u.ID)
	}
	if _, dup := t.upns[lower(u.UserPrincipalName)]; dup {
		return fmt.Errorf("state: duplicate userPrincipalName %s", u.UserPrincipalName)
	}
	u.seq = u.ChangeSeq
	if u.seq == 0 {
		u.seq = t.next()
	}
	t.users[id] = u
	t.upns[lower(u.UserPrincipalName)] = u
	t.userOrder = append(t.userOrder, id)
	return nil
}

func (t *tenant) addGroup(g *Group) error {
	id := lower(g.ID)
	if _, dup := t.groups[id]; dup {
		return fmt.Errorf("state: duplicate group id %s", g.ID)
	}
	g.members, g.owners = setOf(g.Members), setOf(g.Owners)
	// The JSON lists are only the file form; the sets are the truth.
	g.Members, g.Owners = nil, nil
	g.seq = g.ChangeSeq
	if g.seq == 0 {
		g.seq = t.next()
	}
	t.groups[id] = g
	t.groupOrder = append(t.groupOrder, id)
	return nil
}

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[lower(id)] = true
	}
	return m
}

// object finds a live directory object by id: its value and OData type.
func (t *tenant) object(id string) (any, string, bool) {
	id = lower(id)
	if u, ok := t.users[id]; ok {
		return u, "#microsoft.graph.user", true
	}
	if g, ok := t.groups[id]; ok {
		return g, "#microsoft.graph.group", true
	}
	if d, ok := t.devices[id]; ok {
		return d, "#microsoft.graph.device", true
	}
	if sp, ok := t.sps[id]; ok {
		return sp, "#microsoft.graph.servicePrincipal", true
	}
	return nil, "", false
}

// sortedMembers returns a group's member ids in a stable order, cached
// until the membership changes.
func (g *Group) sortedMembers() []string {
	if g.sorted == nil {
		g.sorted = slices.Sorted(maps.Keys(g.members))
	}
	return g.sorted
}

// setMember adds or removes a member and records the change for delta.
func (t *tenant) setMember(g *Group, id string, member bool) {
	id = lower(id)
	if g.members[id] == member {
		return
	}
	if member {
		g.members[id] = true
	} else {
		delete(g.members, id)
	}
	g.sorted = nil
	g.memberLog = append(g.memberLog, memberChange{seq: t.next(), id: id, removed: !member})
}

// removeEverywhere drops a deleted object from every group's members and
// owners, as the directory does.
func (t *tenant) removeEverywhere(id string) {
	id = lower(id)
	for _, g := range t.groups {
		if g.members[id] {
			t.setMember(g, id, false)
		}
		delete(g.owners, id)
	}
}

func removeID(order []string, id string) []string {
	if i := slices.Index(order, id); i >= 0 {
		return slices.Delete(order, i, i+1)
	}
	return order
}

// snapshot converts the tenant back to its file form.
func (t *tenant) snapshot() *State {
	st := &State{TenantID: t.id, Domain: t.domain, Apps: t.apps, CrossTenant: cloneCrossTenant(&t.crossTenant), DeltaSeq: t.seq,
		SharePoint: cloneSharePoint(t.spo)}
	if len(t.orgExtensions) > 0 {
		data, _ := json.Marshal(t.orgExtensions)
		_ = json.Unmarshal(data, &st.OrganizationExtensions)
	}
	for _, id := range t.userOrder {
		u := t.users[id]
		u.ChangeSeq = u.seq
		st.Users = append(st.Users, u)
	}
	for _, id := range t.deviceOrder {
		st.Devices = append(st.Devices, t.devices[id])
	}
	for _, id := range slices.Sorted(maps.Keys(t.sps)) {
		st.ServicePrincipals = append(st.ServicePrincipals, t.sps[id])
	}
	withLists := func(g *Group) *Group {
		c := *g
		c.ChangeSeq = g.seq
		c.Members = g.sortedMembers()
		c.Owners = slices.Sorted(maps.Keys(g.owners))
		return &c
	}
	for _, id := range t.groupOrder {
		st.Groups = append(st.Groups, withLists(t.groups[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(t.deleted)) {
		st.DeletedItems = append(st.DeletedItems, withLists(t.deleted[id]))
	}
	for _, id := range slices.Sorted(maps.Keys(t.deletedUsers)) {
		st.DeletedUsers = append(st.DeletedUsers, t.deletedUsers[id])
	}
	return st
}

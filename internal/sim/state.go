package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// State is the emulated directory. It is the JSON document of the
// --state file.
type State struct {
	Users   []*User   `json:"users"`
	Groups  []*Group  `json:"groups"`
	Devices []*Device `json:"devices"`
}

// User is a user object: the properties the emulator stores. Properties
// map holds the rest (department, jobTitle, extension attributes, …)
// under their Graph names.
type User struct {
	ID                string         `json:"id"`
	UserPrincipalName string         `json:"userPrincipalName"`
	DisplayName       string         `json:"displayName"`
	Mail              string         `json:"mail,omitempty"`
	AccountEnabled    bool           `json:"accountEnabled"`
	Properties        map[string]any `json:"properties,omitempty"`
}

// Group is a group object with its members and owners by object id.
type Group struct {
	ID                            string   `json:"id"`
	DisplayName                   string   `json:"displayName"`
	Description                   string   `json:"description,omitempty"`
	MailNickname                  string   `json:"mailNickname"`
	MailEnabled                   bool     `json:"mailEnabled"`
	SecurityEnabled               bool     `json:"securityEnabled"`
	GroupTypes                    []string `json:"groupTypes"`
	Visibility                    string   `json:"visibility,omitempty"`
	IsAssignableToRole            bool     `json:"isAssignableToRole,omitempty"`
	MembershipRule                string   `json:"membershipRule,omitempty"`
	MembershipRuleProcessingState string   `json:"membershipRuleProcessingState,omitempty"`
	CreatedDateTime               string   `json:"createdDateTime,omitempty"`
	Members                       []string `json:"members,omitempty"`
	Owners                        []string `json:"owners,omitempty"`
}

// Device is a device object.
type Device struct {
	ID          string `json:"id"`
	DeviceID    string `json:"deviceId"`
	DisplayName string `json:"displayName"`
}

// LoadState reads a state file.
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

// directory indexes a State for lookups by id and by name.
type directory struct {
	users      map[string]*User // by lower-case id and lower-case UPN
	groups     map[string]*Group
	devices    map[string]*Device
	userOrder  []*User // stable listing order
	groupOrder []*Group
	members    map[string]map[string]bool // group id -> member ids
	owners     map[string]map[string]bool
}

func index(st *State) (*directory, error) {
	d := &directory{users: map[string]*User{}, groups: map[string]*Group{}, devices: map[string]*Device{},
		members: map[string]map[string]bool{}, owners: map[string]map[string]bool{}}
	for _, u := range st.Users {
		if _, dup := d.users[strings.ToLower(u.ID)]; dup {
			return nil, fmt.Errorf("state: duplicate user id %s", u.ID)
		}
		d.users[strings.ToLower(u.ID)] = u
		d.users[strings.ToLower(u.UserPrincipalName)] = u
		d.userOrder = append(d.userOrder, u)
	}
	for _, x := range st.Devices {
		d.devices[strings.ToLower(x.ID)] = x
	}
	for _, g := range st.Groups {
		d.groups[strings.ToLower(g.ID)] = g
		d.groupOrder = append(d.groupOrder, g)
		d.members[g.ID] = setOf(g.Members)
		d.owners[g.ID] = setOf(g.Owners)
	}
	return d, nil
}

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[strings.ToLower(id)] = true
	}
	return m
}

// object finds any directory object by id and returns its OData type.
func (d *directory) object(id string) (any, string, bool) {
	id = strings.ToLower(id)
	if u, ok := d.users[id]; ok && strings.EqualFold(u.ID, id) {
		return u, "#microsoft.graph.user", true
	}
	if g, ok := d.groups[id]; ok {
		return g, "#microsoft.graph.group", true
	}
	if x, ok := d.devices[id]; ok {
		return x, "#microsoft.graph.device", true
	}
	return nil, "", false
}

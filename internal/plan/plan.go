package plan

import (
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// FormatVersion is the version of the plan's JSON form. Apply refuses a
// plan of another version.
const FormatVersion = "1"

// Action is what apply does to one address.
//
//	Action   Before      After       Meaning
//	create   nil         the group   the group does not exist; apply creates it
//	update   live group  the group   attributes, members or owners change
//	adopt    live group  the group   an unmarked group is bound (and updated)
//	delete   live group  nil         a marked group is no longer declared and prune is on
//	no-op    live group  the group   nothing to do
type Action string

// The actions.
const (
	Create Action = "create"
	Update Action = "update"
	Adopt  Action = "adopt"
	Delete Action = "delete"
	NoOp   Action = "no-op"
)

// Plan is the complete, ordered set of changes for one apply.
type Plan struct {
	FormatVersion string `json:"format_version"`
	Tenant        string `json:"tenant"`
	// SourceCommit is the configuration commit ("" for a working tree,
	// which apply records as such in markers).
	SourceCommit string  `json:"source_commit"`
	Options      Options `json:"options"`
	// Groups are sorted by address.
	Groups []GroupChange `json:"groups"`
	// Orphans are marked groups no longer declared, left alone because
	// prune is off.
	Orphans []Orphan `json:"orphans,omitempty"`
	Summary Summary  `json:"summary"`
}

// Options are the choices the plan was computed with.
type Options struct {
	// Full forces full membership sync for every group, or for Targets.
	Full bool `json:"full,omitempty"`
	// Prune deletes marked groups that are no longer declared.
	Prune bool `json:"prune,omitempty"`
	// Targets limits the plan to these addresses; empty means all.
	Targets []string `json:"targets,omitempty"`
	// AllowMassRemoval lets apply pass the removal guards.
	AllowMassRemoval bool `json:"allow_mass_removal,omitempty"`
}

// GroupChange is the change to one group address.
type GroupChange struct {
	Address string `json:"address"`
	Action  Action `json:"action"`
	// ID is the live group's id; empty for create.
	ID   string          `json:"id,omitempty"`
	Kind model.GroupKind `json:"kind"`
	// Attributes that change (all of them for create and delete).
	Attributes []AttrChange `json:"attributes,omitempty"`
	// Mode is the declared membership mode (the marker records it);
	// ModeReason says how this plan synchronises and why ("first sync:
	// full", "--full", "incremental since 1a2b3c4", …).
	Mode       model.MembershipMode `json:"mode,omitempty"`
	ModeReason string               `json:"mode_reason,omitempty"`
	Members    *SetChange           `json:"members,omitempty"`
	Owners     *SetChange           `json:"owners,omitempty"`
	// Guard is set when the change would remove too many members; apply
	// stops before writing unless removal guards are overridden.
	Guard string `json:"guard,omitempty"`
	// Permanent marks a delete Graph cannot undo (security groups).
	Permanent bool `json:"permanent,omitempty"`
	// Fingerprint identifies the live state the change was computed
	// from; apply refuses the plan when it no longer matches.
	Fingerprint string `json:"live_fingerprint,omitempty"`
}

// AttrChange is one attribute's before and after.
type AttrChange struct {
	Name   string `json:"name"`
	Before any    `json:"before"`
	After  any    `json:"after"`
}

// Member is a member or owner in a plan: a resolved principal, or a group
// this same plan creates (ID empty, Address set).
type Member struct {
	ID      string           `json:"id,omitempty"`
	Type    entra.ObjectType `json:"type"`
	Name    string           `json:"name"`
	Address string           `json:"address,omitempty"`
}

// key identifies a member within a set.
func (m Member) key() string {
	if m.ID == "" {
		return "pending:" + m.Address
	}
	return m.ID
}

// SetChange is what changes in a set of members or owners.
type SetChange struct {
	Add    []Member `json:"add,omitempty"`
	Remove []Member `json:"remove,omitempty"`
	// Live and After are the set sizes before and after the change.
	Live  int `json:"live"`
	After int `json:"after"`
}

// Empty reports whether nothing changes.
func (s *SetChange) Empty() bool { return s == nil || len(s.Add)+len(s.Remove) == 0 }

// Orphan is a marked group whose address is no longer declared.
type Orphan struct {
	Address string          `json:"address"`
	ID      string          `json:"id"`
	Name    string          `json:"display_name"`
	Kind    model.GroupKind `json:"kind"`
}

// Summary counts the plan's changes.
type Summary struct {
	Create        int `json:"create"`
	Update        int `json:"update"`
	Adopt         int `json:"adopt"`
	Delete        int `json:"delete"`
	NoOp          int `json:"no_op"`
	MembersAdd    int `json:"members_add"`
	MembersRemove int `json:"members_remove"`
	OwnersAdd     int `json:"owners_add"`
	OwnersRemove  int `json:"owners_remove"`
	Guards        int `json:"guards"`
	Orphans       int `json:"orphans"`
}

// HasChanges reports whether apply would write anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary
	return s.Create+s.Update+s.Adopt+s.Delete > 0
}

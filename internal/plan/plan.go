package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

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
//	delete   live group  nil         a group entrasync created is no longer declared and prune is on
//	release  live group  nil         a group entrasync adopted is no longer declared and prune is on:
//	                                 its marker is removed, the group stays
//	no-op    live group  the group   nothing to do
type Action string

// The actions.
const (
	Create Action = "create"
	Update Action = "update"
	Adopt  Action = "adopt"
	Delete Action = "delete"
	// Release removes the marker of an adopted group (prune never deletes
	// what entrasync did not create).
	Release Action = "release"
	NoOp    Action = "no-op"
)

// Plan is the complete, ordered set of changes for one apply.
type Plan struct {
	FormatVersion string `json:"format_version"`
	Tenant        string `json:"tenant"`
	// Configuration is the configuration's name; markers record it.
	Configuration string `json:"configuration"`
	// SourceCommit is the configuration commit ("" for a working tree,
	// which apply records as such in markers).
	SourceCommit string `json:"source_commit"`
	// Dirty is set when the plan is of a working tree whose configuration
	// differs from SourceCommit (HEAD); apply refuses it unless allowed.
	Dirty   bool    `json:"dirty,omitempty"`
	Options Options `json:"options"`
	// Notes are what a reviewer should know about the plan as a whole.
	Notes []string `json:"notes,omitempty"`
	// Groups are sorted by address.
	Groups []GroupChange `json:"groups"`
	// Objects are the changes to the kinds that are documents rather than
	// groups (cross-tenant policies), sorted by address; the ownership
	// record's change last.
	Objects []ObjectChange `json:"objects,omitempty"`
	// Orphans are marked groups no longer declared, left alone because
	// prune is off.
	Orphans []Orphan `json:"orphans,omitempty"`
	Summary Summary  `json:"summary"`
	// Digest is [Plan.ComputeDigest] when the plan was written.
	Digest string `json:"digest,omitempty"`
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
	// Guard is set when the change would remove too many members (built
	// from numbers only, so renderers print it as is); apply
	// stops before writing unless removal guards are overridden.
	Guard string `json:"guard,omitempty"`
	// Permanent marks a delete Graph cannot undo (security groups).
	Permanent bool `json:"permanent,omitempty"`
	// Fingerprint identifies the live state the change was computed
	// from; apply refuses the plan when it no longer matches.
	Fingerprint string `json:"live_fingerprint,omitempty"`
	// ServicePrincipals says the fingerprint counts the group's service
	// principal members and owners, which Graph v1.0 lists only through
	// a read of their own; apply's fresh read makes it too. The groups
	// of Inputs are always read with them.
	ServicePrincipals bool `json:"service_principals_read,omitempty"`
	// Inputs fingerprint the other live data the change was computed
	// from: computed sources and the sources record. Apply re-reads them.
	Inputs []LiveInput `json:"inputs,omitempty"`
	// Marker is the marker apply writes once all of the group's writes
	// succeeded (apply stamps its time); nil leaves the marker as it is.
	Marker *entra.Marker `json:"marker,omitempty"`
	// Sources maintains the record of what the group's computed sources
	// resolved to, which incremental sync needs to follow them.
	Sources *SourcesRecord `json:"sources,omitempty"`
	// Undecided says which removals this plan could not decide and how to
	// let the next plan decide them; empty when every removal was decided.
	Undecided string `json:"undecided,omitempty"`
	// Notes are other things a reviewer should know about the change.
	Notes []string `json:"notes,omitempty"`
}

// LiveInput is one live input of a change besides the group itself: the users
// an OData filter selects, or the members of a group (a mirrored source
// or the sources record).
type LiveInput struct {
	Filter      string `json:"filter,omitempty"`
	GroupID     string `json:"group_id,omitempty"`
	Fingerprint string `json:"fingerprint"`
}

// Set is the record's member change, or nil.
func (s *SourcesRecord) Set() *SetChange {
	if s == nil {
		return nil
	}
	return s.Members
}

// SourcesRecord is the change to the record group that keeps what a
// group's computed sources resolved to at the last apply (the record is
// a security group entrasync creates and marks with the role "sources").
type SourcesRecord struct {
	// ID is the record's id; empty when this plan creates it.
	ID     string `json:"id,omitempty"`
	Action Action `json:"action"`
	// Members are the record's changes: it becomes what the sources
	// resolve to now.
	Members *SetChange `json:"members,omitempty"`
	// Rebind moves the record to the group's new address (a key rename).
	Rebind bool `json:"rebind,omitempty"`
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
	Release       int `json:"release,omitempty"`
	NoOp          int `json:"no_op"`
	MembersAdd    int `json:"members_add"`
	MembersRemove int `json:"members_remove"`
	OwnersAdd     int `json:"owners_add"`
	OwnersRemove  int `json:"owners_remove"`
	// ProfileValues counts the profile property values imports change.
	ProfileValues int `json:"profile_values,omitempty"`
	Guards        int `json:"guards"`
	Orphans       int `json:"orphans"`
	// Undecided counts groups whose removals this plan could not decide.
	Undecided int `json:"undecided,omitempty"`
}

// HasChanges reports whether apply would write anything.
func (p *Plan) HasChanges() bool {
	s := p.Summary
	return s.Create+s.Update+s.Adopt+s.Delete+s.Release > 0
}

// ComputeDigest is a digest over everything in the plan but the digest itself.
// plan --out records it and apply refuses a plan file whose content no
// longer matches: a plan is applied only as plan wrote it.
func (p *Plan) ComputeDigest() string {
	q := *p
	q.Digest = ""
	data, _ := json.Marshal(&q)
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Decode reads a saved plan: JSON of this format whose digest matches its
// content. A plan file is input from disk, an artifact store or another
// job, so anything else is an error, never a plan.
func Decode(data []byte) (*Plan, error) {
	var p Plan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("not a plan: %w", err)
	}
	if p.FormatVersion != FormatVersion {
		return nil, fmt.Errorf("plan format %q; this entrasync reads format %q", p.FormatVersion, FormatVersion)
	}
	if p.Digest == "" || p.Digest != p.ComputeDigest() {
		return nil, ErrEdited
	}
	return &p, nil
}

// ErrEdited is the error of a plan whose content does not match its
// digest.
var ErrEdited = errors.New("changed after plan wrote it (its digest does not match its content)")

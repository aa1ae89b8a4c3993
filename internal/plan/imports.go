package plan

import (
	"maps"
	"slices"

	"github.com/entrasync/entrasync/internal/model"
)

// ProfileImport is the change of a profile mapping: the profiles whose
// values change and everything apply needs to upload the import file,
// queue SharePoint's bulk import and follow its job. It rides on an
// [ObjectChange] (Import set, no Steps): its writes are a file upload and
// SharePoint REST calls, not Graph requests.
type ProfileImport struct {
	AdminURL string `json:"admin_url"`
	Site     string `json:"site"`
	// Folder is the site's folder the file goes to, as declared ("Shared
	// Documents/User Profile Sync"); DriveID its library when planned.
	Folder  string `json:"folder"`
	DriveID string `json:"drive_id"`
	// StatePath is the mapping's state file in the library: what was last
	// imported, the job that is running, the delta link.
	StatePath  string `json:"state_path"`
	IDType     string `json:"id_type"`
	IDProperty string `json:"id_property"`
	// Properties maps a field of the file (the Entra attribute) to a
	// SharePoint profile property: QueueImportProfileProperties's map.
	Properties map[string]string `json:"properties"`
	// Scope fingerprints the mapping's users, id type and attributes.
	Scope string `json:"scope"`
	// Mode is how this plan read Entra and why ("incremental since the
	// import of …", "first import: every user in scope", …).
	Mode       model.MembershipMode `json:"mode"`
	ModeReason string               `json:"mode_reason"`
	// UsersRead counts the users the plan compared: every user in scope
	// for a full read, the changed ones in scope for an incremental one.
	UsersRead int `json:"users_read"`
	// Rows are the file's records: only profiles that change, or every
	// user in scope when the plan re-imports all of them.
	Rows []ProfileRow `json:"rows"`
	// Unresolvable are users in scope that have no value for the id type
	// (no mail for Email), so no record can name them.
	Unresolvable []string `json:"unresolvable,omitempty"`
	// Refused are values the bulk import cannot take; they are left out
	// of their records.
	Refused []RefusedValue `json:"refused,omitempty"`
	// DeltaLink is where the next incremental plan reads changes from,
	// recorded once the import succeeded; empty in full mode.
	DeltaLink string `json:"delta_link,omitempty"`
	// Forget are users that were deleted: the state forgets their values.
	Forget []string `json:"forget,omitempty"`
}

// ProfileRow is one user's record: Values are the Entra attributes it
// writes; Before what the last import wrote (absent: never imported).
type ProfileRow struct {
	UserID   string            `json:"user_id"`
	Name     string            `json:"name"`
	Identity string            `json:"identity"`
	Values   map[string]string `json:"values"`
	Before   map[string]string `json:"before,omitempty"`
}

// Changed lists the attributes whose value differs from the last import.
func (r ProfileRow) Changed() []string {
	var out []string
	for _, a := range slices.Sorted(maps.Keys(r.Values)) {
		if old, ok := r.Before[a]; !ok && r.Values[a] != "" || ok && old != r.Values[a] {
			out = append(out, a)
		}
	}
	return out
}

// RefusedValue is an attribute value the bulk import cannot take.
type RefusedValue struct {
	User      string `json:"user"`
	Attribute string `json:"attribute"`
	Why       string `json:"why"`
}

// Counts are, per SharePoint property, how many profiles change.
func (p *ProfileImport) Counts() map[string]int {
	out := map[string]int{}
	for _, r := range p.Rows {
		for _, a := range r.Changed() {
			out[p.Properties[a]]++
		}
	}
	return out
}

// Changes counts the property values that change.
func (p *ProfileImport) Changes() int {
	n := 0
	for _, c := range p.Counts() {
		n += c
	}
	return n
}

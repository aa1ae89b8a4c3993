package plan

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
)

// Groups carry their own marker. Objects that cannot hold an open
// extension (cross-tenant partners and their identity-sync policies) are
// recorded instead in one open extension on the organization per
// configuration, named OwnershipExtension + configuration:
//
//	{"tenant": "…", "configuration": "contoso-it",
//	 "partners": ["fabrikam=3d0f5dec-…:created"],
//	 "identitySynchronization": ["fabrikam=3d0f5dec-…:created"]}
//
// Each entry is key=id:origin. Origin "created" lets prune delete the
// object; "adopted" only lets it stop managing it. The record grows before
// anything is created and shrinks after deletes, so whatever is
// interrupted, every object this configuration created is in it.
//
// The list "applied" says what apply last changed, as a group's marker
// does for the group: address=commit@time, for example
// "crossTenant.partners.fabrikam=1a2b3c4d5e6f@2026-11-24T10:00:00Z". It
// is written at the end of an apply in which every object change
// succeeded. Graph limits an open extension to 2 KB: about 15 objects
// with both entries.

// OwnershipExtension prefixes the name of a configuration's record.
const OwnershipExtension = "dev.entrasync.objects."

// OwnershipAddress is the address the record's change is shown under.
const OwnershipAddress = "ownership record"

// Claim is one object in the record.
type Claim struct {
	// Kind is the record's list: "partners", "identitySynchronization".
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	ID     string `json:"id"`
	Origin string `json:"origin"`
}

func (c Claim) entry() string { return c.Key + "=" + c.ID + ":" + c.Origin }

func parseClaim(kind, entry string) (Claim, bool) {
	key, rest, ok1 := strings.Cut(entry, "=")
	id, origin, ok2 := strings.Cut(rest, ":")
	if !ok1 || !ok2 || key == "" || id == "" {
		return Claim{}, false
	}
	return Claim{Kind: kind, Key: key, ID: id, Origin: origin}, true
}

// Ownership is what the tenant's ownership records say.
type Ownership struct {
	tenant, configuration string
	// ours are this configuration's claims; live is its record as read
	// (nil when there is none).
	ours []Claim
	// applied maps an address to the commit@time apply last changed it.
	applied map[string]string
	live    entra.Document
	// foreign maps kind/lower(id) to the configuration that claims it.
	foreign map[string]string
}

// OwnershipPath is the path of a configuration's record.
func OwnershipPath(tenant, configuration string) string {
	return OwnershipRecords(tenant) + "/" + OwnershipExtension + configuration
}

// OwnershipRecords is the collection the ownership records are in: the
// organization's open extensions.
func OwnershipRecords(tenant string) string { return "organization/" + tenant + "/extensions" }

// ReadOwnership reads every configuration's record (one request).
func ReadOwnership(ctx context.Context, r entra.Reader, tenant, configuration string) (*Ownership, error) {
	docs, err := r.Collection(ctx, OwnershipRecords(tenant))
	if err != nil {
		return nil, fmt.Errorf("reading the ownership records: %w", err)
	}
	return ParseOwnership(docs, tenant, configuration), nil
}

// ParseOwnership reads the records among the organization's extensions.
func ParseOwnership(exts []entra.Document, tenant, configuration string) *Ownership {
	o := &Ownership{tenant: tenant, configuration: configuration, foreign: map[string]string{}, applied: map[string]string{}}
	for _, doc := range exts {
		name, _ := doc["extensionName"].(string)
		owner, ok := strings.CutPrefix(name, OwnershipExtension)
		if !ok {
			continue
		}
		var claims []Claim
		for _, kind := range slices.Sorted(maps.Keys(doc)) {
			list, isList := doc[kind].([]any)
			if !isList || kind == appliedList {
				continue
			}
			for _, e := range list {
				if s, ok := e.(string); ok {
					if c, ok := parseClaim(kind, s); ok {
						claims = append(claims, c)
					}
				}
			}
		}
		if owner == configuration {
			o.ours, o.live = claims, doc
			list, _ := doc[appliedList].([]any)
			for _, e := range list {
				s, _ := e.(string)
				if addr, stamp, ok := strings.Cut(s, "="); ok && addr != "" {
					o.applied[addr] = stamp
				}
			}
			continue
		}
		for _, c := range claims {
			o.foreign[c.Kind+"/"+strings.ToLower(c.ID)] = owner
		}
	}
	return o
}

// Claimed is this configuration's claim of an object, if any.
func (o *Ownership) Claimed(kind, id string) (Claim, bool) {
	for _, c := range o.ours {
		if c.Kind == kind && strings.EqualFold(c.ID, id) {
			return c, true
		}
	}
	return Claim{}, false
}

// ClaimedKey is this configuration's claim of a kind under a key, if any:
// the one with an id when an interrupted apply left a pending one too.
func (o *Ownership) ClaimedKey(kind, key string) (Claim, bool) {
	var found Claim
	ok := false
	for _, c := range o.ours {
		if c.Kind == kind && c.Key == key && (!ok || found.ID == PendingID) {
			found, ok = c, true
		}
	}
	return found, ok
}

// PendingID is the id a claim holds while the object it claims is being
// created and Graph has not given it an id yet. A kind that claims an
// object before its id is known claims it with a [Ref] to the id apply
// will learn: the record holds PendingID until the apply's release step
// writes the real id.
const PendingID = "new"

// Ours lists this configuration's claims of a kind.
func (o *Ownership) Ours(kind string) []Claim {
	var out []Claim
	for _, c := range o.ours {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// ForeignOwner is the other configuration that claims an object, or "".
func (o *Ownership) ForeignOwner(kind, id string) string {
	return o.foreign[kind+"/"+strings.ToLower(id)]
}

// Applied is what the record says apply last did to the object at an
// address: the configuration's commit (abbreviated; "" for a working
// tree) and the time, as apply stamped it (RFC 3339).
func (o *Ownership) Applied(addr string) (commit, at string, ok bool) {
	stamp, ok := o.applied[addr]
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(stamp, "@")
	if i < 0 {
		return "", "", false
	}
	return stamp[:i], stamp[i+1:], true
}

// appliedList is the record's list of what apply last changed.
const appliedList = "applied"

// ApplyTime names the time an apply starts ([Ref]); apply fills it in.
const ApplyTime = "apply:time"

// Stamp is what a plan's apply records of the objects it changes.
type Stamp struct {
	// Commit is the configuration's commit ("" for a working tree).
	Commit string
	// Changed are the addresses of objects created, updated or adopted;
	// Dropped of those deleted or released.
	Changed, Dropped []string
}

// after is the applied list once the stamp is recorded.
func (st Stamp) after(before map[string]string) map[string]string {
	out := maps.Clone(before)
	if out == nil {
		out = map[string]string{}
	}
	for _, a := range st.Dropped {
		delete(out, a)
	}
	for _, a := range st.Changed {
		out[a] = short(st.Commit) + "@" + Ref(ApplyTime)
	}
	return out
}

// Live is this configuration's record as read, nil when there is none.
func (o *Ownership) Live() entra.Document { return o.live }

// maxRecordBytes is Graph's limit on an open extension's data.
const maxRecordBytes = 2048

// record is the record's body holding claims and applied stamps.
func (o *Ownership) record(claims []Claim, applied map[string]string) map[string]any {
	body := map[string]any{"tenant": o.tenant, "configuration": o.configuration}
	for _, c := range o.ours {
		body[c.Kind] = []any{} // a kind emptied is written as an empty list
	}
	for _, c := range claims {
		list, _ := body[c.Kind].([]any)
		body[c.Kind] = append(list, c.entry())
	}
	if len(applied) > 0 || len(o.applied) > 0 {
		list := []any{}
		for _, addr := range slices.Sorted(maps.Keys(applied)) {
			list = append(list, addr+"="+applied[addr])
		}
		body[appliedList] = list
	}
	return body
}

func sortedClaims(cs []Claim) []Claim {
	out := slices.Clone(cs)
	slices.SortFunc(out, func(a, b Claim) int { return strings.Compare(a.Kind+"/"+a.entry(), b.Kind+"/"+b.entry()) })
	return slices.CompactFunc(out, func(a, b Claim) bool { return a == b })
}

// change is the record's change from what it holds to after: claim adds
// entries before anything is written, release drops them once deletes are
// done and stamps what this apply changed. nil when the record stays as
// it is.
func (o *Ownership) change(after []Claim, st Stamp) (*ObjectChange, error) {
	before, after := sortedClaims(o.ours), sortedClaims(after)
	union := sortedClaims(append(slices.Clone(before), after...))
	applied := st.after(o.applied)
	if slices.Equal(before, after) && maps.Equal(applied, o.applied) {
		return nil, nil
	}
	path := OwnershipPath(o.tenant, o.configuration)
	c := &ObjectChange{Address: OwnershipAddress, Action: Update, Name: OwnershipExtension + o.configuration,
		Reads: []DocumentRead{Read(path, o.live)}}
	if o.live == nil {
		c.Action = Create
	}
	size := func(applied map[string]string) int {
		n := 0
		for _, body := range []map[string]any{o.record(union, applied), o.record(after, applied)} {
			data, _ := json.Marshal(body)
			n = max(n, len(data))
		}
		return n
	}
	// The claim step keeps the stamps as they are: they describe applies
	// that are done.
	claimApplied := o.applied
	if size(applied) > maxRecordBytes {
		// Claims come first: without them prune would lose track of what
		// this configuration created. The stamps only feed status.
		if n := size(nil); n > maxRecordBytes {
			return nil, fmt.Errorf("the ownership record would hold %d bytes, more than the 2 KB Graph allows in an open extension; split the configuration", n)
		}
		applied, claimApplied = map[string]string{}, nil
		c.Notes = append(c.Notes, "the record has no room left for the commit and time of each apply (Graph allows 2 KB), so status will not show them; split the configuration to get them back")
	}
	// What the claim step writes: an id apply learns later is recorded
	// as pending until the release step writes it.
	claimed := make([]Claim, len(union))
	for i, x := range union {
		if strings.HasPrefix(x.ID, Ref("")[:2]) {
			x.ID = PendingID
		}
		claimed[i] = x
	}
	claimed = sortedClaims(claimed)
	// write is the request that writes body: the first creates the record.
	write := func(fields map[string]any) entra.Request {
		body := entra.OpenExtension(OwnershipExtension+o.configuration, fields)
		if o.live == nil && len(c.Steps) == 0 {
			return entra.Request{Method: "POST", Path: OwnershipRecords(o.tenant), Body: body}
		}
		return entra.Request{Method: "PATCH", Path: path, Body: body}
	}
	if !slices.Equal(claimed, before) {
		c.Steps = append(c.Steps, Step{Phase: PhaseClaim, What: "record the objects this configuration is about to create or take over",
			Request: write(o.record(claimed, claimApplied))})
	}
	if !slices.Equal(claimed, after) || !maps.Equal(applied, o.applied) {
		var did []string
		if !slices.Equal(claimed, after) {
			did = append(did, "forget the objects deleted or released")
		}
		if !maps.Equal(applied, o.applied) {
			did = append(did, "record the commit and time of this apply")
		}
		what := strings.Join(did, ", and ")
		c.Steps = append(c.Steps, Step{Phase: PhaseRelease, What: what, Request: write(o.record(after, applied))})
	}
	if len(c.Steps) == 0 {
		return nil, nil
	}
	entries := func(cs []Claim, kind string) []string {
		out := []string{}
		for _, x := range cs {
			if x.Kind == kind {
				out = append(out, x.entry())
			}
		}
		return out
	}
	kinds := map[string]bool{}
	for _, x := range union {
		kinds[x.Kind] = true
	}
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		b, a := entries(before, k), entries(after, k)
		if !slices.Equal(b, a) {
			c.Fields = append(c.Fields, FieldChange{Path: k, Before: b, After: a})
		}
	}
	return c, nil
}

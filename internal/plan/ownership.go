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
// interrupted, every object this configuration created is in it. Graph
// limits an open extension to 2 KB, about 25 entries.

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
	live entra.Document
	// foreign maps kind/lower(id) to the configuration that claims it.
	foreign map[string]string
}

// OwnershipPath is the path of a configuration's record.
func OwnershipPath(tenant, configuration string) string {
	return "organization/" + tenant + "/extensions/" + OwnershipExtension + configuration
}

// ReadOwnership reads every configuration's record (one request).
func ReadOwnership(ctx context.Context, r entra.Reader, tenant, configuration string) (*Ownership, error) {
	docs, err := r.Collection(ctx, "organization/"+tenant+"/extensions")
	if err != nil {
		return nil, fmt.Errorf("reading the ownership records: %w", err)
	}
	return ParseOwnership(docs, tenant, configuration), nil
}

// ParseOwnership reads the records among the organization's extensions.
func ParseOwnership(exts []entra.Document, tenant, configuration string) *Ownership {
	o := &Ownership{tenant: tenant, configuration: configuration, foreign: map[string]string{}}
	for _, doc := range exts {
		name, _ := doc["extensionName"].(string)
		owner, ok := strings.CutPrefix(name, OwnershipExtension)
		if !ok {
			continue
		}
		var claims []Claim
		for _, kind := range slices.Sorted(maps.Keys(doc)) {
			list, isList := doc[kind].([]any)
			if !isList {
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

// Live is this configuration's record as read, nil when there is none.
func (o *Ownership) Live() entra.Document { return o.live }

// maxRecordBytes is Graph's limit on an open extension's data.
const maxRecordBytes = 2048

// record is the record's body holding claims.
func (o *Ownership) record(claims []Claim) map[string]any {
	body := map[string]any{"tenant": o.tenant, "configuration": o.configuration}
	for _, c := range o.ours {
		body[c.Kind] = []any{} // a kind emptied is written as an empty list
	}
	for _, c := range claims {
		list, _ := body[c.Kind].([]any)
		body[c.Kind] = append(list, c.entry())
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
// done. nil when the record stays as it is.
func (o *Ownership) change(after []Claim) (*ObjectChange, error) {
	before, after := sortedClaims(o.ours), sortedClaims(after)
	union := sortedClaims(append(slices.Clone(before), after...))
	if slices.Equal(before, after) {
		return nil, nil
	}
	path := OwnershipPath(o.tenant, o.configuration)
	c := &ObjectChange{Address: OwnershipAddress, Action: Update, Name: OwnershipExtension + o.configuration,
		Reads: []DocumentRead{Read(path, o.live)}}
	if o.live == nil {
		c.Action = Create
	}
	for _, body := range []map[string]any{o.record(union), o.record(after)} {
		if data, _ := json.Marshal(body); len(data) > maxRecordBytes {
			return nil, fmt.Errorf("the ownership record would hold %d bytes, more than the 2 KB Graph allows in an open extension; split the configuration", len(data))
		}
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
	if !slices.Equal(claimed, before) {
		step := Step{Phase: PhaseClaim, What: "record the objects this configuration is about to create or take over",
			Request: entra.Request{Method: "PATCH", Path: path, Body: o.record(claimed)}}
		if o.live == nil {
			body := o.record(claimed)
			body["@odata.type"] = "microsoft.graph.openTypeExtension"
			body["extensionName"] = OwnershipExtension + o.configuration
			step.Request = entra.Request{Method: "POST", Path: "organization/" + o.tenant + "/extensions", Body: body}
		}
		c.Steps = append(c.Steps, step)
	}
	if !slices.Equal(claimed, after) {
		c.Steps = append(c.Steps, Step{Phase: PhaseRelease, What: "forget the objects deleted or released",
			Request: entra.Request{Method: "PATCH", Path: path, Body: o.record(after)}})
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

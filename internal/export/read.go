package export

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// Options say what to read.
type Options struct {
	// TenantID is the id of the tenant read, when the caller has read it
	// already; empty asks the tenant.
	TenantID string
	// Configuration is the name of the configuration the export is for:
	// groups another configuration marks are skipped.
	Configuration string
	// Filter is an OData $filter on /groups; empty reads every group.
	Filter string
	// Declared says under which key the existing configuration already
	// declares a live group (ok false when it does not); such groups are
	// skipped, and nested groups refer to them by key. Nil means there is
	// no existing configuration.
	Declared func(g entra.Group) (key string, ok bool)
	// Progress is told how reading advances; nil reports nothing.
	Progress func(stage string, done, total int)
}

// Snapshot is what an export read from the tenant.
type Snapshot struct {
	TenantID string
	// Groups are the groups to export, in the order Graph listed them.
	Groups []entra.Group
	// Members and Owners are by group id; dynamic groups have no
	// members read.
	Members map[string][]entra.Principal
	Owners  map[string][]entra.Principal
	// UniqueDevices are the ids of member devices whose displayName no
	// other device has: only those are declared by name.
	UniqueDevices map[string]bool
	// Skipped are the listed groups that are not exported, and why.
	Skipped []Skipped
	// Policies is the cross-tenant access policy, when it was read
	// ([ReadPolicies]).
	Policies *Policies
	// Declared are the keys of groups the existing configuration
	// declares, by lower-case id: exported groups' members among them
	// are referred to by key.
	Declared map[string]string

	// What was asked for, for [Snapshot.Bound].
	groupsRead                                       bool
	listed, relationReads, groupLookups, deviceNames int
}

// Graph's limits that bound an export's round trips (Graph docs: JSON
// batching; Paging; known issues: query parameter limits).
const (
	pageSize   = 999
	batchSize  = 20
	inValues   = 15
	tenantRead = 1 // GET /organization
)

// Bound is the fewest round trips that read the snapshot: the tenant id,
// the pages of the group listing, every members and owners request
// twenty per $batch and their further pages likewise, and the
// device-name lookups, fifteen names per request.
func (s *Snapshot) Bound() int {
	more := 0
	for _, rel := range []map[string][]entra.Principal{s.Members, s.Owners} {
		for _, ps := range rel {
			more += max(0, ceilDiv(len(ps), pageSize)-1)
		}
	}
	n := tenantRead
	if s.groupsRead {
		n += max(1, ceilDiv(s.listed, pageSize)) + ceilDiv(s.relationReads, batchSize) +
			ceilDiv(more, batchSize) + ceilDiv(ceilDiv(s.groupLookups, inValues), batchSize) +
			ceilDiv(ceilDiv(s.deviceNames, inValues), batchSize)
	}
	if p := s.Policies; p != nil {
		// The listings, then what each listed object needs, then the
		// job schemas: each a step that depends on the one before.
		n += p.rounds
	}
	return n
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Skipped is a group an export leaves out.
type Skipped struct {
	Group  entra.Group
	Reason string
	// Ours is set for groups this configuration already declares or
	// keeps as records: expected, so counted rather than listed.
	Ours bool
}

// relationChunk is how many groups' members and owners are read between
// progress reports: ten full $batches of each.
const relationChunk = 200

// mailNickname mirrors the schema's #MailNickname: a group whose
// mailNickname the schema refuses cannot be declared.
var mailNickname = regexp.MustCompile("^[!#$%&'*+/0-9=?A-Z^_`a-z{|}~-]{1,64}$")

// Read reads the groups the options select, with their members and owners.
func Read(ctx context.Context, r entra.Reader, o Options) (*Snapshot, error) {
	progress := o.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	tid := o.TenantID
	if tid == "" {
		var err error
		if tid, err = r.TenantID(ctx); err != nil {
			return nil, fmt.Errorf("reading the tenant id: %w", err)
		}
	}
	s := &Snapshot{TenantID: tid, Members: map[string][]entra.Principal{}, Owners: map[string][]entra.Principal{},
		UniqueDevices: map[string]bool{}, Declared: map[string]string{}}
	progress("groups", 0, 1)
	groups, err := r.Groups(ctx, entra.GroupQuery{All: true, Filter: o.Filter})
	if err != nil {
		return nil, fmt.Errorf("listing groups: %w", err)
	}
	progress("groups", 1, 1)
	s.groupsRead, s.listed = true, len(groups)
	for _, g := range groups {
		if why, ours := s.skipReason(g, tid, o); why != "" {
			s.Skipped = append(s.Skipped, Skipped{Group: g, Reason: why, Ours: ours})
			continue
		}
		s.Groups = append(s.Groups, g)
	}

	var ids []string
	dynamic := map[string]bool{}
	for _, g := range s.Groups {
		ids = append(ids, g.ID)
		dynamic[g.ID] = g.DynamicRule != ""
	}
	for i := 0; i < len(ids); i += relationChunk {
		progress("members and owners", i, len(ids))
		chunk := ids[i:min(i+relationChunk, len(ids))]
		var withMembers []string
		for _, id := range chunk {
			if !dynamic[id] {
				withMembers = append(withMembers, id)
			}
		}
		// Every service principal too: the export is the declaration the
		// first sync, which is full, holds the group to.
		s.relationReads += 2 * (len(withMembers) + len(chunk))
		members, owners, err := r.Relations(ctx, entra.RelationQuery{Members: withMembers, Owners: chunk, ServicePrincipals: chunk})
		if err != nil {
			return nil, fmt.Errorf("reading members and owners: %w", err)
		}
		for id, ps := range members {
			s.Members[id] = ps
		}
		for id, ps := range owners {
			s.Owners[id] = ps
		}
	}
	progress("members and owners", len(ids), len(ids))
	if err := s.declaredMembers(ctx, r, o); err != nil {
		return nil, err
	}
	return s, uniqueDevices(ctx, r, s, progress)
}

// declaredMembers learns which member groups outside the listing the
// existing configuration declares (by marker or adopt), so they are
// referred to by key: one lookup per fifteen such groups.
func (s *Snapshot) declaredMembers(ctx context.Context, r entra.Reader, o Options) error {
	if o.Declared == nil {
		return nil
	}
	exported := map[string]bool{}
	for _, g := range s.Groups {
		exported[strings.ToLower(g.ID)] = true
	}
	wanted := map[string]bool{}
	for _, ps := range s.Members {
		for _, p := range ps {
			id := strings.ToLower(p.ID)
			if _, known := s.Declared[id]; p.Type == entra.TypeGroup && !known && !exported[id] {
				wanted[p.ID] = true
			}
		}
	}
	ids := slices.Collect(maps.Keys(wanted))
	if len(ids) == 0 {
		return nil
	}
	slices.Sort(ids)
	s.groupLookups = len(ids)
	groups, err := r.Groups(ctx, entra.GroupQuery{IDs: ids})
	if err != nil {
		return fmt.Errorf("reading member groups: %w", err)
	}
	for _, g := range groups {
		if key, ok := o.Declared(g); ok {
			s.Declared[strings.ToLower(g.ID)] = key
		}
	}
	return nil
}

// skipReason says why a listed group is not exported, or "", and
// whether it is one of this configuration's own.
func (s *Snapshot) skipReason(g entra.Group, tenant string, o Options) (string, bool) {
	m := g.Marker
	switch {
	case m != nil && m.Role == entra.RoleSources:
		return "entrasync's record of the computed sources of " + m.Address, m.Ours(tenant, o.Configuration)
	case m != nil && !m.Ours(tenant, o.Configuration):
		return "managed by " + m.Owner(), false
	case g.OnPremisesSynced:
		return "synchronized from on-premises Active Directory: Graph cannot change it", false
	case g.Kind != model.GroupMicrosoft365 && g.MailEnabled:
		return "a distribution list or mail-enabled security group: Exchange manages its members", false
	case g.Kind != model.GroupMicrosoft365 && !g.SecurityEnabled:
		return "neither a security nor a Microsoft 365 group", false
	case !mailNickname.MatchString(g.MailNickname):
		return fmt.Sprintf("its mailNickname %q is not one the schema accepts", g.MailNickname), false
	}
	if o.Declared != nil {
		if key, ok := o.Declared(g); ok {
			s.Declared[strings.ToLower(g.ID)] = key
			return "already declared as groups." + key, true
		}
	}
	return "", false
}

// uniqueDevices learns which member devices' names are unique, with one
// lookup per fifteen names: a name shared by several devices would let
// whoever names a device choose which one joins the group.
func uniqueDevices(ctx context.Context, r entra.Reader, s *Snapshot, progress func(string, int, int)) error {
	names := map[string]bool{}
	for _, ps := range s.Members {
		for _, p := range ps {
			if p.Type == entra.TypeDevice && usableName(p.Name) {
				names[p.Name] = true
			}
		}
	}
	if len(names) == 0 {
		return nil
	}
	progress("device names", 0, len(names))
	s.deviceNames = len(names)
	resolved, err := r.ResolveDevices(ctx, slices.Sorted(maps.Keys(names)))
	if err != nil {
		return fmt.Errorf("looking up device names: %w", err)
	}
	for _, p := range resolved {
		if len(p.Candidates) == 0 && p.ID != "" {
			s.UniqueDevices[strings.ToLower(p.ID)] = true
		}
	}
	progress("device names", len(names), len(names))
	return nil
}

// usableName reports whether a name can stand for its object in the
// configuration: not empty, and not read as an id reference.
func usableName(name string) bool {
	return strings.TrimSpace(name) != "" && !strings.HasPrefix(name, "id:") && !strings.HasPrefix(name, "appId:")
}

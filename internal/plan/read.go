package plan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// Live is what the tenant holds for a desired state: the groups bound to
// declared addresses, resolved references, computed sources, and the
// declared state at each marker's commit.
type Live struct {
	// Groups are the live groups bound to declared keys.
	Groups map[string]*LiveGroup
	// Marked are marked groups whose address is not declared, with their
	// members and owners (a delete is fingerprinted like any change).
	Marked []*LiveGroup
	// Refs maps a reference to its principal: "user:<ref>", "device:<ref>",
	// "sp:<ref>", "group:<id:GUID>", keys lower-cased.
	Refs map[string]entra.Principal
	// Computed are the members of computed sources: "users:<filter>" and
	// "group:<key or id:GUID>".
	Computed map[string][]entra.Principal
	// Last is each marked group's declaration at its marker's commit,
	// joined with the declarations at its pending commits, found under the
	// marker's address (so a renamed key finds its history). LastMissing
	// lists groups whose last declaration is unknown, with the commit that
	// is missing ("" when the marker recorded no commit).
	Last        map[string]*model.Group
	LastMissing map[string]string
	// Records are the sources records (see [SourcesRecord]) by the address
	// of the group they record, with their members.
	Records map[string]*LiveGroup
	// ServicePrincipals holds the ids of the groups whose service
	// principal members and owners were read (see
	// [entra.RelationQuery]); a change records it, so apply's fresh read
	// fingerprints the same thing.
	ServicePrincipals map[string]bool
	// Full says the state was read for a full sync of every group
	// (--full), which Compute with Options.Full needs.
	Full bool
}

// LiveGroup is a bound live group with its members and owners.
type LiveGroup struct {
	entra.Group
	Members []entra.Principal
	Owners  []entra.Principal
}

// Fingerprint is a short digest of everything the plan depends on for this
// group; any change in the tenant changes it.
func (g *LiveGroup) Fingerprint() string {
	ids := func(ps []entra.Principal) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			out[i] = strings.ToLower(p.ID)
		}
		slices.Sort(out)
		return out
	}
	data, _ := json.Marshal(struct {
		G       entra.Group
		Members []string
		Owners  []string
	}{g.Group, ids(g.Members), ids(g.Owners)})
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:8])
}

// Inputs are what ReadLive needs besides the tenant and the desired state.
type Inputs struct {
	// Locate gives diagnostics positions in the configuration.
	Locate diag.Locator
	// LastDeclared loads the groups as declared at the commits the
	// markers name. Nil means no history is available.
	LastDeclared History
	// Progress is told how reading advances, stage by stage; nil reports
	// nothing.
	Progress func(stage string, done, total int)
	// Full is --full: every group is synchronised in full, so their
	// service principal members and owners are read too.
	Full bool
	// Targets, when set, limit what is read to what the targeted addresses
	// need (--target): their history, references, members and owners, and
	// the members of the groups they mirror. Every declared group is still
	// bound to its live group, which costs no request of its own.
	Targets []string
}

func groupAddress(key string) string { return model.Address{Kind: model.KindGroup, Key: key}.String() }

// ReadLive reads what the desired state needs. Unresolvable references and
// binding conflicts come back as diagnostics with positions; an error is a
// failure to read the tenant at all.
func ReadLive(ctx context.Context, r entra.Reader, d *model.Desired, in Inputs) (*Live, diag.Diagnostics, error) {
	if in.Locate == nil {
		in.Locate = func(string) *diag.Range { return nil }
	}
	progress := in.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	live := &Live{Groups: map[string]*LiveGroup{}, Refs: map[string]entra.Principal{},
		Computed: map[string][]entra.Principal{}, Last: map[string]*model.Group{}, LastMissing: map[string]string{},
		Records: map[string]*LiveGroup{}, ServicePrincipals: map[string]bool{}, Full: in.Full}
	var ds diag.Diagnostics
	keys := model.SortedKeys(d.Groups)

	// 1. Groups: every marked group, and the candidates for adoption and
	// mailNickname conflicts, in one query.
	q := entra.GroupQuery{Marked: true}
	for _, k := range keys {
		g := d.Groups[k]
		if id, ok := strings.CutPrefix(g.Adopt, "id:"); ok {
			q.IDs = append(q.IDs, id)
		}
		q.MailNicknames = append(q.MailNicknames, g.MailNickname)
		q.UniqueNames = append(q.UniqueNames, UniqueName(d.Configuration, groupAddress(k)), RecordUniqueName(d.Configuration, groupAddress(k)))
	}
	progress("groups", 0, 1)
	groups, err := r.Groups(ctx, q)
	if err != nil {
		return nil, nil, fmt.Errorf("reading groups: %w", err)
	}
	progress("groups", 1, 1)
	bindings, marked, records, bds := bind(d, keys, groups, in.Locate)
	ds = append(ds, bds...)

	// read are the groups whose changes this plan computes.
	targeted := func(addr string) bool { return len(in.Targets) == 0 || slices.Contains(in.Targets, addr) }
	read := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !targeted(groupAddress(k)) })

	// 2. The declared state at each marked group's last applied commit and
	// the commits applied add-only since, under the marker's address. The
	// history is asked once, with every commit and the groups wanted of
	// it, so that each version of the configuration is loaded once.
	need := map[string][]string{}
	for _, k := range read {
		if bound := bindings[k]; bound != nil && bound.Marker != nil {
			for _, commit := range markerCommits(bound.Marker) {
				if commit != "" {
					need[commit] = append(need[commit], markerKeys(bound.Marker)...)
				}
			}
		}
	}
	var declared Declarations
	if in.LastDeclared != nil && len(need) > 0 {
		declared, err = in.LastDeclared(need, func(done, total int) { progress("the configuration at applied commits", done, total) })
		if err != nil {
			return nil, nil, err
		}
	}
	for _, k := range read {
		if bound := bindings[k]; bound != nil && bound.Marker != nil {
			if last, missing := lastDeclaration(bound.Marker, declared, in.LastDeclared != nil); last != nil {
				live.Last[k] = last
			} else {
				live.LastMissing[k] = missing
			}
		}
	}

	// 3. Every reference of now and of the last applied state (one bulk
	// call per kind), the users of each filter, and the members and owners
	// of the bound, marked and recorded groups. The reads are independent,
	// so they run at once and share round trips: a listing of the whole
	// tenant's users, one page after another, rides in the member reads'
	// batches instead of taking a round trip per page.
	want := map[string]map[string]bool{"user": {}, "device": {}, "sp": {}, "group": {}}
	for _, k := range read {
		g := d.Groups[k]
		collectReferences(want, &g)
		collectReferences(want, live.Last[k])
	}
	var memberIDs, ownerIDs, filters []string
	mirrorID := map[string]string{}
	for _, k := range read {
		g := d.Groups[k]
		if b := bindings[k]; b != nil {
			memberIDs = append(memberIDs, b.ID)
			// Owners are only read where they are managed.
			owners := ownersManaged(g, b.Marker, live.Last[k])
			if owners {
				ownerIDs = append(ownerIDs, b.ID)
			}
			if seesServicePrincipals(g, b.Marker, live.Last[k], owners, in.Full) {
				live.ServicePrincipals[b.ID] = true
			}
		}
		if g.Membership == nil {
			continue
		}
		for _, s := range g.Membership.From {
			switch {
			case s.Users != "":
				if !slices.Contains(filters, s.Users) {
					filters = append(filters, s.Users)
				}
			case strings.HasPrefix(s.Group, "id:"):
				// Known once the group references are resolved.
			default:
				if b := bindings[s.Group]; b != nil {
					mirrorID[s.Group] = b.ID
				} else {
					live.Computed["group:"+s.Group] = nil // created by this plan: no members yet
				}
			}
		}
	}
	// A mirror copies every member of its source, service principals
	// included, and a sources record holds what the sources resolved to.
	for _, id := range mirrorID {
		memberIDs = append(memberIDs, id)
		live.ServicePrincipals[id] = true
	}
	for _, g := range marked {
		if targeted(g.Marker.Address) {
			memberIDs = append(memberIDs, g.ID)
			ownerIDs = append(ownerIDs, g.ID)
		}
	}
	for addr, g := range records {
		if targeted(addr) {
			memberIDs = append(memberIDs, g.ID)
			live.ServicePrincipals[g.ID] = true
		}
	}
	slices.Sort(memberIDs)
	memberIDs = slices.Compact(memberIDs)

	const stage = "references, members and owners"
	var mu sync.Mutex // guards live, done and the progress calls
	total, done := len(memberIDs)+len(ownerIDs)+len(filters), 0
	advance := func(n int) {
		mu.Lock()
		defer mu.Unlock()
		done += n
		progress(stage, min(done, total), total)
	}
	var reads []func(context.Context) error
	resolvers := []struct {
		kind string
		fn   func(context.Context, []string) (map[string]entra.Principal, error)
	}{{"user", r.ResolveUsers}, {"device", r.ResolveDevices}, {"sp", r.ResolveServicePrincipals}, {"group", r.ResolveGroups}}
	for _, res := range resolvers {
		refs := slices.Sorted(mapKeys(want[res.kind]))
		if len(refs) == 0 {
			continue
		}
		total += len(refs)
		reads = append(reads, func(ctx context.Context) error {
			found, err := res.fn(ctx, refs)
			if err != nil {
				return fmt.Errorf("resolving %s references: %w", res.kind, err)
			}
			mu.Lock()
			for ref, p := range found {
				live.Refs[res.kind+":"+strings.ToLower(ref)] = p
			}
			mu.Unlock()
			advance(len(refs))
			return nil
		})
	}
	for _, f := range filters {
		reads = append(reads, func(ctx context.Context) error {
			users, err := r.UsersMatching(ctx, f)
			if err != nil {
				return fmt.Errorf("resolving users matching %q: %w", f, err)
			}
			mu.Lock()
			live.Computed["users:"+f] = users
			mu.Unlock()
			advance(1)
			return nil
		})
	}
	var members, owners map[string][]entra.Principal
	if len(memberIDs)+len(ownerIDs) > 0 {
		// The reader reports each group's members and owners as they arrive.
		reads = append(reads, func(ctx context.Context) error {
			var err error
			members, owners, err = r.Relations(entra.WithProgress(ctx, advance), entra.RelationQuery{
				Members: memberIDs, Owners: ownerIDs, ServicePrincipals: slices.Sorted(maps.Keys(live.ServicePrincipals))})
			if err != nil {
				return fmt.Errorf("reading members and owners: %w", err)
			}
			return nil
		})
	}
	progress(stage, 0, total)
	if err := together(ctx, reads); err != nil {
		return nil, nil, err
	}
	if done < total {
		progress(stage, total, total)
	}
	ds = append(ds, unresolved(d, read, live, bindings, in.Locate)...)

	// 4. Groups mirrored by id, once their references are resolved: a read
	// of their own only when they are not among the groups read above.
	var more []string
	for _, k := range read {
		if m := d.Groups[k].Membership; m != nil {
			for _, s := range m.From {
				if p, ok := live.Refs["group:"+strings.ToLower(s.Group)]; ok && strings.HasPrefix(s.Group, "id:") {
					mirrorID[s.Group] = p.ID
					if !slices.Contains(memberIDs, p.ID) && !slices.Contains(more, p.ID) {
						more = append(more, p.ID)
					}
				}
			}
		}
	}
	if len(more) > 0 {
		for _, id := range more {
			live.ServicePrincipals[id] = true
		}
		extra, _, err := r.Relations(ctx, entra.RelationQuery{Members: more, ServicePrincipals: more})
		if err != nil {
			return nil, nil, fmt.Errorf("reading members of mirrored groups: %w", err)
		}
		if members == nil {
			members = map[string][]entra.Principal{}
		}
		maps.Copy(members, extra)
	}
	for src, id := range mirrorID {
		live.Computed["group:"+src] = members[id]
	}
	for k, b := range bindings {
		if b != nil {
			live.Groups[k] = &LiveGroup{Group: *b, Members: members[b.ID], Owners: owners[b.ID]}
		}
	}
	for _, g := range marked {
		live.Marked = append(live.Marked, &LiveGroup{Group: g, Members: members[g.ID], Owners: owners[g.ID]})
	}
	for addr, g := range records {
		live.Records[addr] = &LiveGroup{Group: g, Members: members[g.ID]}
	}
	ds.Sort()
	return live, ds, nil
}

// collectReferences adds the users, devices, service principals and
// groups by id that g refers to.
func collectReferences(want map[string]map[string]bool, g *model.Group) {
	if g == nil {
		return
	}
	for _, o := range g.Owners {
		want["user"][o] = true
	}
	m := g.Membership
	if m == nil {
		return
	}
	for _, u := range m.Users {
		want["user"][u] = true
	}
	for _, x := range m.Devices {
		want["device"][x] = true
	}
	for _, x := range m.ServicePrincipals {
		want["sp"][x] = true
	}
	for _, x := range m.Groups {
		if strings.HasPrefix(x, "id:") {
			want["group"][x] = true
		}
	}
	for _, s := range m.From {
		if strings.HasPrefix(s.Group, "id:") {
			want["group"][s.Group] = true
		}
	}
}

// seesServicePrincipals reports whether a bound group's service principal
// members and owners must be read, which Graph v1.0 costs a request of
// their own (see [entra.RelationQuery]): a full sync removes what it does
// not see, and a declaration that can hold service principals, now or at
// the last applied commit (it names some, or mirrors a group, whose
// service principals the mirror copies), needs to know which are there.
// An incremental group that never could leaves them alone either way.
func seesServicePrincipals(g model.Group, marker *entra.Marker, last *model.Group, ownersRead, full bool) bool {
	members := g.Membership != nil && !g.IsDynamic()
	switch {
	case !members && !ownersRead:
		return false
	case full || marker == nil || (members && g.Membership.Mode == model.ModeFull):
		return true
	}
	return mayHoldServicePrincipals(&g) || mayHoldServicePrincipals(last)
}

// mayHoldServicePrincipals reports whether a declaration's members can
// include service principals: it names some, or it mirrors a group.
func mayHoldServicePrincipals(g *model.Group) bool {
	if g == nil || g.Membership == nil {
		return false
	}
	return len(g.Membership.ServicePrincipals) > 0 ||
		slices.ContainsFunc(g.Membership.From, func(s model.Source) bool { return s.Group != "" })
}

// together runs independent reads at once, under contexts that let a
// batching reader send their first requests in one round trip. The first
// failure cancels the others and is the one returned.
func together(ctx context.Context, reads []func(context.Context) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctxs := entra.Together(ctx, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer entra.Arrive(ctxs[i])
			if err := read(ctxs[i]); err != nil {
				cancel(err)
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

func mapKeys(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func short(commit string) string { return commit[:min(12, len(commit))] }

// bind pairs declared keys with live groups: by marker address, then by
// explicit adoption. An unmarked live group with a declared group's
// mailNickname is a conflict unless adopted: entrasync never takes over a
// group silently, and never creates a duplicate. Adopting a group whose
// marker names an address no longer declared is a key rename: the group is
// rebound, and is no longer a candidate for pruning.
func bind(d *model.Desired, keys []string, groups []entra.Group, locate diag.Locator) (map[string]*entra.Group, []entra.Group, map[string]entra.Group, diag.Diagnostics) {
	var ds diag.Diagnostics
	bindings := map[string]*entra.Group{}
	byAddress := map[string]*entra.Group{}
	var marked []entra.Group
	records := map[string]entra.Group{}
	// The uniqueNames this configuration gives the groups and records it
	// creates, by address: an unmarked group carrying one was created by
	// an apply interrupted before its marker was written.
	created, recorded := map[string]string{}, map[string]string{}
	for _, k := range keys {
		addr := groupAddress(k)
		created[strings.ToLower(UniqueName(d.Configuration, addr))] = addr
		recorded[strings.ToLower(RecordUniqueName(d.Configuration, addr))] = addr
	}
	interrupted := map[string]*entra.Group{}
	for i := range groups {
		g := &groups[i]
		if g.Marker == nil && g.UniqueName != "" {
			if addr, ok := recorded[strings.ToLower(g.UniqueName)]; ok {
				if _, seen := records[addr]; !seen {
					records[addr] = *g
				}
			}
			if addr, ok := created[strings.ToLower(g.UniqueName)]; ok {
				interrupted[addr] = g
			}
		}
		if g.Marker == nil || !g.Marker.Ours(d.Tenant.ID, d.Configuration) {
			continue // another configuration's: never bound, pruned or released
		}
		if g.Marker.Role == entra.RoleSources {
			// Two records for one address can only come from an interrupted
			// apply; the one with the lower id is kept, deterministically.
			if prev, ok := records[g.Marker.Address]; !ok || g.ID < prev.ID {
				records[g.Marker.Address] = *g
			}
			continue
		}
		if g.Marker.Role != "" {
			continue // a role this version does not know: never touched
		}
		key, isGroup := strings.CutPrefix(g.Marker.Address, "groups.")
		if _, declared := d.Groups[key]; isGroup && declared {
			if prev := byAddress[key]; prev != nil {
				ds.Errorf(locate(model.Path("groups", key)), model.Path("groups", key),
					"two live groups carry the marker for %s (%s and %s); remove the marker from the wrong one", g.Marker.Address, prev.ID, g.ID)
				continue
			}
			byAddress[key] = g
		} else {
			marked = append(marked, *g)
		}
	}
	for _, k := range keys {
		dg := d.Groups[k]
		path := model.Path("groups", k)
		if g := byAddress[k]; g != nil {
			bindings[k] = g
			continue
		}
		// A group this configuration created for this address, whose
		// marker an interrupted apply never wrote: it is ours.
		if g := interrupted[groupAddress(k)]; g != nil {
			bindings[k] = g
			continue
		}
		var candidates []*entra.Group
		for i := range groups {
			g := &groups[i]
			if g.Marker != nil && g.Marker.Role != "" {
				continue
			}
			switch {
			case strings.HasPrefix(dg.Adopt, "id:"):
				if strings.EqualFold(g.ID, strings.TrimPrefix(dg.Adopt, "id:")) {
					candidates = append(candidates, g)
				}
			case strings.EqualFold(g.MailNickname, dg.MailNickname):
				candidates = append(candidates, g)
			}
		}
		orphaned := func(g *entra.Group) bool {
			key, isGroup := strings.CutPrefix(g.Marker.Address, "groups.")
			_, declared := d.Groups[key]
			return !isGroup || !declared
		}
		foreign := func(g *entra.Group) bool { return g.Marker != nil && !g.Marker.Ours(d.Tenant.ID, d.Configuration) }
		switch {
		case len(candidates) == 0 && strings.HasPrefix(dg.Adopt, "id:"):
			ds.Errorf(locate(path+".adopt"), path+".adopt", "no group with id %s to adopt", strings.TrimPrefix(dg.Adopt, "id:"))
		case len(candidates) == 0 && dg.Adopt == "mailNickname":
			ds.Errorf(locate(path+".adopt"), path+".adopt", "adopt: \"mailNickname\", but no group has mailNickname %q; remove adopt to create the group, or fix the mailNickname", dg.MailNickname)
		case len(candidates) == 0:
			// Nothing to bind: the group will be created.
		case slices.ContainsFunc(candidates, foreign):
			g := candidates[slices.IndexFunc(candidates, foreign)]
			ds.Errorf(locate(path), path, "group %s (%q) is managed by %s as %s; a configuration never changes or takes over another configuration's group",
				g.ID, g.DisplayName, g.Marker.Owner(), g.Marker.Address)
		case dg.Adopt == "" && candidates[0].Marker != nil && orphaned(candidates[0]):
			ds.Errorf(locate(path+".mailNickname"), path+".mailNickname",
				"group %s (%q) with mailNickname %q is managed as %s, which is no longer declared; if you renamed that key to %s, add adopt: \"id:%s\" to move the group, otherwise choose another mailNickname",
				candidates[0].ID, candidates[0].DisplayName, dg.MailNickname, candidates[0].Marker.Address, groupAddress(k), candidates[0].ID)
		case dg.Adopt == "":
			ds.Errorf(locate(path+".mailNickname"), path+".mailNickname",
				"a group with mailNickname %q already exists (%s, %q) and entrasync does not manage it; set adopt: \"mailNickname\" or adopt: \"id:%s\" to take it over, or choose another mailNickname",
				dg.MailNickname, candidates[0].ID, candidates[0].DisplayName, candidates[0].ID)
		case len(candidates) > 1:
			ds.Errorf(locate(path+".adopt"), path+".adopt", "%d groups have mailNickname %q; adopt one by id:GUID", len(candidates), dg.MailNickname)
		case candidates[0].Marker != nil && !orphaned(candidates[0]):
			ds.Errorf(locate(path+".adopt"), path+".adopt", "group %s is already managed as %s", candidates[0].ID, candidates[0].Marker.Address)
		default:
			bindings[k] = candidates[0]
			if candidates[0].Marker != nil {
				// A rename: the group is no longer an orphan to prune.
				marked = slices.DeleteFunc(marked, func(g entra.Group) bool { return g.ID == candidates[0].ID })
			}
		}
	}
	return bindings, marked, records, ds
}

// unresolved reports references that resolve to nothing, each at its
// position, all at once.
func unresolved(d *model.Desired, keys []string, live *Live, bindings map[string]*entra.Group, locate diag.Locator) diag.Diagnostics {
	var ds diag.Diagnostics
	check := func(kind, what string, path string, ref string) {
		p, ok := live.Refs[kind+":"+strings.ToLower(ref)]
		switch {
		case !ok:
			ds.Errorf(locate(path), path, "%s %q does not exist in the tenant", what, ref)
		case len(p.Candidates) > 0:
			var ids []string
			for _, c := range p.Candidates {
				ids = append(ids, c.ID)
			}
			ds.Errorf(locate(path), path, "%s %q matches %d objects (%s); reference the one you mean by id:GUID",
				what, ref, len(p.Candidates), strings.Join(ids, ", "))
		}
	}
	for _, k := range keys {
		g := d.Groups[k]
		for i, o := range g.Owners {
			check("user", "owner", model.Path("groups", k, "owners", i), o)
		}
		m := g.Membership
		if m == nil {
			continue
		}
		for i, u := range m.Users {
			check("user", "user", model.Path("groups", k, "membership", "users", i), u)
		}
		for i, x := range m.Devices {
			check("device", "device", model.Path("groups", k, "membership", "devices", i), x)
		}
		for i, x := range m.ServicePrincipals {
			check("sp", "service principal", model.Path("groups", k, "membership", "servicePrincipals", i), x)
		}
		for i, x := range m.Groups {
			if strings.HasPrefix(x, "id:") {
				check("group", "group", model.Path("groups", k, "membership", "groups", i), x)
			}
		}
		for i, s := range m.From {
			if strings.HasPrefix(s.Group, "id:") {
				check("group", "group", model.Path("groups", k, "membership", "from", i, "group"), s.Group)
			}
		}
	}
	return ds
}

// maxPending bounds the commits a marker may owe removals for. Each
// add-only run adds one; a configuration that never plans from a clone
// with history would otherwise grow the marker past Graph's open
// extension size (2 KB of data per extension).
const maxPending = 20

// lastDeclaration finds a group's declaration at its marker's commit,
// joined with the declarations at its pending commits, each found under
// the marker's address or an address the group had before. It returns nil and
// the commit that is missing when any of them is not in the repository.
func lastDeclaration(m *entra.Marker, declared Declarations, haveHistory bool) (*model.Group, string) {
	var decls []*model.Group
	for _, commit := range markerCommits(m) {
		groups, known := declared[commit]
		if commit == "" || !haveHistory || !known {
			return nil, commit
		}
		g := model.Group{}
		for _, key := range markerKeys(m) {
			if found, ok := groups[key]; ok {
				g = found
				break
			}
		}
		decls = append(decls, &g)
	}
	return joinDeclarations(decls), ""
}

// markerCommits are the commits whose declarations a marker's group was
// applied from: the last one in full, and those applied add-only since.
func markerCommits(m *entra.Marker) []string {
	return append([]string{m.Commit}, m.Pending...)
}

// markerKeys are the group keys a marker answers to: its address and
// those it was renamed from.
func markerKeys(m *entra.Marker) []string {
	var keys []string
	for _, addr := range append([]string{m.Address}, m.Renamed...) {
		if key, ok := strings.CutPrefix(addr, "groups."); ok {
			keys = append(keys, key)
		}
	}
	return keys
}

// joinDeclarations is one declaration holding every member and owner any
// of decls declares. Only the explicit references matter to it: computed
// sources are followed through their record instead.
func joinDeclarations(decls []*model.Group) *model.Group {
	if len(decls) == 1 {
		return decls[0]
	}
	out := &model.Group{}
	for _, g := range decls {
		out.Owners = append(out.Owners, g.Owners...)
		if m := g.Membership; m != nil {
			if out.Membership == nil {
				out.Membership = &model.Membership{Mode: m.Mode}
			}
			o := out.Membership
			o.Users = append(o.Users, m.Users...)
			o.Groups = append(o.Groups, m.Groups...)
			o.Devices = append(o.Devices, m.Devices...)
			o.ServicePrincipals = append(o.ServicePrincipals, m.ServicePrincipals...)
			o.From = append(o.From, m.From...)
		}
	}
	return out
}

// RecordUniqueName is the uniqueName of the sources record of the group at
// address, so an interrupted creation of a record is recognised too.
func RecordUniqueName(configuration, address string) string {
	return UniqueName(configuration, "sources:"+address)
}

// UniqueName is the uniqueName (Graph's alternate key for groups) that
// entrasync gives a group it creates for an address: it survives an apply
// interrupted between creating the group and writing its marker, so the
// re-run recognises the group as its own instead of as someone else's.
func UniqueName(configuration, address string) string {
	sum := sha256.Sum256([]byte(configuration + "\n" + address))
	return "entrasync-" + hex.EncodeToString(sum[:16])
}

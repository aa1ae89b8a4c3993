package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	abstractions "github.com/microsoft/kiota-abstractions-go"
	"golang.org/x/time/rate"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// Backend is the Graph implementation of [entra.Backend].
//
// Cost model (requests per plan; every request travels in a $batch of up
// to 20, so round trips are about requests/20):
//   - references: ⌈refs/15⌉ per kind (an in (…) filter takes 15 values,
//     Graph's known issues: query parameter limits), plus the same again for UPNs that were mail
//     addresses;
//   - groups: ⌈groups in tenant/999⌉ sequential pages, markers included
//     ($expand=extensions);
//   - members and owners: one request per group per 999 members, next
//     pages of all groups sent together, and as many again through the
//     service principal cast for the groups whose service principals
//     are asked for (v1.0 lists none otherwise);
//   - computed sources: ⌈matches/999⌉ per filter.
//
// Writes: members@odata.bind adds 20 members per PATCH, 20 PATCHes per
// $batch (400 adds per round trip); removals are one DELETE $ref each, 20
// per round trip.
type Backend struct {
	c    *Client
	base string
	// writes keeps this process under Graph's write quota for an app and
	// tenant (3,000 per 150 s, Graph docs: Throttling limits, identity and access), with its burst less one $batch, so
	// a large apply slows down instead of collecting 429s.
	writes *rate.Limiter
	sched  *scheduler
}

// Traffic reports the round trips and requests sent so far.
func (b *Backend) Traffic() entra.Traffic { return b.c.Traffic() }

// WriteQuota is Graph's identity write quota per app and tenant (Graph docs: Throttling limits, identity and access).
const (
	writeQuota       = 3000
	writeQuotaWindow = 150 * time.Second
)

// writeBurst is the writes sent at once before pacing sets in: Graph's
// quota less one $batch. The limiter's bucket starts refilling when a
// write leaves, Graph's when it arrives, a few milliseconds later; with
// the whole quota as burst the limiter runs that far ahead of Graph, and
// a write is answered 429 where pacing turns steady
// (TestPacedWritesAreNotThrottled).
const writeBurst = writeQuota - batchSize

var _ entra.Backend = (*Backend)(nil)

// NewBackend wraps a client. Concurrency bounds the $batch requests in
// flight (each carries up to 20 writes; Graph allows 3,000 writes per
// 150 s per app and tenant, Graph docs: Throttling limits, identity and access).
func NewBackend(c *Client, concurrency int) *Backend {
	if concurrency < 1 {
		concurrency = 4
	}
	b := &Backend{c: c, base: c.Adapter.GetBaseUrl(),
		writes: rate.NewLimiter(rate.Limit(float64(writeQuota)/writeQuotaWindow.Seconds()), writeBurst)}
	b.sched = &scheduler{send: b.sendBatchRetrying, concurrency: concurrency}
	return b
}

// get builds a GET for a path under the base URL with query options.
func (b *Backend) get(path string, query map[string]string, advanced bool) *abstractions.RequestInformation {
	info := abstractions.NewRequestInformation()
	info.Method = abstractions.GET
	u := b.base + path
	var q []string
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range query {
			if !yield(k) {
				return
			}
		}
	}) {
		q = append(q, k+"="+escape(query[k]))
	}
	if advanced {
		q = append(q, "$count=true")
		info.Headers.Add("ConsistencyLevel", "eventual")
	}
	if len(q) > 0 {
		u += "?" + strings.Join(q, "&")
	}
	info.UrlTemplate = "{+baseurl}"
	info.PathParameters = map[string]string{"baseurl": u}
	return info
}

// escape percent-encodes what a query value cannot carry literally.
func escape(s string) string {
	return strings.NewReplacer("%", "%25", " ", "%20", "&", "%26", "#", "%23", "+", "%2B", "'", "%27", "\"", "%22").Replace(s)
}

// body builds a write request with a JSON body.
func (b *Backend) body(method abstractions.HttpMethod, path string, v any) *abstractions.RequestInformation {
	info := abstractions.NewRequestInformation()
	info.Method = method
	info.UrlTemplate = "{+baseurl}"
	info.PathParameters = map[string]string{"baseurl": b.base + path}
	if v != nil {
		data, _ := json.Marshal(v)
		info.SetStreamContentAndContentType(data, "application/json")
	}
	return info
}

// object is a directory object as entrasync reads it.
type object struct {
	ID                            string           `json:"id"`
	Type                          string           `json:"@odata.type"`
	UserPrincipalName             string           `json:"userPrincipalName"`
	Mail                          string           `json:"mail"`
	DisplayName                   string           `json:"displayName"`
	AppID                         string           `json:"appId"`
	Description                   string           `json:"description"`
	MailNickname                  string           `json:"mailNickname"`
	UniqueName                    string           `json:"uniqueName"`
	GroupTypes                    []string         `json:"groupTypes"`
	Visibility                    string           `json:"visibility"`
	IsAssignableToRole            *bool            `json:"isAssignableToRole"`
	MembershipRule                string           `json:"membershipRule"`
	MembershipRuleProcessingState string           `json:"membershipRuleProcessingState"`
	MailEnabled                   bool             `json:"mailEnabled"`
	SecurityEnabled               bool             `json:"securityEnabled"`
	OnPremisesSyncEnabled         *bool            `json:"onPremisesSyncEnabled"`
	Extensions                    []map[string]any `json:"extensions"`
}

// relationItem is a member or owner as listed: what a principal needs.
type relationItem struct {
	ID                string `json:"id"`
	Type              string `json:"@odata.type"`
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
}

func (o object) principal(fallback entra.ObjectType) entra.Principal {
	t := fallback
	switch o.Type {
	case "#microsoft.graph.user":
		t = entra.TypeUser
	case "#microsoft.graph.group":
		t = entra.TypeGroup
	case "#microsoft.graph.device":
		t = entra.TypeDevice
	case "#microsoft.graph.servicePrincipal":
		t = entra.TypeServicePrincipal
	case "":
	default:
		// An organizational contact or another type a group can hold:
		// kept as Graph names it, so nothing mistakes it for a user.
		t = entra.ObjectType(strings.TrimPrefix(o.Type, "#microsoft.graph."))
	}
	name := o.DisplayName
	if t == entra.TypeUser && o.UserPrincipalName != "" {
		name = o.UserPrincipalName
	}
	return entra.Principal{ID: o.ID, Type: t, Name: name}
}

// listObjects lists collections (following every nextLink) and decodes
// their items.
func (b *Backend) listObjects(ctx context.Context, infos []*abstractions.RequestInformation) ([][]object, error) {
	return listAll[object](ctx, b, infos)
}

// inFilters builds the requests that look values of prop up with in (…)
// filters, maxInValues per request.
func (b *Backend) inFilters(path, prop string, values []string, query map[string]string) []*abstractions.RequestInformation {
	var infos []*abstractions.RequestInformation
	for i := 0; i < len(values); i += maxInValues {
		chunk := values[i:min(i+maxInValues, len(values))]
		quoted := make([]string, len(chunk))
		for j, v := range chunk {
			quoted[j] = quote(v)
		}
		q := map[string]string{"$filter": prop + " in (" + strings.Join(quoted, ",") + ")", "$top": "999"}
		for k, v := range query {
			q[k] = v
		}
		infos = append(infos, b.get(path, q, false))
	}
	return infos
}

const (
	maxInValues   = 15 // Graph's known issues: query parameter limits
	principalCols = "id,displayName,userPrincipalName,mail,appId"
)

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// lookup resolves values of one property with in (…) filters, 15 values
// per request, all requests batched.
func (b *Backend) lookup(ctx context.Context, path, prop string, values []string) ([]object, error) {
	objs, err := b.listObjects(ctx, b.inFilters(path, prop, values, map[string]string{"$select": principalCols}))
	if err != nil {
		return nil, err
	}
	return slices.Concat(objs...), nil
}

// resolve maps references to principals: "id:GUID" by id, others by each
// property in turn (userPrincipalName, then mail) until all resolve.
func (b *Backend) resolve(ctx context.Context, path string, t entra.ObjectType, refs []string, props ...string) (map[string]entra.Principal, error) {
	out := map[string]entra.Principal{}
	var ids, names []string
	for _, r := range refs {
		if id, ok := strings.CutPrefix(r, "id:"); ok {
			ids = append(ids, id)
		} else if id, ok := strings.CutPrefix(r, "appId:"); ok && t == entra.TypeServicePrincipal {
			found, err := b.lookup(ctx, path, "appId", []string{id})
			if err != nil {
				return nil, err
			}
			for _, o := range found {
				out[r] = o.principal(t)
			}
		} else {
			names = append(names, r)
		}
	}
	if len(ids) > 0 {
		found, err := b.lookup(ctx, path, "id", ids)
		if err != nil {
			return nil, err
		}
		for _, o := range found {
			out["id:"+o.ID] = o.principal(t)
			for _, r := range refs {
				if strings.EqualFold(r, "id:"+o.ID) {
					out[r] = o.principal(t)
				}
			}
		}
	}
	for _, prop := range props {
		if len(names) == 0 {
			break
		}
		found, err := b.lookup(ctx, path, prop, names)
		if err != nil {
			return nil, err
		}
		var rest []string
		for _, n := range names {
			var hits []entra.Principal
			for _, o := range found {
				v := map[string]string{"userPrincipalName": o.UserPrincipalName, "mail": o.Mail, "displayName": o.DisplayName}[prop]
				if strings.EqualFold(v, n) && !slices.ContainsFunc(hits, func(p entra.Principal) bool { return p.ID == o.ID }) {
					hits = append(hits, o.principal(t))
				}
			}
			switch len(hits) {
			case 0:
				rest = append(rest, n)
			case 1:
				out[n] = hits[0]
			default:
				out[n] = entra.Ambiguous(hits)
			}
		}
		names = rest
	}
	return out, nil
}

// listUsersAbove is the number of references above which ResolveUsers
// asks how big the tenant is, to choose between in (…) lookups and a
// listing of every user.
const listUsersAbove = 600

// ResolveUsers implements [entra.Reader]: by userPrincipalName, then mail.
// In (…) lookups cost ⌈refs/15⌉ requests, ⌈refs/300⌉ round trips in
// $batches; listing every user costs ⌈users/999⌉ round trips. For many
// references it counts the tenant (one round trip) and takes the cheaper
// way (Graph's known issues: query parameter limits).
func (b *Backend) ResolveUsers(ctx context.Context, refs []string) (map[string]entra.Principal, error) {
	if len(refs) > listUsersAbove {
		// A listing is a chain of pages: other reads wait to ride with
		// them rather than take round trips of their own beside it.
		listing, ch := b.sched.startChain(ctx)
		if n, err := b.countUsers(listing); err == nil && ceilDiv(n, 999)+1 < ceilDiv(len(refs), maxInValues*batchSize) {
			defer b.sched.endChain(ch)
			b.sched.setChain(ch, ceilDiv(n, 999))
			return b.resolveByListing(listing, refs)
		}
		// Lookups instead: they must not wait for a listing that will
		// not come.
		b.sched.endChain(ch)
	}
	return b.resolve(ctx, "/users", entra.TypeUser, refs, "userPrincipalName", "mail")
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func (b *Backend) countUsers(ctx context.Context) (int, error) {
	c := &call{info: b.get("/users", map[string]string{"$select": "id", "$top": "1"}, true)}
	if err := b.runBatches(ctx, []*call{c}); err != nil {
		return 0, err
	}
	if e := c.failed(); e != nil {
		return 0, e
	}
	var body struct {
		Count int `json:"@odata.count"`
	}
	if err := json.Unmarshal(c.body, &body); err != nil {
		return 0, err
	}
	return body.Count, nil
}

func (b *Backend) resolveByListing(ctx context.Context, refs []string) (map[string]entra.Principal, error) {
	objs, err := b.listObjects(ctx, []*abstractions.RequestInformation{
		b.get("/users", map[string]string{"$select": "id,userPrincipalName,mail,displayName", "$top": "999"}, false)})
	if err != nil {
		return nil, err
	}
	byKey := map[string]entra.Principal{}
	for _, o := range objs[0] {
		p := o.principal(entra.TypeUser)
		byKey["id:"+strings.ToLower(o.ID)] = p
		if o.Mail != "" {
			byKey[strings.ToLower(o.Mail)] = p
		}
		byKey[strings.ToLower(o.UserPrincipalName)] = p // a UPN wins over another user's mail
	}
	out := map[string]entra.Principal{}
	for _, r := range refs {
		if p, ok := byKey[strings.ToLower(r)]; ok {
			out[r] = p
		}
	}
	return out, nil
}

// ResolveDevices implements [entra.Reader]: by displayName.
func (b *Backend) ResolveDevices(ctx context.Context, refs []string) (map[string]entra.Principal, error) {
	return b.resolve(ctx, "/devices", entra.TypeDevice, refs, "displayName")
}

// ResolveServicePrincipals implements [entra.Reader]: by displayName or appId.
func (b *Backend) ResolveServicePrincipals(ctx context.Context, refs []string) (map[string]entra.Principal, error) {
	return b.resolve(ctx, "/servicePrincipals", entra.TypeServicePrincipal, refs, "displayName")
}

// ResolveGroups implements [entra.Reader]: "id:GUID" references.
func (b *Backend) ResolveGroups(ctx context.Context, refs []string) (map[string]entra.Principal, error) {
	return b.resolve(ctx, "/groups", entra.TypeGroup, refs)
}

// UsersMatching implements [entra.Reader]. It always asks an advanced
// query, so filters with ne, not or endsWith work (Graph docs: Advanced query capabilities).
func (b *Backend) UsersMatching(ctx context.Context, filter string) ([]entra.Principal, error) {
	objs, err := b.listObjects(ctx, []*abstractions.RequestInformation{
		b.get("/users", map[string]string{"$filter": filter, "$select": "id,userPrincipalName,displayName", "$top": "999"}, true)})
	if err != nil {
		return nil, err
	}
	out := make([]entra.Principal, len(objs[0]))
	for i, o := range objs[0] {
		out[i] = o.principal(entra.TypeUser)
	}
	return out, nil
}

// Unreadable implements [entra.Reader] with GET /groups/{id}, the lookup
// that lags while a new group replicates, 20 to a $batch.
func (b *Backend) Unreadable(ctx context.Context, ids []string) ([]string, error) {
	calls := make([]*call, len(ids))
	for i, id := range ids {
		calls[i] = &call{info: b.get("/groups/"+id, map[string]string{"$select": "id"}, false)}
	}
	if err := b.runBatches(ctx, calls); err != nil {
		return nil, err
	}
	var out []string
	for i, c := range calls {
		switch e := c.failed(); {
		case c.err != nil:
			return nil, c.err
		case e != nil && e.Status == 404:
			out = append(out, ids[i])
		case e != nil:
			return nil, e
		}
	}
	return out, nil
}

// TenantID implements [entra.Reader]: GET /organization lists the one
// tenant the token is for.
func (b *Backend) TenantID(ctx context.Context) (string, error) {
	objs, err := b.listObjects(ctx, []*abstractions.RequestInformation{b.get("/organization", map[string]string{"$select": "id"}, false)})
	if err != nil {
		return "", err
	}
	if len(objs) != 1 || len(objs[0]) != 1 {
		return "", fmt.Errorf("GET /organization answered %d organizations, want 1", len(slices.Concat(objs...)))
	}
	return objs[0][0].ID, nil
}

const groupCols = "id,displayName,description,mailNickname,uniqueName,groupTypes,visibility,isAssignableToRole,membershipRule,membershipRuleProcessingState,mailEnabled,securityEnabled,onPremisesSyncEnabled"

// Groups implements [entra.Reader]. With Marked or All, every group is
// listed (open extensions cannot be filtered on, so the marker comes with
// the listing through $expand=extensions), All's filter applied by Graph;
// otherwise ids and mailNicknames are looked up with in (…) filters.
func (b *Backend) Groups(ctx context.Context, q entra.GroupQuery) ([]entra.Group, error) {
	var infos []*abstractions.RequestInformation
	if q.Marked || q.All {
		query := map[string]string{"$select": groupCols, "$expand": "extensions", "$top": "999"}
		if q.All && q.Filter != "" {
			query["$filter"] = q.Filter
		}
		infos = append(infos, b.get("/groups", query, false))
	} else {
		cols := map[string]string{"$select": groupCols, "$expand": "extensions"}
		infos = append(b.inFilters("/groups", "id", q.IDs, cols), b.inFilters("/groups", "mailNickname", q.MailNicknames, cols)...)
	}
	objs, err := b.listObjects(ctx, infos)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []entra.Group
	for _, o := range slices.Concat(objs...) {
		if seen[o.ID] {
			continue
		}
		seen[o.ID] = true
		g := toGroup(o)
		if !q.All && q.Marked && g.Marker == nil && !slices.Contains(q.IDs, o.ID) &&
			!slices.ContainsFunc(q.MailNicknames, func(n string) bool { return strings.EqualFold(n, o.MailNickname) }) &&
			!slices.ContainsFunc(q.UniqueNames, func(n string) bool { return strings.EqualFold(n, o.UniqueName) }) {
			continue
		}
		out = append(out, g)
	}
	return out, nil
}

func toGroup(o object) entra.Group {
	g := entra.Group{ID: o.ID, DisplayName: o.DisplayName, Description: o.Description, MailNickname: o.MailNickname, UniqueName: o.UniqueName,
		Kind: model.GroupSecurity, Visibility: o.Visibility, IsAssignableToRole: o.IsAssignableToRole != nil && *o.IsAssignableToRole,
		MailEnabled: o.MailEnabled, SecurityEnabled: o.SecurityEnabled, OnPremisesSynced: o.OnPremisesSyncEnabled != nil && *o.OnPremisesSyncEnabled}
	if slices.Contains(o.GroupTypes, "Unified") {
		g.Kind = model.GroupMicrosoft365
	}
	if slices.Contains(o.GroupTypes, "DynamicMembership") {
		g.DynamicRule = o.MembershipRule
		g.DynamicRulePaused = o.MembershipRuleProcessingState == "Paused"
	}
	for _, ext := range o.Extensions {
		if name, _ := ext["extensionName"].(string); name == entra.MarkerExtension {
			m := entra.ParseMarker(ext)
			g.Marker = m
		}
	}
	return g
}

// Relations implements [entra.Reader]: one request per group and
// relation, and one more through the service principal cast where the
// query asks for them, all in the same $batches.
func (b *Backend) Relations(ctx context.Context, q entra.RelationQuery) (members, owners map[string][]entra.Principal, err error) {
	type read struct {
		group string
		out   map[string][]entra.Principal
		// counted reads report progress; the casts ride along unseen.
		counted bool
	}
	members, owners = map[string][]entra.Principal{}, map[string][]entra.Principal{}
	withSPs := map[string]bool{}
	for _, id := range q.ServicePrincipals {
		withSPs[id] = true
	}
	var infos []*abstractions.RequestInformation
	var reads []read
	for _, rel := range []struct {
		name string
		ids  []string
		out  map[string][]entra.Principal
	}{{"members", q.Members, members}, {"owners", q.Owners, owners}} {
		for _, id := range rel.ids {
			infos = append(infos, b.get("/groups/"+id+"/"+rel.name, map[string]string{"$select": principalCols, "$top": "999"}, false))
			reads = append(reads, read{group: id, out: rel.out, counted: true})
			if withSPs[id] {
				// v1.0 lists no service principal among a group's members
				// or owners (Graph docs: List group members, List group
				// owners, known issue); its type cast does. A cast is an
				// advanced query (same pages: request headers).
				infos = append(infos, b.get("/groups/"+id+"/"+rel.name+"/microsoft.graph.servicePrincipal", map[string]string{"$select": "id,displayName,appId", "$top": "999"}, true))
				reads = append(reads, read{group: id, out: rel.out})
			}
		}
	}
	progressed := entra.Progressed(ctx)
	seen := make([]bool, len(reads))
	// Converted page by page: an L tenant's million members are held once,
	// as principals, never also as decoded listings.
	err = eachPage(entra.WithProgress(ctx, nil), b, infos, func(i int, items []relationItem) {
		rd := reads[i]
		if rd.counted && !seen[i] && progressed != nil {
			progressed(1)
		}
		seen[i] = true
		fallback := entra.TypeUser
		if !rd.counted {
			// A cast's items may come without @odata.type.
			fallback = entra.TypeServicePrincipal
		}
		for _, it := range items {
			rd.out[rd.group] = append(rd.out[rd.group], object{ID: it.ID, Type: it.Type, UserPrincipalName: it.UserPrincipalName, DisplayName: it.DisplayName}.principal(fallback))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	// Should v1.0 list a service principal after all (the known issue
	// fixed), the cast must not make it a member twice.
	for id := range withSPs {
		for _, out := range []map[string][]entra.Principal{members, owners} {
			if ps, ok := out[id]; ok {
				out[id] = uniquePrincipals(ps)
			}
		}
	}
	return members, owners, nil
}

// uniquePrincipals drops repeated ids, keeping the first.
func uniquePrincipals(ps []entra.Principal) []entra.Principal {
	seen := map[string]bool{}
	return slices.DeleteFunc(ps, func(p entra.Principal) bool {
		id := strings.ToLower(p.ID)
		if seen[id] {
			return true
		}
		seen[id] = true
		return false
	})
}

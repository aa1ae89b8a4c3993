package crosstenant

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// Graph paths of the cross-tenant access policy.
const (
	PartnersPath = "policies/crossTenantAccessPolicy/partners"
	DefaultPath  = "policies/crossTenantAccessPolicy/default"
)

func partnerPath(tid string) string { return PartnersPath + "/" + tid }

// IdentitySyncPath is the path of a partner's identity-sync policy.
func IdentitySyncPath(tid string) string { return partnerPath(tid) + "/identitySynchronization" }

// The ownership record's lists for this package's objects.
const (
	// ClaimPartner is the record's list of partners.
	ClaimPartner      = "partners"
	claimIdentitySync = "identitySynchronization"
)

// partnerOrder is the order settings are shown in.
var partnerOrder = append(slices.Clone(model.PolicySettingNames), "isServiceProvider")

// Partners is the kind of crossTenant.partners.
type Partners struct{}

// Default is the kind of crossTenant.default.
type Default struct{}

// clone deep-copies a JSON document, so resolving targets never changes
// the configuration's own.
func clone(doc map[string]any) map[string]any {
	data, _ := json.Marshal(doc)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

// partners is one plan's view of the partners.
type partners struct {
	env  *plan.Env
	live map[string]entra.Document // by lower-case tenant id
	sync map[string]entra.Document // identity-sync policies by lower-case tenant id
	out  plan.KindPlan
	ds   diag.Diagnostics
}

// Plan implements [plan.Kind].
func (Partners) Plan(ctx context.Context, env *plan.Env) (plan.KindPlan, diag.Diagnostics, error) {
	declared := env.Desired.CrossTenant.Partners
	claimed := env.Ownership.Ours(ClaimPartner)
	if len(declared) == 0 && len(claimed) == 0 {
		return plan.KindPlan{}, nil, nil
	}
	k := &partners{env: env, live: map[string]entra.Document{}, sync: map[string]entra.Document{}}
	// Every partner declared or claimed, with its identity-sync policy, in
	// one $batch round trip per ten partners; a partner that does not
	// exist reads as absent.
	tids := map[string]bool{}
	for _, p := range declared {
		tids[strings.ToLower(p.TenantID)] = true
	}
	for _, c := range claimed {
		tids[strings.ToLower(c.ID)] = true
	}
	var paths []string
	for _, tid := range slices.Sorted(maps.Keys(tids)) {
		paths = append(paths, partnerPath(tid), IdentitySyncPath(tid))
	}
	docs, err := env.Reader.Documents(ctx, paths)
	if err != nil {
		return plan.KindPlan{}, nil, fmt.Errorf("reading cross-tenant partners: %w", err)
	}
	for tid := range tids {
		if d, ok := docs[partnerPath(tid)]; ok {
			k.live[tid] = d
		}
		if d, ok := docs[IdentitySyncPath(tid)]; ok {
			k.sync[tid] = d
		}
	}

	resolved := map[string]map[string]any{}
	var refs []targetRef
	for key, p := range declared {
		if env.Targeted(address(key)) {
			resolved[key] = clone(p.Declared)
			refs = append(refs, targetsOf([]any{"crossTenant", "partners", key}, resolved[key])...)
		}
	}
	rds, err := resolveTargets(ctx, env, refs)
	if err != nil {
		return plan.KindPlan{}, nil, err
	}
	k.ds = append(k.ds, rds...)
	for _, key := range model.SortedKeys(declared) {
		k.declared(key, declared[key], resolved[key])
	}
	k.orphans()
	for key := range declared {
		k.out.Addresses = append(k.out.Addresses, address(key))
	}
	for _, c := range claimed {
		k.out.Addresses = append(k.out.Addresses, address(c.Key))
	}
	return k.out, k.ds, nil
}

func address(key string) string {
	return model.Address{Kind: model.KindPartner, Key: key}.String()
}

// keep carries a claim over unchanged (an object this plan does not
// target).
func (k *partners) keep(kind, tid string) {
	if c, ok := k.env.Ownership.Claimed(kind, tid); ok {
		k.out.Claims = append(k.out.Claims, c)
	}
}

func (k *partners) declared(key string, p model.Partner, settings map[string]any) {
	addr := address(key)
	tid := strings.ToLower(p.TenantID)
	if !k.env.Targeted(addr) {
		k.keep(ClaimPartner, tid)
		k.keep(claimIdentitySync, tid)
		return
	}
	at := func(elems ...any) string {
		return model.Path(append([]any{"crossTenant", "partners", key}, elems...)...)
	}
	live := k.live[tid]
	c := plan.ObjectChange{Address: addr, Name: "tenant " + tid,
		Reads: []plan.DocumentRead{plan.Read(partnerPath(tid), live)}}
	origin := plan.Claim{Kind: ClaimPartner, Key: key, ID: tid, Origin: entra.OriginCreated}
	if owner := k.env.Ownership.ForeignOwner(ClaimPartner, tid); owner != "" {
		k.ds.Errorf(k.env.Locate(at("tenantId")), at("tenantId"),
			"the partner configuration for tenant %s is managed by configuration %q; a configuration never changes or takes over another's", tid, owner)
		return
	}
	switch claim, ours := k.env.Ownership.Claimed(ClaimPartner, tid); {
	case live == nil:
		c.Action = plan.Create
		body := withoutNulls(settings)
		body["tenantId"] = tid
		c.Fields, _ = diff(settings, nil, "", partnerOrder)
		c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseWrite, What: "create the partner configuration",
			Request: entra.Request{Method: "POST", Path: PartnersPath, Body: body}})
	case !ours && !p.Adopt:
		k.ds.Errorf(k.env.Locate(at("tenantId")), at("tenantId"),
			"a partner configuration for tenant %s already exists and no configuration manages it; add adopt: true to take it over (the settings declared here will then be applied to it)", tid)
		return
	default:
		c.Action = plan.NoOp
		if !ours {
			c.Action = plan.Adopt
			origin.Origin = entra.OriginAdopted
			c.Notes = append(c.Notes, "adopted: prune will stop managing it, never delete it")
		} else {
			origin.Origin = claim.Origin
		}
		fields, patch := diff(settings, live, "", partnerOrder)
		if len(fields) > 0 {
			c.Fields = fields
			if c.Action == plan.NoOp {
				c.Action = plan.Update
			}
			c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseWrite, What: "update " + strings.Join(orderedKeys(patch, partnerOrder), ", "),
				Request: entra.Request{Method: "PATCH", Path: partnerPath(tid), Body: patch}})
		}
	}
	k.out.Claims = append(k.out.Claims, origin)
	k.identitySync(&c, key, p, live != nil)
	if c.Action == plan.NoOp && len(c.Steps) > 0 {
		c.Action = plan.Update
	}
	k.out.Changes = append(k.out.Changes, c)
}

// identitySync plans the partner's identity-sync policy: PUT to create,
// PATCH to update, DELETE when the configuration dropped one it created.
func (k *partners) identitySync(c *plan.ObjectChange, key string, p model.Partner, partnerLive bool) {
	tid := strings.ToLower(p.TenantID)
	path := IdentitySyncPath(tid)
	var live entra.Document
	if partnerLive {
		live = k.sync[tid]
		c.Reads = append(c.Reads, plan.Read(path, live))
	}
	claim, ours := k.env.Ownership.Claimed(claimIdentitySync, tid)
	if p.IdentitySynchronization == nil {
		switch {
		case live == nil || !ours:
		case claim.Origin == entra.OriginCreated:
			c.Fields = append(c.Fields, plan.FieldChange{Path: "identitySynchronization", Before: live["displayName"], After: nil})
			c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseWrite, What: "delete the identity-sync policy",
				Request: entra.Request{Method: "DELETE", Path: path}, Deletes: &claim})
		default:
			c.Notes = append(c.Notes, "identitySynchronization is no longer declared; it was adopted, so it stays and is no longer managed")
		}
		return
	}
	want := clone(map[string]any{"displayName": p.IdentitySynchronization.DisplayName,
		"userSyncInbound": map[string]any{"isSyncAllowed": p.IdentitySynchronization.UserSyncInbound.IsSyncAllowed}})
	next := plan.Claim{Kind: claimIdentitySync, Key: key, ID: tid, Origin: entra.OriginCreated}
	if live == nil {
		fields, _ := diff(want, nil, "identitySynchronization.", nil)
		c.Fields = append(c.Fields, fields...)
		c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseWrite, What: "create the identity-sync policy",
			Request: entra.Request{Method: "PUT", Path: path, Body: want}})
	} else {
		next.Origin = entra.OriginAdopted
		if ours {
			next.Origin = claim.Origin
		}
		fields, patch := diff(want, live, "identitySynchronization.", nil)
		if len(fields) > 0 {
			c.Fields = append(c.Fields, fields...)
			c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseWrite, What: "update the identity-sync policy",
				Request: entra.Request{Method: "PATCH", Path: path, Body: patch}})
		}
	}
	k.out.Claims = append(k.out.Claims, next)
}

// orphans plans the claimed partners no configuration key declares any
// more: deleted with --prune when this configuration created them
// (identity-sync policy first), released when it adopted them, noted
// otherwise.
func (k *partners) orphans() {
	declared := map[string]bool{}
	for _, p := range k.env.Desired.CrossTenant.Partners {
		declared[strings.ToLower(p.TenantID)] = true
	}
	for _, claim := range k.env.Ownership.Ours(ClaimPartner) {
		tid := strings.ToLower(claim.ID)
		addr := address(claim.Key)
		if declared[tid] {
			continue
		}
		if !k.env.Targeted(addr) {
			k.keep(ClaimPartner, tid)
			k.keep(claimIdentitySync, tid)
			continue
		}
		live := k.live[tid]
		switch {
		case live == nil:
			k.out.Notes = append(k.out.Notes, fmt.Sprintf("%s (tenant %s) was deleted outside entrasync; the ownership record forgets it", addr, tid))
		case !k.env.Options.Prune:
			k.keep(ClaimPartner, tid)
			k.keep(claimIdentitySync, tid)
			k.out.Notes = append(k.out.Notes, fmt.Sprintf("%s (tenant %s) is no longer declared; plan with --prune to %s it", addr, tid, pruneVerb(claim.Origin)))
		case claim.Origin != entra.OriginCreated:
			k.out.Changes = append(k.out.Changes, plan.ObjectChange{Address: addr, Action: plan.Release, Name: "tenant " + tid,
				Reads: []plan.DocumentRead{plan.Read(partnerPath(tid), live)},
				Notes: []string{"adopted, not created, by this configuration: it stays, and is no longer managed"}})
		default:
			c := plan.ObjectChange{Address: addr, Action: plan.Delete, Name: "tenant " + tid,
				Fields: []plan.FieldChange{{Path: "tenantId", Before: tid}},
				Reads:  []plan.DocumentRead{plan.Read(partnerPath(tid), live), plan.Read(IdentitySyncPath(tid), k.sync[tid])}}
			if sync := k.sync[tid]; sync != nil {
				// Graph refuses to delete a partner that still has one.
				c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseRemove, What: "delete the identity-sync policy (Graph requires it first)",
					Request: entra.Request{Method: "DELETE", Path: IdentitySyncPath(tid)}, Deletes: &claim})
			}
			c.Steps = append(c.Steps, plan.Step{Phase: plan.PhaseRemove, What: "delete the partner configuration",
				Request: entra.Request{Method: "DELETE", Path: partnerPath(tid)}, Deletes: &claim})
			k.out.Changes = append(k.out.Changes, c)
		}
	}
}

func pruneVerb(origin string) string {
	if origin == entra.OriginCreated {
		return "delete"
	}
	return "release"
}

package export

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

const (
	partnersPath = crosstenant.PartnersPath
	defaultPath  = crosstenant.DefaultPath
)

// Policies is the cross-tenant access policy an export read.
type Policies struct {
	// Default is the tenant default; nil when it was not asked for.
	Default entra.Document
	// Partners are the partner configurations to export, each with its
	// identity-sync policy (nil when it has none).
	Partners []Partner
	// Skipped are partners another configuration manages.
	Skipped []string

	partnersRead int
}

// Partner is one partner configuration.
type Partner struct {
	Doc, Sync entra.Document
	// Key is the key this configuration's record gives it, or "".
	Key string
}

// ReadPolicies reads the default policy and every partner with its
// identity-sync policy: two round trips, plus one per ten partners.
// declared says whether the existing configuration declares a partner
// tenant already (nil when there is none); such partners are skipped.
func ReadPolicies(ctx context.Context, r entra.Reader, tenant, configuration string, withDefault, withPartners bool, declared func(tid string) bool) (*Policies, error) {
	p := &Policies{}
	if withDefault {
		docs, err := r.Documents(ctx, []string{defaultPath})
		if err != nil {
			return nil, fmt.Errorf("reading the default cross-tenant policy: %w", err)
		}
		p.Default = docs[defaultPath]
	}
	if !withPartners {
		return p, nil
	}
	own, err := plan.ReadOwnership(ctx, r, tenant, configuration)
	if err != nil {
		return nil, fmt.Errorf("reading ownership records: %w", err)
	}
	docs, err := r.Collection(ctx, partnersPath)
	if err != nil {
		return nil, fmt.Errorf("listing cross-tenant partners: %w", err)
	}
	var paths []string
	for _, d := range docs {
		tid, _ := d["tenantId"].(string)
		if owner := own.ForeignOwner(crosstenant.ClaimPartner, tid); owner != "" {
			p.Skipped = append(p.Skipped, fmt.Sprintf("skipped partner %s: managed by configuration %q", tid, owner))
			continue
		}
		if declared != nil && declared(tid) {
			p.Skipped = append(p.Skipped, fmt.Sprintf("skipped partner %s: the configuration already declares it", tid))
			continue
		}
		claim, _ := own.Claimed(crosstenant.ClaimPartner, tid)
		p.Partners = append(p.Partners, Partner{Doc: d, Key: claim.Key})
		paths = append(paths, crosstenant.IdentitySyncPath(tid))
	}
	p.partnersRead = len(paths)
	syncs, err := r.Documents(ctx, paths)
	if err != nil {
		return nil, fmt.Errorf("reading identity-sync policies: %w", err)
	}
	for i := range p.Partners {
		p.Partners[i].Sync = syncs[paths[i]]
	}
	return p, nil
}

// schemaFields are the fields of each policy setting the schema declares,
// in Graph's order: a live document's other fields are not exported.
var schemaFields = map[string][]string{
	"inboundTrust":                 {"isMfaAccepted", "isCompliantDeviceAccepted", "isHybridAzureADJoinedDeviceAccepted"},
	"automaticUserConsentSettings": {"inboundAllowed", "outboundAllowed"},
	"b2b":                          {"usersAndGroups", "applications"},
	"tenantRestrictions":           {"usersAndGroups", "applications", "devices"},
	"target":                       {"accessType", "targets"},
	"devices":                      {"mode", "rule"},
}

// renderPolicies writes crossTenant: the default policy and partners.
func renderPolicies(b *bytes.Buffer, p *Policies, groupKey func(string) (string, bool)) {
	b.WriteString("crossTenant: {\n")
	if p.Default != nil {
		b.WriteString("// The tenant-wide default: every setting as it is now.\ndefault: {\n")
		settings(b, p.Default, false, groupKey)
		b.WriteString("}\n")
	}
	if len(p.Partners) > 0 {
		b.WriteString("partners: {\n")
		keys := partnerKeys(p.Partners)
		order := slices.Clone(p.Partners)
		slices.SortFunc(order, func(a, c Partner) int { return strings.Compare(keys[tenantOf(a)], keys[tenantOf(c)]) })
		for _, pt := range order {
			fmt.Fprintf(b, "%s: {\ntenantId: %s\n", label(keys[tenantOf(pt)]), quote(tenantOf(pt)))
			// As groups carry adopt: "id:…": harmless once the record
			// claims the partner, and a re-export stays the same.
			b.WriteString("adopt: true\n")
			if v, ok := pt.Doc["isServiceProvider"].(bool); ok {
				fmt.Fprintf(b, "isServiceProvider: %t\n", v)
			}
			// A partner's null setting inherits the default; declaring
			// it null keeps it so.
			settings(b, pt.Doc, true, groupKey)
			if s := pt.Sync; s != nil {
				name, _ := s["displayName"].(string)
				inbound, _ := s["userSyncInbound"].(map[string]any)
				allowed, _ := inbound["isSyncAllowed"].(bool)
				if name != "" {
					fmt.Fprintf(b, "identitySynchronization: {\ndisplayName: %s\nuserSyncInbound: isSyncAllowed: %t\n}\n", quote(name), allowed)
				}
			}
			b.WriteString("}\n")
		}
		b.WriteString("}\n")
	}
	b.WriteString("}\n")
}

func tenantOf(p Partner) string { s, _ := p.Doc["tenantId"].(string); return strings.ToLower(s) }

// partnerKeys keys partners by their record's key, else their
// identity-sync policy's name, else their tenant id's first characters.
func partnerKeys(ps []Partner) map[string]string {
	keys, used := map[string]string{}, map[string]bool{}
	for _, p := range ps {
		if p.Key != "" && !used[p.Key] {
			keys[tenantOf(p)], used[p.Key] = p.Key, true
		}
	}
	rest := slices.Clone(ps)
	slices.SortFunc(rest, func(a, c Partner) int { return strings.Compare(tenantOf(a), tenantOf(c)) })
	for _, p := range rest {
		tid := tenantOf(p)
		if _, done := keys[tid]; done {
			continue
		}
		base := "tenant-" + tid[:min(8, len(tid))]
		if name, _ := p.Sync["displayName"].(string); baseKey(name) != "group" {
			base = baseKey(name)
		}
		key := base
		if used[key] {
			key = suffixed(base, tid, used)
		}
		keys[tid], used[key] = key, true
	}
	return keys
}

// settings writes the policy settings of a document.
func settings(b *bytes.Buffer, doc entra.Document, nulls bool, groupKey func(string) (string, bool)) {
	for _, name := range model.PolicySettingNames {
		v, present := doc[name]
		m, isMap := v.(map[string]any)
		switch {
		case !present:
		case v == nil && nulls:
			fmt.Fprintf(b, "%s: null\n", name)
		case isMap:
			kind := name
			if strings.HasPrefix(name, "b2b") {
				kind = "b2b"
			}
			var inner bytes.Buffer
			object(&inner, m, kind, groupKey)
			if inner.Len() > 0 {
				fmt.Fprintf(b, "%s: {\n%s}\n", name, inner.String())
			}
		}
	}
}

// object writes the schema's fields of a setting, recursively.
func object(b *bytes.Buffer, m map[string]any, kind string, groupKey func(string) (string, bool)) {
	for _, f := range schemaFields[kind] {
		v, ok := m[f]
		if !ok || v == nil {
			continue
		}
		switch x := v.(type) {
		case bool:
			fmt.Fprintf(b, "%s: %t\n", f, x)
		case string:
			fmt.Fprintf(b, "%s: %s\n", f, quote(x))
		case map[string]any:
			sub := map[string]string{"usersAndGroups": "target", "applications": "target", "devices": "devices"}[f]
			var inner bytes.Buffer
			object(&inner, x, sub, groupKey)
			if inner.Len() > 0 && (sub != "target" || strings.Contains(inner.String(), "targets:")) {
				fmt.Fprintf(b, "%s: {\n%s}\n", f, inner.String())
			}
		case []any:
			if f != "targets" || len(x) == 0 {
				continue
			}
			b.WriteString("targets: [\n")
			for _, t := range x {
				item, _ := t.(map[string]any)
				target, _ := item["target"].(string)
				typ, _ := item["targetType"].(string)
				fmt.Fprintf(b, "{target: %s, targetType: %s},\n", quote(targetRef(target, typ, groupKey)), quote(typ))
			}
			b.WriteString("]\n")
		}
	}
}

// targetRef is a live target as a configuration declares it: object ids
// of users as id:GUID, of groups as their key when exported, keywords and
// applications as they are.
func targetRef(target, typ string, groupKey func(string) (string, bool)) string {
	if !model.IsGUID(target) {
		return target
	}
	switch typ {
	case "user":
		return "id:" + target
	case "group":
		if k, ok := groupKey(target); ok {
			return k
		}
		return "id:" + target
	}
	return target
}

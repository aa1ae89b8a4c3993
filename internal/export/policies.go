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

// Policies is the cross-tenant configuration an export read.
type Policies struct {
	// Default is the tenant default; nil when it was not asked for.
	Default entra.Document
	// Partners are the partner configurations to export, each with its
	// identity-sync policy (nil when it has none).
	Partners []Partner
	// Jobs are the cross-tenant synchronization jobs to export.
	Jobs []SyncJob
	// Skipped say which partners and jobs were left out, and why.
	Skipped []string

	rounds int // the round trips the read needs at least
}

// Partner is one partner configuration.
type Partner struct {
	Doc, Sync entra.Document
	// Key is the key this configuration's record gives it, or "".
	Key string
}

// CrossTenantOptions say what of the cross-tenant configuration to read.
type CrossTenantOptions struct {
	TenantID, Configuration string
	Default, Partners, Jobs bool
	// Existing is the configuration export writes into (nil when none):
	// what it declares already is skipped.
	Existing *model.Desired
	// Targets are the target tenants of configuration apps that carry no
	// record of theirs, by service principal id (lower case).
	Targets map[string]string
}

// ReadCrossTenant reads the default policy, the partners with their
// identity-sync policies and the synchronization jobs with everything
// their declaration needs. Reads that do not depend on each other share
// round trips: three in all (lists; identity sync, jobs and
// assignments; schemas), each of them $batches of 20.
func ReadCrossTenant(ctx context.Context, r entra.Reader, o CrossTenantOptions) (*Policies, error) {
	p := &Policies{}
	ownershipPath := plan.OwnershipRecords(o.TenantID)
	var first []string
	if o.Default {
		first = append(first, defaultPath)
	}
	if o.Partners || o.Jobs {
		first = append(first, ownershipPath)
	}
	if o.Partners {
		first = append(first, partnersPath)
	}
	if o.Jobs {
		first = append(first, crosstenant.ConfigurationAppsPath())
	}
	if len(first) == 0 {
		return p, nil
	}
	p.rounds = rounds(len(first))
	docs, err := r.Documents(ctx, first)
	if err != nil {
		return nil, fmt.Errorf("reading the cross-tenant configuration: %w", err)
	}
	p.Default = docs[defaultPath]
	own := plan.ParseOwnership(items(docs[ownershipPath]), o.TenantID, o.Configuration)
	var next []string
	if o.Partners {
		next = p.keepPartners(items(docs[partnersPath]), own, o.Existing)
	}
	var jobs *jobReader
	if o.Jobs {
		jobs = &jobReader{own: own, existing: o.Existing, targets: o.Targets, p: p}
		next = append(next, jobs.keepApps(items(docs[crosstenant.ConfigurationAppsPath()]))...)
	}
	if len(next) == 0 {
		return p, nil
	}
	p.rounds += rounds(len(next))
	second, err := r.Documents(ctx, next)
	if err != nil {
		return nil, fmt.Errorf("reading identity-sync policies and synchronization jobs: %w", err)
	}
	for i := range p.Partners {
		p.Partners[i].Sync = second[crosstenant.IdentitySyncPath(tenantOf(p.Partners[i]))]
	}
	if jobs == nil {
		return p, nil
	}
	third := jobs.keepJobs(second)
	if len(third) == 0 {
		return p, nil
	}
	p.rounds += rounds(len(third))
	schemas, err := r.Documents(ctx, third)
	if err != nil {
		return nil, fmt.Errorf("reading synchronization schemas: %w", err)
	}
	jobs.declare(schemas)
	return p, nil
}

// rounds is the round trips n reads take at least: $batches of 20.
func rounds(n int) int { return ceilDiv(n, batchSize) }

// items are a collection's documents.
func items(doc entra.Document) []entra.Document {
	list, _ := doc["value"].([]any)
	var out []entra.Document
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// keepPartners keeps the partners to export and returns the paths of
// their identity-sync policies.
func (p *Policies) keepPartners(docs []entra.Document, own *plan.Ownership, existing *model.Desired) []string {
	declared := map[string]bool{}
	if existing != nil {
		for _, pt := range existing.CrossTenant.Partners {
			declared[strings.ToLower(pt.TenantID)] = true
		}
	}
	var paths []string
	for _, d := range docs {
		tid, _ := d["tenantId"].(string)
		if owner := own.ForeignOwner(crosstenant.ClaimPartner, tid); owner != "" {
			p.Skipped = append(p.Skipped, fmt.Sprintf("skipped partner %s: managed by configuration %q", tid, owner))
			continue
		}
		if declared[strings.ToLower(tid)] {
			p.Skipped = append(p.Skipped, fmt.Sprintf("skipped partner %s: the configuration already declares it", tid))
			continue
		}
		claim, _ := own.Claimed(crosstenant.ClaimPartner, tid)
		p.Partners = append(p.Partners, Partner{Doc: d, Key: claim.Key})
		paths = append(paths, crosstenant.IdentitySyncPath(tid))
	}
	return paths
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

// renderPolicies writes crossTenant: the default policy, partners and
// synchronization jobs, with keys not in taken.
func renderPolicies(b *bytes.Buffer, p *Policies, taken map[model.Kind]map[string]bool, groupKey func(string) (string, bool)) {
	b.WriteString("crossTenant: {\n")
	if p.Default != nil {
		b.WriteString("// The tenant-wide default: every setting as it is now.\ndefault: {\n")
		settings(b, p.Default, false, groupKey)
		b.WriteString("}\n")
	}
	if len(p.Partners) > 0 {
		b.WriteString("partners: {\n")
		keys := partnerKeys(p.Partners, taken[model.KindPartner])
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
	if len(p.Jobs) > 0 {
		renderJobs(b, p.Jobs, taken[model.KindSyncJob], groupKey)
	}
	b.WriteString("}\n")
}

func tenantOf(p Partner) string { s, _ := p.Doc["tenantId"].(string); return strings.ToLower(s) }

// partnerKeys keys partners by their record's key, else their
// identity-sync policy's name, else their tenant id's first characters.
func partnerKeys(ps []Partner, taken map[string]bool) map[string]string {
	return uniqueKeys(ps, tenantOf, func(p Partner) string { return p.Key },
		func(p Partner) string { s, _ := p.Sync["displayName"].(string); return s }, "tenant", taken)
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

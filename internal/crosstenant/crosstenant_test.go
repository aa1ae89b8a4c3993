package crosstenant

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/diag"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

func doc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDiff(t *testing.T) {
	for _, tc := range []struct {
		name, declared, live string
		fields               []string // "path: before → after"
		patch                string
	}{
		{name: "equal", declared: `{"inboundTrust":{"isMfaAccepted":true}}`, live: `{"inboundTrust":{"isMfaAccepted":true,"isCompliantDeviceAccepted":false}}`, patch: `{}`},
		{name: "one nested leaf: the whole setting, live laid under",
			declared: `{"inboundTrust":{"isMfaAccepted":false}}`, live: `{"inboundTrust":{"isMfaAccepted":true,"isCompliantDeviceAccepted":true},"isServiceProvider":true}`,
			fields: []string{"inboundTrust.isMfaAccepted: true → false"}, patch: `{"inboundTrust":{"isCompliantDeviceAccepted":true,"isMfaAccepted":false}}`},
		{name: "null inherits", declared: `{"b2bDirectConnectOutbound":null}`, live: `{"b2bDirectConnectOutbound":{"usersAndGroups":{"accessType":"allowed"}}}`,
			fields: []string{`b2bDirectConnectOutbound: map[usersAndGroups:map[accessType:allowed]] → <nil>`}, patch: `{"b2bDirectConnectOutbound":null}`},
		{name: "null equals an object of nulls", declared: `{"automaticUserConsentSettings":null}`,
			live: `{"automaticUserConsentSettings":{"inboundAllowed":null,"outboundAllowed":null}}`, patch: `{}`},
		{name: "from inherited", declared: `{"automaticUserConsentSettings":{"outboundAllowed":true}}`,
			live:   `{"automaticUserConsentSettings":{"inboundAllowed":null,"outboundAllowed":null}}`,
			fields: []string{"automaticUserConsentSettings.outboundAllowed: <nil> → true"}, patch: `{"automaticUserConsentSettings":{"inboundAllowed":null,"outboundAllowed":true}}`},
		{name: "target order does not matter",
			declared: `{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":"allowed","targets":[{"target":"a","targetType":"user"},{"target":"b","targetType":"group"}]}}}`,
			live:     `{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":"allowed","targets":[{"target":"b","targetType":"group"},{"target":"a","targetType":"user"}]}}}`, patch: `{}`},
		{name: "a target list changes whole",
			declared: `{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":"allowed","targets":[{"target":"a","targetType":"user"}]}}}`,
			live:     `{"b2bCollaborationInbound":{"usersAndGroups":{"accessType":"allowed","targets":[{"target":"b","targetType":"user"}]},"applications":{"accessType":"blocked"}}}`,
			fields:   []string{"b2bCollaborationInbound.usersAndGroups.targets: [map[target:b targetType:user]] → [map[target:a targetType:user]]"},
			patch:    `{"b2bCollaborationInbound":{"applications":{"accessType":"blocked"},"usersAndGroups":{"accessType":"allowed","targets":[{"target":"a","targetType":"user"}]}}}`},
		{name: "absent from live", declared: `{"isServiceProvider":true}`, live: `{}`, fields: []string{"isServiceProvider: <nil> → true"}, patch: `{"isServiceProvider":true}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields, patch := diff(doc(t, tc.declared), doc(t, tc.live), "", partnerOrder)
			var got []string
			for _, f := range fields {
				got = append(got, f.Path+": "+fmtValue(f.Before)+" → "+fmtValue(f.After))
			}
			if diff := cmp.Diff(tc.fields, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
			data, _ := json.Marshal(patch)
			if string(data) != tc.patch {
				t.Errorf("patch = %s, want %s", data, tc.patch)
			}
		})
	}
}

func fmtValue(v any) string { return fmt.Sprint(v) }

const (
	tenant   = entratest.FakeTenant
	fabrikam = "3d0f5dec-5d3d-455c-8016-e2af1ae4d31a"
)

type fixture struct {
	fake     *entratest.Fake
	partners map[string]model.Partner
	prune    bool
	targets  []string
}

func (f *fixture) plan(t *testing.T) plan.KindPlan {
	t.Helper()
	d := &model.Desired{Tenant: model.Tenant{ID: tenant}, Configuration: "it"}
	d.CrossTenant.Partners = f.partners
	own, err := plan.ReadOwnership(context.Background(), f.fake, tenant, "it")
	if err != nil {
		t.Fatal(err)
	}
	env := &plan.Env{Reader: f.fake, Desired: d, Locate: func(string) *diag.Range { return nil }, Options: plan.Options{Prune: f.prune, Targets: f.targets},
		Configuration: "it", Tenant: tenant, Ownership: own, GroupRef: func(string) (string, bool) { return "", false }}
	kp, ds, err := Partners{}.Plan(context.Background(), env)
	if err != nil || ds.HasErrors() {
		t.Fatalf("plan: %v %v", err, ds)
	}
	return kp
}

func partner(settings string, sync bool) model.Partner {
	p := model.Partner{TenantID: fabrikam}
	_ = json.Unmarshal([]byte(settings), &p.Declared)
	if sync {
		p.IdentitySynchronization = &model.IdentitySynchronization{DisplayName: "Fabrikam", UserSyncInbound: model.UserSyncInbound{IsSyncAllowed: true}}
	}
	return p
}

func record(fake *entratest.Fake, entries ...string) {
	body := map[string]any{"extensionName": plan.OwnershipExtension + "it", "tenant": tenant, "configuration": "it"}
	for _, e := range entries {
		kind, entry, _ := strings.Cut(e, " ")
		list, _ := body[kind].([]any)
		body[kind] = append(list, entry)
	}
	fake.PutDocument("organization/"+tenant+"/extensions/"+plan.OwnershipExtension+"it", body)
}

func steps(c plan.ObjectChange) []string {
	var out []string
	for _, s := range c.Steps {
		out = append(out, string(s.Phase)+" "+s.Request.Method+" "+strings.TrimPrefix(s.Request.Path, "policies/crossTenantAccessPolicy/"))
	}
	return out
}

func claims(kp plan.KindPlan) []string {
	var out []string
	for _, c := range kp.Claims {
		out = append(out, c.Kind+" "+c.Key+" "+c.Origin)
	}
	return out
}

func TestPartners(t *testing.T) {
	livePartner := map[string]any{"tenantId": fabrikam, "inboundTrust": map[string]any{"isMfaAccepted": true}}
	liveSync := map[string]any{"tenantId": fabrikam, "displayName": "Fabrikam", "userSyncInbound": map[string]any{"isSyncAllowed": true}}
	for _, tc := range []struct {
		name     string
		setup    func(f *entratest.Fake)
		partners map[string]model.Partner
		prune    bool
		targets  []string
		action   plan.Action
		steps    []string
		claims   []string
		notes    int
	}{
		{name: "create with identity sync: POST, then PUT",
			partners: map[string]model.Partner{"fabrikam": partner(`{"inboundTrust":{"isMfaAccepted":true}}`, true)},
			action:   plan.Create, steps: []string{"write POST partners", "write PUT partners/" + fabrikam + "/identitySynchronization"},
			claims: []string{"partners fabrikam created", "identitySynchronization fabrikam created"}},
		{name: "matches: nothing to do",
			setup:    func(f *entratest.Fake) { record(f, "partners fabrikam="+fabrikam+":created") },
			partners: map[string]model.Partner{"fabrikam": partner(`{"inboundTrust":{"isMfaAccepted":true}}`, false)},
			action:   plan.NoOp, claims: []string{"partners fabrikam created"}},
		{name: "identity sync dropped after creating it: deleted, partner kept",
			setup: func(f *entratest.Fake) {
				record(f, "partners fabrikam="+fabrikam+":created", "identitySynchronization fabrikam="+fabrikam+":created")
				f.PutDocument(IdentitySyncPath(fabrikam), liveSync)
			},
			partners: map[string]model.Partner{"fabrikam": partner(`{}`, false)},
			action:   plan.Update, steps: []string{"write DELETE partners/" + fabrikam + "/identitySynchronization"},
			claims: []string{"partners fabrikam created"}},
		{name: "identity sync dropped after adopting it: stays",
			setup: func(f *entratest.Fake) {
				record(f, "partners fabrikam="+fabrikam+":created", "identitySynchronization fabrikam="+fabrikam+":adopted")
				f.PutDocument(IdentitySyncPath(fabrikam), liveSync)
			},
			partners: map[string]model.Partner{"fabrikam": partner(`{}`, false)},
			action:   plan.NoOp, claims: []string{"partners fabrikam created"}, notes: 1},
		{name: "existing identity sync is patched, not put",
			setup: func(f *entratest.Fake) {
				record(f, "partners fabrikam="+fabrikam+":created")
				f.PutDocument(IdentitySyncPath(fabrikam), map[string]any{"tenantId": fabrikam, "displayName": "Old", "userSyncInbound": map[string]any{"isSyncAllowed": true}})
			},
			partners: map[string]model.Partner{"fabrikam": partner(`{}`, true)},
			action:   plan.Update, steps: []string{"write PATCH partners/" + fabrikam + "/identitySynchronization"},
			claims: []string{"partners fabrikam created", "identitySynchronization fabrikam adopted"}},
		{name: "adopt",
			partners: map[string]model.Partner{"fabrikam": func() model.Partner {
				p := partner(`{"inboundTrust":{"isMfaAccepted":true}}`, false)
				p.Adopt = true
				return p
			}()},
			action: plan.Adopt, claims: []string{"partners fabrikam adopted"}, notes: 1},
		{name: "dropped, prune off: kept and noted",
			setup:  func(f *entratest.Fake) { record(f, "partners fabrikam="+fabrikam+":created") },
			claims: []string{"partners fabrikam created"}, notes: 1},
		{name: "dropped, prune: identity sync first, then the partner",
			setup: func(f *entratest.Fake) {
				record(f, "partners fabrikam="+fabrikam+":created", "identitySynchronization fabrikam="+fabrikam+":created")
				f.PutDocument(IdentitySyncPath(fabrikam), liveSync)
			},
			prune: true, action: plan.Delete,
			steps: []string{"remove DELETE partners/" + fabrikam + "/identitySynchronization", "remove DELETE partners/" + fabrikam}},
		{name: "dropped, prune, adopted: released",
			setup: func(f *entratest.Fake) { record(f, "partners fabrikam="+fabrikam+":adopted") },
			prune: true, action: plan.Release, notes: 1},
		{name: "dropped, prune, but not targeted: kept",
			setup: func(f *entratest.Fake) { record(f, "partners fabrikam="+fabrikam+":created") },
			prune: true, targets: []string{"groups.x"},
			claims: []string{"partners fabrikam created"}},
		{name: "dropped and gone already: forgotten",
			setup: func(f *entratest.Fake) {
				record(f, "partners fabrikam="+fabrikam+":created")
				f.Remove(partnerPath(fabrikam))
			},
			prune: true, notes: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := entratest.New()
			fake.PutDocument(partnerPath(fabrikam), livePartner)
			if tc.action == plan.Create {
				fake.Remove(partnerPath(fabrikam))
			}
			if tc.setup != nil {
				tc.setup(fake)
			}
			f := &fixture{fake: fake, partners: tc.partners, prune: tc.prune, targets: tc.targets}
			kp := f.plan(t)
			var action plan.Action
			var gotSteps []string
			for _, c := range kp.Changes {
				action = c.Action
				gotSteps = append(gotSteps, steps(c)...)
			}
			if action != tc.action {
				t.Errorf("action = %q, want %q", action, tc.action)
			}
			if d := cmp.Diff(tc.steps, gotSteps); d != "" {
				t.Errorf("steps (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.claims, claims(kp)); d != "" {
				t.Errorf("claims (-want +got):\n%s", d)
			}
			notes := len(kp.Notes)
			for _, c := range kp.Changes {
				notes += len(c.Notes)
			}
			if notes != tc.notes {
				t.Errorf("notes = %d, want %d: %v %v", notes, tc.notes, kp.Notes, kp.Changes)
			}
		})
	}
}

package export

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/crosstenant"
	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/syncschema"
	"github.com/entrasync/entrasync/internal/validate"
)

const tenant = "11111111-2222-4333-8444-555555555555"

// awkward is a small tenant whose names try everything a name can do to a
// generated file: spaces, unicode, quotes, CUE interpolation, newlines,
// Markdown, keywords, and mailNicknames that collide once normalised.
func awkward() *entratest.Fake {
	f := entratest.New()
	f.Tenant = tenant
	alice := f.AddUser("alice@contoso.com")
	bob := f.AddUser("Bob.O'Brien@contoso.com")
	zoe := f.AddUser("zoë@contoso.com")
	kiosk1, kiosk2 := f.AddDevice("Kiosk"), f.AddDevice("Kiosk")
	laptop := f.AddDevice("Laptop-01")
	app := f.AddObject(entra.TypeServicePrincipal, "Payroll \"App\"")
	contact := f.AddObject("orgContact", "Partner Contact")

	leads := f.AddGroup(entra.Group{DisplayName: "Finance Leads", MailNickname: "finance-leads", SecurityEnabled: true}, alice)
	f.SetOwners(leads, alice)
	// Three mailNicknames that normalise to "sales-team"; the one that
	// already is the key keeps it.
	f.AddGroup(entra.Group{DisplayName: "Sales Team", MailNickname: "Sales_-Team", SecurityEnabled: true}, bob)
	f.AddGroup(entra.Group{DisplayName: "sales team (EU)", MailNickname: "sales-team", SecurityEnabled: true}, zoe)
	f.AddGroup(entra.Group{DisplayName: "SALES TEAM", MailNickname: "SALES+TEAM", SecurityEnabled: true})
	finance := f.AddGroup(entra.Group{DisplayName: "Équipe Zürich — Finance 💶", MailNickname: "equipe-zurich",
		Description: "Line one\nLine two with \"quotes\" and \\(interpolation)", SecurityEnabled: true},
		alice, bob, leads, kiosk1, kiosk2, laptop, app)
	f.SetOwners(finance, bob, zoe)
	f.AddGroup(entra.Group{DisplayName: "**Bold** @everyone <script>", MailNickname: "if", SecurityEnabled: true}, alice)
	f.AddGroup(entra.Group{DisplayName: "Numbers", MailNickname: "123", SecurityEnabled: true})
	f.AddGroup(entra.Group{DisplayName: "All Staff", MailNickname: "all-staff", SecurityEnabled: true,
		DynamicRule: `user.department -eq "Sales" -and user.displayName -contains "\(x)"`, DynamicRulePaused: true})
	f.AddGroup(entra.Group{DisplayName: "Leadership", MailNickname: "Leadership", Kind: model.GroupMicrosoft365,
		MailEnabled: true, SecurityEnabled: false, Visibility: "Private"}, alice)
	f.AddGroup(entra.Group{DisplayName: "Role admins", MailNickname: "role-admins", SecurityEnabled: true, IsAssignableToRole: true})
	withContact := f.AddGroup(entra.Group{DisplayName: "With a contact", MailNickname: "with-contact", SecurityEnabled: true}, alice, contact)
	f.SetOwners(withContact, app)
	f.AddGroup(entra.Group{DisplayName: "Renamed since", MailNickname: "new-nick", SecurityEnabled: true,
		Marker: &entra.Marker{Tenant: tenant, Configuration: "default", Address: "groups.kept-key", Commit: "abc"}}, alice)

	// Skipped, each for its own reason.
	f.AddGroup(entra.Group{DisplayName: "From AD", MailNickname: "from-ad", SecurityEnabled: true, OnPremisesSynced: true})
	f.AddGroup(entra.Group{DisplayName: "A distribution list", MailNickname: "dl", MailEnabled: true})
	f.AddGroup(entra.Group{DisplayName: "Theirs", MailNickname: "theirs", SecurityEnabled: true,
		Marker: &entra.Marker{Tenant: tenant, Configuration: "hr", Address: "groups.theirs"}})
	f.AddGroup(entra.Group{DisplayName: "Record", MailNickname: "record", SecurityEnabled: true,
		Marker: &entra.Marker{Tenant: tenant, Configuration: "default", Address: "groups.kept-key", Role: entra.RoleSources}})
	f.AddGroup(entra.Group{DisplayName: "Dotted", MailNickname: "dotted.nick", SecurityEnabled: true})

	// A partner whose identity-sync name tries to end its line, and the
	// default policy.
	const partner = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
	f.PutDocument(partnersPath+"/"+partner, entra.Document{"tenantId": partner, "isServiceProvider": nil,
		"inboundTrust":            map[string]any{"isMfaAccepted": true, "isCompliantDeviceAccepted": false, "isHybridAzureADJoinedDeviceAccepted": nil},
		"b2bCollaborationInbound": nil,
		"b2bDirectConnectOutbound": map[string]any{"usersAndGroups": map[string]any{"accessType": "allowed", "targets": []any{
			map[string]any{"target": leads, "targetType": "group"}, map[string]any{"target": alice, "targetType": "user"},
			map[string]any{"target": "AllUsers", "targetType": "user"}}},
			"applications": map[string]any{"accessType": "blocked", "targets": []any{}}}})
	f.PutDocument(partnersPath+"/"+partner+"/identitySynchronization", entra.Document{
		"displayName": "Fabrikam \"EU\"\n} groups: evil: {", "userSyncInbound": map[string]any{"isSyncAllowed": true}})
	f.PutDocument(defaultPath, entra.Document{"inboundTrust": map[string]any{"isMfaAccepted": false},
		"automaticUserConsentSettings": map[string]any{"inboundAllowed": false, "outboundAllowed": false}})

	// Synchronization jobs: one with overrides of its template, a scope
	// and a scoping filter; one whose target tenant is unknown; one an
	// application is assigned to.
	schema := syncTemplate()
	overridden, _, err := syncschema.Apply(schema, syncschema.Overrides{
		AttributeMappings: map[string]model.AttributeMapping{
			"companyName": {Source: "Contoso \"EU\"\n} evil: {", Type: "Constant", FlowType: "Always"},
			"mobilePhone": {Remove: true}},
		ScopeFilter: []model.FilterGroup{{Name: "Sales only", Clauses: []model.FilterClause{
			{SourceOperandName: "department", OperatorName: "EQUALS", Values: []string{"Sales"}}}}}})
	if err != nil {
		panic(err)
	}
	var apps []any
	for i, app := range []struct{ id, name, tag, assigned string }{
		{"5a000000-0000-4000-8000-000000000001", "To Fabrikam \"EU\"", crosstenant.TargetTag + partner, "User"},
		{"5a000000-0000-4000-8000-000000000002", "Made by hand", "", "User"},
		{"5a000000-0000-4000-8000-000000000003", "To Fabrikam \"EU\"", crosstenant.TargetTag + partner, "ServicePrincipal"},
	} {
		apps = append(apps, map[string]any{"id": app.id, "displayName": app.name, "applicationTemplateId": crosstenant.SyncTemplate,
			"tags": []any{"WindowsAzureActiveDirectoryIntegratedApp", app.tag}})
		job := fmt.Sprintf("Azure2Azure.%d", i)
		f.PutDocument(crosstenant.JobsPath(app.id), entra.Document{"value": []any{map[string]any{"id": job, "templateId": "Azure2Azure",
			"schedule": map[string]any{"interval": "PT40M", "state": "Active"}}}})
		f.PutDocument(crosstenant.AssignmentsPath(app.id), entra.Document{"value": []any{
			map[string]any{"id": "a1", "principalId": leads, "principalType": "Group", "principalDisplayName": "Finance Leads"},
			map[string]any{"id": "a2", "principalId": alice, "principalType": app.assigned, "principalDisplayName": "Alice\n// not a comment"}}})
		f.PutDocument(crosstenant.SchemaPath(app.id, job), roundTripped(overridden))
		f.PutDocument(crosstenant.TemplateSchemaPath(app.id, "Azure2Azure"), schema)
	}
	f.PutDocument(crosstenant.ConfigurationAppsPath(), entra.Document{"value": apps})
	return f
}

// syncTemplate is the emulator's Azure2Azure template schema.
func syncTemplate() map[string]any {
	data, err := os.ReadFile("../sim/azure2azure.json")
	if err != nil {
		panic(err)
	}
	var s map[string]any
	if err := json.Unmarshal(data, &s); err != nil {
		panic(err)
	}
	return s
}

// roundTripped is a document as Graph sends it back: through JSON.
func roundTripped(doc map[string]any) map[string]any {
	data, _ := json.Marshal(doc)
	var out map[string]any
	_ = json.Unmarshal(data, &out)
	return out
}

func export(t *testing.T, r entra.Reader, o RenderOptions) ([]File, []string) {
	t.Helper()
	s, err := Read(context.Background(), r, Options{Configuration: "default"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Policies, err = ReadCrossTenant(context.Background(), r, CrossTenantOptions{TenantID: tenant, Configuration: "default",
		Default: true, Partners: true, Jobs: true}); err != nil {
		t.Fatal(err)
	}
	files, notes, err := Render(s, o)
	if err != nil {
		t.Fatal(err)
	}
	return files, notes
}

var defaults = RenderOptions{Package: "contoso", Configuration: "default", Mode: model.ModeIncremental,
	GroupsFile: "groups.cue", TenantFile: "tenant.cue", CrossTenantFile: "crosstenant.cue"}

func TestAwkwardNamesGolden(t *testing.T) {
	files, notes := export(t, awkward(), defaults)
	got := &txtar.Archive{Comment: []byte("Golden output of export for a tenant with awkward names; regenerate with UPDATE_GOLDEN=1.\n")}
	for _, f := range files {
		got.Files = append(got.Files, txtar.File{Name: f.Name, Data: f.Data})
	}
	got.Files = append(got.Files, txtar.File{Name: "notes", Data: []byte(strings.Join(notes, "\n") + "\n")})
	path := filepath.Join("testdata", "awkward.txtar")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, txtar.Format(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(txtar.Format(got))); diff != "" {
		t.Errorf("export differs from %s (UPDATE_GOLDEN=1 to accept):\n%s", path, diff)
	}

	// What it wrote is a configuration: it loads, and validates.
	cfg := load(t, files)
	if n := len(cfg.Desired.Groups); n != 12 {
		t.Errorf("%d groups exported, want 12", n)
	}
	if n := len(cfg.Desired.CrossTenant.Partners); n != 1 || cfg.Desired.CrossTenant.Default == nil {
		t.Errorf("%d partners exported and default %v, want 1 and the default", n, cfg.Desired.CrossTenant.Default)
	}
	// The job declares what its schema holds: declared again, nothing
	// changes.
	if n := len(cfg.Desired.CrossTenant.SyncJobs); n != 1 {
		t.Fatalf("%d synchronization jobs exported, want 1", n)
	}
	for _, j := range cfg.Desired.CrossTenant.SyncJobs {
		live := awkward().Document(crosstenant.SchemaPath("5a000000-0000-4000-8000-000000000001", "Azure2Azure.0"))
		if _, changes, err := syncschema.Apply(live, syncschema.FromJob(j)); err != nil || len(changes) > 0 {
			t.Errorf("the exported job changes its schema: %v %v", changes, err)
		}
		if j.TargetTenantID != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee" || len(j.Scope.Groups) != 1 || len(j.Scope.Users) != 1 {
			t.Errorf("job = %+v", j)
		}
	}
}

func load(t *testing.T, files []File) *config.Config {
	t.Helper()
	fs := config.Files{Files: map[string][]byte{}, Dir: "."}
	for _, f := range files {
		fs.Files[f.Name] = f.Data
	}
	cfg, ds := config.Load(fs)
	if ds.HasErrors() {
		t.Fatalf("the export does not load: %v", ds.Err())
	}
	if ds := validate.Desired(cfg.Desired, cfg.Locate); ds.HasErrors() {
		t.Fatalf("the export does not validate: %v", ds.Err())
	}
	return cfg
}

// shuffled lists groups and members in another order each time, as a
// tenant under change may.
type shuffled struct {
	*entratest.Fake
	rng *rand.Rand
}

func (s shuffled) Groups(ctx context.Context, q entra.GroupQuery) ([]entra.Group, error) {
	gs, err := s.Fake.Groups(ctx, q)
	s.rng.Shuffle(len(gs), func(i, j int) { gs[i], gs[j] = gs[j], gs[i] })
	return gs, err
}

func (s shuffled) Relations(ctx context.Context, q entra.RelationQuery) (map[string][]entra.Principal, map[string][]entra.Principal, error) {
	m, o, err := s.Fake.Relations(ctx, q)
	for _, rel := range []map[string][]entra.Principal{m, o} {
		for _, ps := range rel {
			s.rng.Shuffle(len(ps), func(i, j int) { ps[i], ps[j] = ps[j], ps[i] })
		}
	}
	return m, o, err
}

func TestExportIsDeterministic(t *testing.T) {
	want, _ := export(t, awkward(), defaults)
	for seed := range uint64(20) {
		got, _ := export(t, shuffled{awkward(), rand.New(rand.NewPCG(seed, 1))}, defaults)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("seed %d: the order Graph lists things in changed the export:\n%s", seed, diff)
		}
	}
}

func TestKeys(t *testing.T) {
	g := func(id, nick string) entra.Group { return entra.Group{ID: id, MailNickname: nick} }
	ours := func(id, nick, addr string) entra.Group {
		x := g(id, nick)
		x.Marker = &entra.Marker{Tenant: tenant, Configuration: "default", Address: addr}
		return x
	}
	tests := []struct {
		name   string
		groups []entra.Group
		taken  []string
		want   map[string]string
	}{
		{"plain", []entra.Group{g("a1", "sg-finance")}, nil, map[string]string{"a1": "sg-finance"}},
		{"normalised", []entra.Group{g("a1", "SG_Finance+Ops")}, nil, map[string]string{"a1": "sg-finance-ops"}},
		{"exact one wins whatever the order", []entra.Group{g("a1", "Sales+Team"), g("b2", "sales-team")}, nil,
			map[string]string{"a1": "sales-team-a1", "b2": "sales-team"}},
		{"none exact: lowest id wins", []entra.Group{g("b2", "Sales+Team"), g("a1", "Sales Team")}, nil,
			map[string]string{"a1": "sales-team", "b2": "sales-team-b2"}},
		{"taken by the existing configuration", []entra.Group{g("a1", "hr")}, []string{"hr"},
			map[string]string{"a1": "hr-a1"}},
		{"marker keeps its key", []entra.Group{ours("a1", "renamed", "groups.old"), g("b2", "old")}, nil,
			map[string]string{"a1": "old", "b2": "old-b2"}},
		{"nothing usable", []entra.Group{g("a1", "+++")}, nil, map[string]string{"a1": "group"}},
		{"suffix taken too", []entra.Group{g("abcdefgh-1", "x"), g("abcdefgh-2", "X")}, []string{"x-abcdefgh"},
			map[string]string{"abcdefgh-1": "x", "abcdefgh-2": "x-abcdefgh-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			taken := map[string]bool{}
			for _, k := range tt.taken {
				taken[k] = true
			}
			if diff := cmp.Diff(tt.want, Keys(tt.groups, tenant, "default", taken)); diff != "" {
				t.Error(diff)
			}
		})
	}
}

// TestUniqueKeys: partners and jobs are keyed by their record's key, else
// their name, never by a key the existing configuration uses, and
// whatever order Graph lists them in.
func TestUniqueKeys(t *testing.T) {
	type obj struct{ id, recorded, name string }
	tests := []struct {
		name  string
		objs  []obj
		taken []string
		want  map[string]string
	}{
		{"by name", []obj{{"a1", "", "Fabrikam EU"}}, nil, map[string]string{"a1": "fabrikam-eu"}},
		{"record wins", []obj{{"a1", "old", "Fabrikam"}}, nil, map[string]string{"a1": "old"}},
		{"no usable name", []obj{{"A1B2C3D4E5", "", "+++"}}, nil, map[string]string{"A1B2C3D4E5": "job-a1b2c3d4"}},
		{"same name: lowest id keeps it", []obj{{"b2", "", "Fabrikam"}, {"a1", "", "fabrikam"}}, nil,
			map[string]string{"a1": "fabrikam", "b2": "fabrikam-b2"}},
		{"taken by the existing configuration", []obj{{"a1", "", "Fabrikam"}}, []string{"fabrikam"},
			map[string]string{"a1": "fabrikam-a1"}},
		{"a record's key taken is not reused", []obj{{"a1", "fabrikam", "x"}}, []string{"fabrikam"},
			map[string]string{"a1": "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			taken := map[string]bool{}
			for _, k := range tt.taken {
				taken[k] = true
			}
			got := uniqueKeys(tt.objs, func(o obj) string { return o.id }, func(o obj) string { return o.recorded },
				func(o obj) string { return o.name }, "job", taken)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Error(diff)
			}
			if len(taken) != len(tt.taken) {
				t.Error("uniqueKeys changed the taken set")
			}
		})
	}
}

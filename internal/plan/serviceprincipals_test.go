package plan_test

import (
	"context"
	"slices"
	"testing"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// Graph v1.0 lists no service principal among a group's members or
// owners; the fake does the same unless a group is in the query's
// ServicePrincipals. The plan asks for them exactly where they change
// its answer, and the change records it for apply's fresh read.
func TestServicePrincipalReads(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode model.MembershipMode
		// now and last are the service principals declared now and at
		// the marker's commit; marked false is a first sync.
		now, last []string
		marked    bool
		full      bool
		liveSPs   []string
		wantRead  bool
		wantAdd   []string
		wantDrop  []string
	}{
		{name: "full mode sees a service principal added by hand and removes it", mode: model.ModeFull, marked: true,
			liveSPs: []string{"Stray"}, wantRead: true, wantDrop: []string{"Stray"}},
		{name: "a first sync is full", mode: model.ModeIncremental, liveSPs: []string{"Stray"}, wantRead: true, wantDrop: []string{"Stray"}},
		{name: "--full", mode: model.ModeIncremental, marked: true, full: true, liveSPs: []string{"Stray"}, wantRead: true, wantDrop: []string{"Stray"}},
		{name: "incremental, never named one: not read, left alone", mode: model.ModeIncremental, marked: true,
			liveSPs: []string{"Stray"}},
		{name: "incremental, declared and present: nothing to add", mode: model.ModeIncremental, marked: true,
			now: []string{"Robot"}, last: []string{"Robot"}, liveSPs: []string{"Robot"}, wantRead: true},
		{name: "incremental, declared and absent: added", mode: model.ModeIncremental, marked: true,
			now: []string{"Robot"}, wantRead: true, wantAdd: []string{"Robot"}},
		{name: "incremental, dropped since the last apply: removed", mode: model.ModeIncremental, marked: true,
			last: []string{"Robot"}, liveSPs: []string{"Robot", "Stray"}, wantRead: true, wantDrop: []string{"Robot"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := entratest.New()
			alice := fake.AddUser("alice@contoso.com")
			sps := map[string]string{"Robot": fake.AddObject(entra.TypeServicePrincipal, "Robot"),
				"Stray": fake.AddObject(entra.TypeServicePrincipal, "Stray")}
			members := []string{alice}
			for _, n := range tc.liveSPs {
				members = append(members, sps[n])
			}
			declared := func(spNames []string) model.Group {
				return model.Group{DisplayName: "Ops", MailNickname: "ops", Kind: model.GroupSecurity,
					Membership: &model.Membership{Mode: tc.mode, Users: []string{"alice@contoso.com"}, ServicePrincipals: spNames}}
			}
			g := entra.Group{DisplayName: "Ops", MailNickname: "ops"}
			if tc.marked {
				g.Marker = &entra.Marker{Address: "groups.ops", Commit: "c1", Mode: tc.mode, Sources: entra.SourcesNone,
					Owners: entra.OwnersNone, Tenant: tenantID, Origin: entra.OriginCreated}
			}
			id := fake.AddGroup(g, members...)
			now := declared(tc.now)
			if !tc.marked {
				now.Adopt = "id:" + id
			}
			d := &model.Desired{Tenant: model.Tenant{ID: tenantID}, Groups: map[string]model.Group{"ops": now}}
			history := plan.HistoryOf(func(string) (*model.Desired, bool, error) {
				return &model.Desired{Groups: map[string]model.Group{"ops": declared(tc.last)}}, true, nil
			})
			live, ds, err := plan.ReadLive(context.Background(), fake, d, plan.Inputs{LastDeclared: history, Full: tc.full})
			if err != nil || ds.HasErrors() {
				t.Fatalf("read: %v %v", err, ds.Err())
			}
			p, ds := plan.Compute(plan.Input{Desired: d, Live: live}, plan.Options{Full: tc.full})
			if ds.HasErrors() {
				t.Fatal(ds.Err())
			}
			c := p.Groups[0]
			if c.ServicePrincipals != tc.wantRead || live.ServicePrincipals[id] != tc.wantRead {
				t.Errorf("service principals read: change %t, live %t; want %t", c.ServicePrincipals, live.ServicePrincipals[id], tc.wantRead)
			}
			var add, drop []string
			if s := c.Members; s != nil {
				for _, m := range s.Add {
					add = append(add, m.Name)
				}
				for _, m := range s.Remove {
					drop = append(drop, m.Name)
				}
			}
			if !slices.Equal(add, tc.wantAdd) || !slices.Equal(drop, tc.wantDrop) {
				t.Errorf("members +%v -%v, want +%v -%v", add, drop, tc.wantAdd, tc.wantDrop)
			}
		})
	}
}

// A mirror copies every member of its source, service principals too,
// so a source is read with them, and its own change says so (apply's
// fresh read of it must fingerprint the same members); so is the copy,
// which can now hold service principals.
func TestMirrorCopiesServicePrincipals(t *testing.T) {
	fake := entratest.New()
	alice := fake.AddUser("alice@contoso.com")
	robot := fake.AddObject(entra.TypeServicePrincipal, "Robot")
	marker := func(key string) *entra.Marker {
		return &entra.Marker{Address: "groups." + key, Commit: "c1", Mode: model.ModeIncremental, Sources: entra.SourcesNone,
			Owners: entra.OwnersNone, Tenant: tenantID, Origin: entra.OriginCreated}
	}
	src := fake.AddGroup(entra.Group{DisplayName: "Source", MailNickname: "source", Marker: marker("source")}, alice, robot)
	fake.AddGroup(entra.Group{DisplayName: "Copy", MailNickname: "copy", Marker: marker("copy")})
	d := &model.Desired{Tenant: model.Tenant{ID: tenantID}, Groups: map[string]model.Group{
		"source": {DisplayName: "Source", MailNickname: "source", Kind: model.GroupSecurity,
			Membership: &model.Membership{Mode: model.ModeIncremental, Users: []string{"alice@contoso.com"}}},
		"copy": {DisplayName: "Copy", MailNickname: "copy", Kind: model.GroupSecurity,
			Membership: &model.Membership{Mode: model.ModeIncremental, From: []model.Source{{Group: "source"}}}},
	}}
	history := plan.HistoryOf(func(string) (*model.Desired, bool, error) { return d, true, nil })
	live, ds, err := plan.ReadLive(context.Background(), fake, d, plan.Inputs{LastDeclared: history})
	if err != nil || ds.HasErrors() {
		t.Fatalf("read: %v %v", err, ds.Err())
	}
	p, ds := plan.Compute(plan.Input{Desired: d, Live: live}, plan.Options{})
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	for _, c := range p.Groups {
		switch c.Address {
		case "groups.copy":
			if c.Members == nil || len(c.Members.Add) != 2 {
				t.Errorf("copy adds %+v, want alice and Robot", c.Members)
			}
			if len(c.Inputs) != 1 || c.Inputs[0].GroupID != src {
				t.Errorf("copy's inputs %+v, want the source", c.Inputs)
			}
			// Else the next plan, not seeing Robot in the copy, adds it again.
			if !c.ServicePrincipals {
				t.Error("the copy's change does not say its service principals were read")
			}
		case "groups.source":
			if !c.ServicePrincipals {
				t.Error("the source's change does not say its service principals were read")
			}
		}
	}
}

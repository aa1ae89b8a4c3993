package intent

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/model"
)

func desired(groups map[string]model.Group) *model.Desired {
	return &model.Desired{Groups: groups}
}

func TestCompute(t *testing.T) {
	base := model.Group{DisplayName: "Finance", Kind: "security", MailNickname: "fin",
		Owners:     []string{"alice@contoso.com"},
		Membership: &model.Membership{Mode: "full", Users: []string{"bob@contoso.com", "carol@contoso.com"}}}
	changed := base
	changed.DisplayName = "SG Finance"
	changed.Membership = &model.Membership{Mode: "incremental", Users: []string{"BOB@contoso.com", "dave@contoso.com"},
		From: []model.Source{{Users: "department eq 'Finance'"}}}

	tests := []struct {
		name     string
		from, to *model.Desired
		want     []Change
	}{
		{"no change", desired(map[string]model.Group{"fin": base}), desired(map[string]model.Group{"fin": base}), []Change{}},
		{"changed attributes and members",
			desired(map[string]model.Group{"fin": base}), desired(map[string]model.Group{"fin": changed}),
			[]Change{{
				Address: model.Address{Kind: model.KindGroup, Key: "fin"}, Action: Changed,
				Attributes: []AttrChange{
					{Path: "displayName", Before: "Finance", After: "SG Finance"},
					{Path: "membership.mode", Before: "full", After: "incremental"},
				},
				References: []RefChange{
					{List: "membership.from", Added: []string{"users: department eq 'Finance'"}},
					{List: "membership.users", Added: []string{"dave@contoso.com"}, Removed: []string{"carol@contoso.com"}},
				},
			}}},
		{"removed group", desired(map[string]model.Group{"fin": base}), desired(nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Compute(tt.from, tt.to, Revision{Rev: "a"}, Revision{Rev: "b"})
			if tt.want == nil {
				if len(got.Changes) != 1 || got.Changes[0].Action != Removed {
					t.Fatalf("got %+v, want one removal", got.Changes)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got.Changes); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestComputeAddedListsEveryField(t *testing.T) {
	to := desired(map[string]model.Group{"x": {DisplayName: "X", Kind: "security", MailNickname: "x", Owners: []string{"a@b.co"}}})
	d := Compute(nil, to, Revision{}, Revision{})
	if len(d.Changes) != 1 || d.Changes[0].Action != Added {
		t.Fatalf("got %+v", d.Changes)
	}
	c := d.Changes[0]
	if len(c.Attributes) == 0 || len(c.References) != 1 || c.References[0].List != "owners" {
		t.Errorf("added group: attributes %+v references %+v", c.Attributes, c.References)
	}
	if a, ch, r := d.Summary(); a != 1 || ch != 0 || r != 0 {
		t.Errorf("summary = %d %d %d", a, ch, r)
	}
}

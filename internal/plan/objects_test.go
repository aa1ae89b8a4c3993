package plan

import (
	"fmt"
	"testing"

	"github.com/entrasync/entrasync/internal/entra"
)

func TestOwnershipChange(t *testing.T) {
	const tid = "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"
	a := Claim{Kind: "partners", Key: "a", ID: "1", Origin: entra.OriginCreated}
	b := Claim{Kind: "partners", Key: "b", ID: "2", Origin: entra.OriginCreated}
	live := func(claims ...Claim) []entra.Document {
		if claims == nil {
			return nil
		}
		doc := entra.Document{"extensionName": OwnershipExtension + "it"}
		list := []any{}
		for _, c := range claims {
			list = append(list, c.entry())
		}
		doc["partners"] = list
		return []entra.Document{doc}
	}
	for _, tc := range []struct {
		name          string
		before, after []Claim
		want          []string // phase method
	}{
		{name: "unchanged", before: []Claim{a}, after: []Claim{a}},
		{name: "first claim creates the record", after: []Claim{a}, want: []string{"claim POST"}},
		{name: "growing claims before writes", before: []Claim{a}, after: []Claim{a, b}, want: []string{"claim PATCH"}},
		{name: "shrinking releases after deletes", before: []Claim{a, b}, after: []Claim{a}, want: []string{"release PATCH"}},
		{name: "both", before: []Claim{a}, after: []Claim{b}, want: []string{"claim PATCH", "release PATCH"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := ParseOwnership(live(tc.before...), tid, "it")
			c, err := o.change(tc.after)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			if c != nil {
				for _, s := range c.Steps {
					got = append(got, string(s.Phase)+" "+s.Request.Method)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("steps = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("steps = %v, want %v", got, tc.want)
				}
			}
		})
	}
	t.Run("over 2 KB", func(t *testing.T) {
		var many []Claim
		for i := range 60 {
			many = append(many, Claim{Kind: "partners", Key: "partner-key", ID: fmt.Sprintf("3d0f5dec-5d3d-455c-8016-%012d", i), Origin: entra.OriginCreated})
		}
		if _, err := ParseOwnership(nil, tid, "it").change(many); err == nil {
			t.Fatal("a record over 2 KB was planned")
		}
	})
	t.Run("another configuration's claims", func(t *testing.T) {
		docs := []entra.Document{{"extensionName": OwnershipExtension + "hr", "partners": []any{"x=ABC:created"}}}
		o := ParseOwnership(docs, tid, "it")
		if got := o.ForeignOwner("partners", "abc"); got != "hr" {
			t.Fatalf("ForeignOwner = %q", got)
		}
		if _, ok := o.Claimed("partners", "abc"); ok {
			t.Fatal("another configuration's claim read as ours")
		}
	})
}

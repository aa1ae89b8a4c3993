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
			c, err := o.change(tc.after, Stamp{})
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
	t.Run("applied stamps", func(t *testing.T) {
		docs := []entra.Document{{"extensionName": OwnershipExtension + "it", "partners": []any{a.entry(), b.entry()},
			"applied": []any{"crossTenant.partners.a=0123456789ab@2026-01-01T00:00:00Z", "crossTenant.partners.b=0123456789ab@2026-01-01T00:00:00Z"}}}
		o := ParseOwnership(docs, tid, "it")
		if commit, at, ok := o.Applied("crossTenant.partners.a"); !ok || commit != "0123456789ab" || at != "2026-01-01T00:00:00Z" {
			t.Fatalf("Applied = %q %q %v", commit, at, ok)
		}
		if c, err := o.change([]Claim{a, b}, Stamp{Commit: "fedcba9876543210"}); err != nil || c != nil {
			t.Fatalf("nothing changed, yet the record changes: %+v %v", c, err)
		}
		c, err := o.change([]Claim{a}, Stamp{Commit: "fedcba9876543210", Changed: []string{"crossTenant.default"}, Dropped: []string{"crossTenant.partners.b"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Steps) != 1 || c.Steps[0].Phase != PhaseRelease {
			t.Fatalf("steps = %+v, want one release", c.Steps)
		}
		got := c.Steps[0].Request.Body["applied"]
		want := []any{"crossTenant.default=fedcba987654@" + Ref(ApplyTime), "crossTenant.partners.a=0123456789ab@2026-01-01T00:00:00Z"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("applied = %v, want %v", got, want)
		}
		if len(c.Fields) != 1 || c.Fields[0].Path != "partners" {
			t.Fatalf("fields = %+v, want the partners claim only", c.Fields)
		}
		if _, ok := c.Steps[0].Request.Body["applied"].([]any); !ok {
			t.Fatal("applied is not a list")
		}
	})
	t.Run("a stamp alone creates the record", func(t *testing.T) {
		c, err := ParseOwnership(nil, tid, "it").change(nil, Stamp{Changed: []string{"crossTenant.default"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Steps) != 1 || c.Steps[0].Request.Method != "POST" || c.Steps[0].Phase != PhaseRelease {
			t.Fatalf("steps = %+v, want one release POST", c.Steps)
		}
		p := &Plan{Objects: []ObjectChange{*c}}
		if s := summarize(p); s.Create+s.Update != 0 {
			t.Fatalf("a record that only stamps is counted as a change: %+v", s)
		}
	})
	t.Run("no room for stamps", func(t *testing.T) {
		var claims []Claim
		var addrs []string
		for i := range 20 {
			key := fmt.Sprintf("partner-%02d", i)
			claims = append(claims, Claim{Kind: "partners", Key: key, ID: fmt.Sprintf("3d0f5dec-5d3d-455c-8016-%012d", i), Origin: entra.OriginCreated})
			addrs = append(addrs, "crossTenant.partners."+key)
		}
		c, err := ParseOwnership(nil, tid, "it").change(claims, Stamp{Commit: "fedcba9876543210", Changed: addrs})
		if err != nil {
			t.Fatalf("claims that fit were refused for their stamps: %v", err)
		}
		for _, st := range c.Steps {
			if list, _ := st.Request.Body["applied"].([]any); len(list) > 0 {
				t.Fatalf("%s step writes %d stamps", st.Phase, len(list))
			}
		}
		if len(c.Notes) == 0 {
			t.Fatal("stamps dropped without a note")
		}
	})
	t.Run("over 2 KB", func(t *testing.T) {
		var many []Claim
		for i := range 60 {
			many = append(many, Claim{Kind: "partners", Key: "partner-key", ID: fmt.Sprintf("3d0f5dec-5d3d-455c-8016-%012d", i), Origin: entra.OriginCreated})
		}
		if _, err := ParseOwnership(nil, tid, "it").change(many, Stamp{}); err == nil {
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

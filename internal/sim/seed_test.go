package sim

import (
	"encoding/json"
	"testing"
)

func TestSeedIsDeterministic(t *testing.T) {
	o := SeedOptions{Users: 500, Groups: 20, MembersPerGroup: 50, Devices: 4, Seed: 7}
	// Byte for byte: the state file must not depend on map order.
	a, _ := json.Marshal(Seed(o))
	b, _ := json.Marshal(Seed(o))
	if string(a) != string(b) {
		t.Fatal("same options, different tenants")
	}
	o.Seed = 8
	c, _ := json.Marshal(Seed(o))
	if string(a) == string(c) {
		t.Fatal("different seeds, same tenant")
	}
	st := Seed(SeedOptions{Users: 500, Groups: 20, MembersPerGroup: 50, Seed: 7})
	s, err := NewServer(st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range s.Snapshot().Groups {
		if len(g.Members) != 50 || len(g.Owners) != 1 {
			t.Fatalf("group %s: %d members, %d owners", g.DisplayName, len(g.Members), len(g.Owners))
		}
	}
}

package model

import "testing"

func TestPath(t *testing.T) {
	tests := []struct {
		elems []any
		want  string
	}{
		{[]any{"groups", "sg-finance", "owners", 0}, `groups."sg-finance".owners[0]`},
		{[]any{"groups", "finance"}, `groups.finance`},
		{[]any{"groups", "_hidden"}, `groups."_hidden"`},
		{[]any{KindPartner, "fabrikam", "tenantId"}, `crossTenant.partners.fabrikam.tenantId`},
		{[]any{"groups", `a"b`}, `groups."a\"b"`},
	}
	for _, tt := range tests {
		if got := Path(tt.elems...); got != tt.want {
			t.Errorf("Path(%v) = %s, want %s", tt.elems, got, tt.want)
		}
	}
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		want    Address
		wantErr bool
	}{
		{"groups.sg-finance", Address{KindGroup, "sg-finance"}, false},
		{"groups.a.b", Address{KindGroup, "a.b"}, false},
		{"crossTenant.partners.fabrikam", Address{KindPartner, "fabrikam"}, false},
		{"crossTenant.syncJobs.to-fabrikam", Address{KindSyncJob, "to-fabrikam"}, false},
		{"crossTenant.default", Address{Kind: KindDefaultPolicy}, false},
		{"profileMappings.spo", Address{KindProfileMapping, "spo"}, false},
		{"groups.", Address{}, true},
		{"users.bob", Address{}, true},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseAddress(%q) = %v, %v; want %v, err=%v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("ParseAddress(%q).String() = %q", tt.in, got.String())
		}
	}
}

func TestClosest(t *testing.T) {
	cands := []string{"groups.sg-finance", "groups.sg-hr", "groups.vpn"}
	for _, tt := range []struct{ name, want string }{
		{"groups.sg-finace", "groups.sg-finance"},
		{"groups.vpm", "groups.vpn"},
		{"groups.completely-different", ""},
	} {
		if got := Closest(tt.name, cands); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

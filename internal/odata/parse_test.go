package odata

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	valid := []string{
		"department eq 'Finance'",
		"department eq 'O''Brien' and accountEnabled eq true",
		"not(accountEnabled eq false)",
		"startswith(displayName,'a') or endswith(mail,'@contoso.com')",
		"userType in ('Member', 'Guest')",
		"proxyAddresses/any(p:startswith(p, 'smtp:'))",
		"assignedLicenses/any(x:x/skuId eq 184efa21-98c3-4e5d-95ab-d07053a96e67)",
		"onPremisesExtensionAttributes/extensionAttribute1 eq 'x'",
		"createdDateTime ge 2024-01-01T00:00:00Z",
		"id eq 0b7e5f1a-0000-4000-8000-000000000001",
		"employeeId ne null and (city eq 'Oslo' or city eq 'Bergen')",
		"extension_3f1c7e1b2c8f4a8a9a1e2b3c4d5e6f70_costCenter eq '1000'",
		"memberOf/any()",
	}
	for _, s := range valid {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q) = %v, want ok", s, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{"department = 'Finance'", 11, "unexpected character '='"},
		{"department eq \"Finance\"", 14, "single quotes"},
		{"department eq 'Finance", 14, "not terminated"},
		{"department eq", 13, "found the end of the filter"},
		{"department equals 'x'", 11, `unknown operator "equals"`},
		{"(city eq 'a'", 12, "expected ')'"},
		{"city eq 'a' and", 15, "found the end of the filter"},
		{"city eq 'a' 'b'", 12, "after a complete expression"},
		{"startswith(city)", 0, "takes 2 arguments"},
		{"userType in 'Member'", 12, "expected '(' after in"},
		{"proxyAddresses/any(startswith(p,'x'))", 29, "expected ':' after the lambda variable"},
		{"and eq 'x'", 0, "keyword"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("Parse(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if e.Offset != tt.offset || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q) = offset %d %q; want offset %d containing %q", tt.in, e.Offset, e.Msg, tt.offset, tt.msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a eq 'b'", "x/any(y:y eq 1)", "not (a in ('x','y'))", "startswith(a,'b')"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err == nil && e == nil {
			t.Fatal("nil expression without error")
		}
		if err != nil {
			if pe, ok := err.(*Error); !ok || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("error %v has a bad offset for input of length %d", err, len(s))
			}
		}
	})
}

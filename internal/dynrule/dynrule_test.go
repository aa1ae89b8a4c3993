package dynrule

import (
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	for _, s := range []string{
		`user.department -eq "Sales"`,
		`(user.department -eq "Sales") -and (user.country -ne "US")`,
		`user.accountEnabled -eq true -and -not (user.userType -eq "Guest")`,
		`user.jobTitle -startsWith "Eng" -or user.mail -notContains "ext"`,
		`user.department -in ["Sales","Marketing"]`,
		`device.deviceOSType -eq "Windows"`,
		`user.assignedPlans -any (assignedPlan.servicePlanId -eq "efb87545-963c-4e0d-99df-69c6916d9eb0" -and assignedPlan.capabilityStatus -eq "Enabled")`,
		`user.objectId -ne null`,
		`Direct Reports for "62e19b97-8b3d-4d4a-a106-4ce66896a863"`,
		`user.extension_3f1c7e1b2c8f4a8a9a1e2b3c4d5e6f70_costCenter -eq "1000"`,
	} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%q) = %v", s, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
		msg    string
	}{
		{`user.department == "Sales"`, 16, "operators are written -eq"},
		{`user.department -equals "Sales"`, 16, "unknown operator -equals"},
		{`department -eq "Sales"`, 0, "must start with user. or device."},
		{`user.department -eq "Sales`, 20, "not terminated"},
		{`user.department -eq Sales`, 20, "must be quoted"},
		{`(user.department -eq "a"`, 24, "expected ')'"},
		{`user.department -in "a"`, 20, "takes a list"},
		{`user.a -eq "x" user.b -eq "y"`, 15, "after a complete rule"},
		{`user.a -eq "x" -and`, 19, "expected a property"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("Parse(%q) = %v, want *Error", tt.in, err)
			continue
		}
		if e.Offset != tt.offset || !strings.Contains(e.Msg, tt.msg) {
			t.Errorf("Parse(%q) = offset %d %q; want %d containing %q", tt.in, e.Offset, e.Msg, tt.offset, tt.msg)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(`user.department -eq "Sales"`)
	f.Add(`user.a -in ["x"] -or -not (device.b -ne null)`)
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err == nil && e == nil {
			t.Fatal("nil rule without error")
		}
		if pe, ok := err.(*Error); err != nil && (!ok || pe.Offset < 0 || pe.Offset > len(s)) {
			t.Fatalf("bad error %v", err)
		}
	})
}

package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

// savedPlan is a plan as plan --out writes it: a group to create with
// members, a policy change, and its digest.
func savedPlan(t testing.TB) []byte {
	t.Helper()
	f := entratest.New()
	f.AddUser("a@contoso.com")
	d := &model.Desired{Tenant: model.Tenant{ID: tenantID}, Configuration: "it", Groups: map[string]model.Group{
		"sg-finance": {DisplayName: "Finance \"EU\"", Kind: model.GroupSecurity, MailNickname: "sg-finance",
			Membership: &model.Membership{Users: []string{"a@contoso.com"}}}}}
	env := &plan.Env{Reader: f, Desired: d, Configuration: "it", Tenant: tenantID, Commit: "0123456789abcdef"}
	var ref string
	p, ds, err := plan.Make(context.Background(), env, plan.Groups{}, policyKind{addr: "crossTenant.default", group: "sg-finance", sawRef: &ref})
	if err != nil || ds.HasErrors() {
		t.Fatalf("%v %v", err, ds)
	}
	p.Digest = p.ComputeDigest()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDecode(t *testing.T) {
	good := savedPlan(t)
	if _, err := plan.Decode(good); err != nil {
		t.Fatalf("a saved plan: %v", err)
	}
	edited := strings.Replace(string(good), `Finance \"EU\"`, `Finance`, 1)
	for _, tt := range []struct {
		name, data, want string
	}{
		{"not JSON", "{", "not a plan"},
		{"another format", `{"format_version":"0"}`, `plan format "0"`},
		{"no digest", `{"format_version":"` + plan.FormatVersion + `"}`, "digest"},
		{"edited", edited, "digest"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := plan.Decode([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one saying %q", err, tt.want)
			}
		})
	}
	if _, err := plan.Decode([]byte(edited)); !errors.Is(err, plan.ErrEdited) {
		t.Fatalf("an edited plan: %v, want ErrEdited", err)
	}
}

// FuzzDecode: whatever a plan file holds, Decode returns a plan or an
// error, never panics; and a plan it accepts is accepted again after
// being written back.
func FuzzDecode(f *testing.F) {
	f.Add(savedPlan(f))
	f.Add([]byte(`{"format_version":"1","digest":"x","objects":[{"steps":[{"request":{"body":{"a":[1,2,{"b":null}]}}}]}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := plan.Decode(data)
		if err != nil {
			return
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("an accepted plan does not encode: %v", err)
		}
		if _, err := plan.Decode(out); err != nil {
			t.Fatalf("an accepted plan, written back, is refused: %v", err)
		}
	})
}

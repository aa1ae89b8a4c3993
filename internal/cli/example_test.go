package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/entrasync/entrasync/internal/config"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/sim"
)

// TestContosoTenantMatchesConfig keeps the demo honest: the emulator's
// tenant (examples/contoso/tenant.json) holds every user and device the
// example configuration names, and the group it adopts by mailNickname.
func TestContosoTenantMatchesConfig(t *testing.T) {
	const dir = "../../examples/contoso"
	files := map[string][]byte{}
	matches, _ := filepath.Glob(filepath.Join(dir, "*.cue"))
	for _, m := range matches {
		data, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(m)] = data
	}
	cfg, ds := config.Load(config.Files{Files: files, Dir: "."})
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	st, err := sim.LoadState(filepath.Join(dir, "tenant.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.NewServer(st, sim.Options{}); err != nil {
		t.Fatalf("tenant.json does not load: %v", err)
	}
	if !strings.EqualFold(st.TenantID, cfg.Desired.Tenant.ID) {
		t.Errorf("tenant.json is tenant %s, the configuration is for %s", st.TenantID, cfg.Desired.Tenant.ID)
	}
	upns, devices := map[string]bool{}, map[string]bool{}
	for _, u := range st.Users {
		upns[strings.ToLower(u.UserPrincipalName)] = true
	}
	for _, d := range st.Devices {
		devices[d.DisplayName] = true
	}
	for _, key := range model.SortedKeys(cfg.Desired.Groups) {
		g := cfg.Desired.Groups[key]
		users := append([]string{}, g.Owners...)
		if g.Membership != nil {
			users = append(users, g.Membership.Users...)
			for _, d := range g.Membership.Devices {
				if !devices[d] {
					t.Errorf("groups.%s names device %s, which tenant.json lacks", key, d)
				}
			}
		}
		for _, u := range users {
			if !upns[strings.ToLower(u)] {
				t.Errorf("groups.%s names user %s, which tenant.json lacks", key, u)
			}
		}
		if g.Adopt == "mailNickname" {
			n := 0
			for _, lg := range st.Groups {
				if strings.EqualFold(lg.MailNickname, g.MailNickname) {
					n++
				}
			}
			if n != 1 {
				t.Errorf("groups.%s adopts by mailNickname %q, which %d groups in tenant.json have", key, g.MailNickname, n)
			}
		}
	}
}

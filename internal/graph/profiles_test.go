package graph

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/profiles"
	"github.com/entrasync/entrasync/internal/sim"
)

// simSharePoint serves a state and returns the Graph backend and the
// SharePoint side on it, as the CLI wires them.
func simSharePoint(tb testing.TB, st *sim.State) (*Backend, *SharePoint, *sim.Server) {
	tb.Helper()
	srv, err := sim.NewServer(st, sim.Options{ImportStep: time.Millisecond})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	c, err := NewClient(Config{BaseURL: ts.URL + "/v1.0"})
	if err != nil {
		tb.Fatal(err)
	}
	b := NewBackend(c, 4)
	return b, NewSharePoint(b, SharePointConfig{URL: ts.URL}), srv
}

// profileTenant is a tenant of n users whose department and job title are
// mapped to two profile properties, imported once; then one user's
// department changes. It returns a server holding that state (not
// serving: each measurement starts its own from a snapshot, as each CLI
// run starts the emulator anew) and the configuration.
func profileTenant(tb testing.TB, n int) (*sim.Server, *model.Desired) {
	st := sim.Seed(sim.SeedOptions{Users: n, Seed: 5})
	st.SharePoint = &sim.SharePoint{Sites: []*sim.Site{sim.NewSite("https://contoso.sharepoint.com/sites/hr", "HR")},
		Properties: append(sim.DefaultProfileProperties(), sim.ProfileProperty{Name: "CostCenter"}, sim.ProfileProperty{Name: "JobCode"})}
	d := &model.Desired{Tenant: model.Tenant{ID: st.TenantID}, Configuration: "bench", ProfileMappings: map[string]model.ProfileMapping{
		"people": {SharePoint: model.SharePointTarget{AdminURL: "https://contoso-admin.sharepoint.com", Site: "https://contoso.sharepoint.com/sites/hr",
			Folder: "Shared Documents/Profiles"}, IDType: "CloudId", IDProperty: "IdName", Mode: model.ModeIncremental,
			Properties: map[string]string{"CostCenter": "department", "JobCode": "jobTitle"}}}}
	_, sp, srv := simSharePoint(tb, st)
	c, _ := planProfiles(tb, sp, srv, d, false)
	if len(c.Import.Rows) != n {
		tb.Fatalf("first import: %d rows, want %d", len(c.Import.Rows), n)
	}
	out, err := profiles.Run(context.Background(), sp, c.Address, c.Import, profiles.RunOptions{Tenant: d.Tenant.ID,
		Configuration: d.Configuration, Poll: time.Millisecond, MaxPoll: 10 * time.Millisecond})
	if err != nil || out.Records != n {
		tb.Fatalf("first import: %v (%d records)", err, out.Records)
	}
	snap := srv.Snapshot()
	if err := sim.SetUserProperty(snap, snap.Users[n/2].UserPrincipalName, "department", "Procurement"); err != nil {
		tb.Fatal(err)
	}
	base, err := sim.NewServer(snap, sim.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return base, d
}

// planProfiles plans the mapping and counts the HTTP round trips.
func planProfiles(tb testing.TB, sp *SharePoint, srv *sim.Server, d *model.Desired, full bool) (plan.ObjectChange, int64) {
	tb.Helper()
	srv.ResetStats()
	env := &plan.Env{Desired: d, Tenant: d.Tenant.ID, Configuration: d.Configuration, Options: plan.Options{Full: full}}
	kp, _, err := profiles.Mappings{SharePoint: sp}.Plan(context.Background(), env)
	if err != nil || len(kp.Changes) != 1 {
		tb.Fatalf("plan: %v", err)
	}
	return kp.Changes[0], srv.Stats().HTTPRequests
}

// An incremental plan after one change reads that change only: a fixed
// number of requests whatever the tenant's size, and one record.
func TestIncrementalProfilePlanReadsTheChangeOnly(t *testing.T) {
	base, d := profileTenant(t, 3000)
	_, sp, srv := simSharePoint(t, base.Snapshot())
	c, incremental := planProfiles(t, sp, srv, d, false)
	if rows := c.Import.Rows; len(rows) != 1 || rows[0].Values["department"] != "Procurement" || len(rows[0].Values) != 1 {
		t.Fatalf("incremental plan: %+v, want one record with the new department", rows)
	}
	_, sp, srv = simSharePoint(t, base.Snapshot())
	c, full := planProfiles(t, sp, srv, d, true)
	if len(c.Import.Rows) != 3000 || c.Import.Mode != model.ModeFull {
		t.Fatalf("--full plan: %d rows in mode %s, want every user", len(c.Import.Rows), c.Import.Mode)
	}
	// site, libraries, state file (metadata, content), one delta page.
	if incremental > 5 || full < incremental+3 {
		t.Fatalf("requests: incremental %d (want ≤ 5), full %d", incremental, full)
	}
}

// BenchmarkProfilePlan50000Users reports the requests of an incremental
// plan after one change in a 50,000-user tenant against a full read of
// the same tenant.
func BenchmarkProfilePlan50000Users(b *testing.B) {
	base, d := profileTenant(b, 50_000)
	var incremental, full int64
	for b.Loop() {
		_, sp, srv := simSharePoint(b, base.Snapshot())
		_, incremental = planProfiles(b, sp, srv, d, false)
		_, sp, srv = simSharePoint(b, base.Snapshot())
		_, full = planProfiles(b, sp, srv, d, true)
	}
	b.ReportMetric(float64(incremental), "requests-incremental")
	b.ReportMetric(float64(full), "requests-full")
	b.ReportMetric(float64(incremental)/float64(full), "incremental/full")
}

// SharePoint's admin calls carry a token for SharePoint from the same
// credential (the emulator's authority issues one); a Graph token is
// refused there, as SharePoint refuses it.
func TestSharePointTokenIsItsOwn(t *testing.T) {
	var cred azcore.TokenCredential
	c, _, st := emulator(t, 5, func(a *sim.Authority, tenant string, opts azcore.ClientOptions) (azcore.TokenCredential, error) {
		var err error
		cred, err = secretCredential(a, tenant, opts)
		return cred, err
	}, func(st *sim.State) {
		st.SharePoint = &sim.SharePoint{Sites: []*sim.Site{sim.NewSite("https://contoso.sharepoint.com/sites/hr", "HR")},
			Properties: []sim.ProfileProperty{{Name: "CostCenter"}}}
	})
	origin := strings.TrimSuffix(c.Adapter.GetBaseUrl(), "/v1.0")
	ctx := context.Background()
	sp := NewSharePoint(NewBackend(c, 4), SharePointConfig{URL: origin, Credential: cred})
	lib, err := sp.Library(ctx, "https://contoso.sharepoint.com/sites/hr", "Shared Documents/Profiles")
	if err != nil {
		t.Fatalf("Library (a Graph call): %v", err)
	}
	f, err := sp.WriteFile(ctx, lib.DriveID, lib.Path("a.json"), []byte(`{"value":[{"IdName":"`+st.Users[0].ID+`","dept":"1"}]}`))
	if err != nil {
		t.Fatalf("WriteFile (a Graph call): %v", err)
	}
	job, err := sp.QueueImport(ctx, "https://contoso-admin.sharepoint.com", entra.ImportRequest{IDType: entra.IDTypeCloudID,
		IDProperty: "IdName", PropertyMap: map[string]string{"dept": "CostCenter"}, SourceURI: f.WebURL()})
	if err != nil {
		t.Fatalf("QueueImport with a SharePoint token: %v", err)
	}
	graphToken, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, origin+tenantAdminAPI+"GetImportProfilePropertyJob", strings.NewReader(`{"jobId":"`+job+`"}`))
	req.Header.Set("Authorization", "Bearer "+graphToken.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a Graph token on SharePoint's admin API: %s, want 401", resp.Status)
	}
}

// A profile import may use the tenant's root site: it is addressed as
// /sites/{hostname}, since the by-path form needs a path after its colon.
func TestLibraryOfARootSite(t *testing.T) {
	st := sim.Seed(sim.SeedOptions{Users: 1, Seed: 1})
	root, hr := sim.NewSite("https://contoso.sharepoint.com", "Contoso"), sim.NewSite("https://contoso.sharepoint.com/sites/hr", "HR")
	st.SharePoint = &sim.SharePoint{Sites: []*sim.Site{hr, root}}
	_, sp, _ := simSharePoint(t, st)
	for _, siteURL := range []string{"https://contoso.sharepoint.com", "https://contoso.sharepoint.com/"} {
		lib, err := sp.Library(context.Background(), siteURL, "Shared Documents/Profiles")
		if err != nil {
			t.Fatalf("Library(%s): %v", siteURL, err)
		}
		if lib.SiteID != root.ID || lib.DriveID != root.Drives[0].ID || lib.Folder != "Profiles" {
			t.Errorf("Library(%s) = %+v, want the root site's Documents, folder Profiles", siteURL, lib)
		}
	}
	lib, err := sp.Library(context.Background(), "https://contoso.sharepoint.com/sites/hr", "Shared Documents")
	if err != nil || lib.SiteID != hr.ID {
		t.Errorf("Library(hr) = %+v, %v; want the hr site", lib, err)
	}
}

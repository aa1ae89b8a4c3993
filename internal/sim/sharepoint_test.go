package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable emulator clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func spoFixture(t *testing.T) (*httptest.Server, *Server, *clock) {
	t.Helper()
	st := testState(0)
	st.SharePoint = &SharePoint{Sites: []*Site{NewSite("https://contoso.sharepoint.com/sites/hr", "HR")},
		Properties: append(DefaultProfileProperties(), ProfileProperty{Name: "CostCenter"}, ProfileProperty{Name: "BadgeNumber"})}
	c := &clock{now: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	s, err := NewServer(st, Options{Now: c.Now, ImportStep: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, s, c
}

func do(t *testing.T, method, url, body string, headers ...string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// Site by path, its libraries, upload and download: Graph's site-getbypath,
// drive-list, driveitem-put-content and driveitem-get-content.
func TestSharePointFiles(t *testing.T) {
	ts, _, _ := spoFixture(t)
	base := ts.URL + "/v1.0"
	var site struct{ ID, WebURL string }
	if st := getJSON(t, base+"/sites/contoso.sharepoint.com:/sites/hr", nil, &site); st != 200 || site.WebURL != "https://contoso.sharepoint.com/sites/hr" {
		t.Fatalf("site by path: %d %+v", st, site)
	}
	var missing map[string]any
	if st := getJSON(t, base+"/sites/contoso.sharepoint.com:/sites/nope", nil, &missing); st != 404 {
		t.Fatalf("a missing site: %d", st)
	}
	var drives struct {
		Value []struct{ ID, Name, WebURL string }
	}
	getJSON(t, base+"/sites/"+site.ID+"/drives", nil, &drives)
	if len(drives.Value) != 1 || drives.Value[0].WebURL != "https://contoso.sharepoint.com/sites/hr/Shared%20Documents" {
		t.Fatalf("drives = %+v", drives)
	}
	item := base + "/drives/" + drives.Value[0].ID + "/root:/UPS/import.json:/content"
	if st, body := do(t, "PUT", item, `{"value":[]}`); st != 201 || !strings.Contains(string(body), `"webUrl":"https://contoso.sharepoint.com/sites/hr/Shared%20Documents/UPS/import.json"`) {
		t.Fatalf("upload: %d %s", st, body)
	}
	if st, _ := do(t, "PUT", item, `{"value":[{}]}`); st != 200 {
		t.Fatalf("a second upload replaces the file with 200, got %d", st)
	}
	// The content answers 302 to a pre-authenticated URL; the client follows it.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(item)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || !strings.Contains(resp.Header.Get("Location"), "/_layouts/15/download.aspx?UniqueId=") {
		t.Fatalf("download: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if st, body := do(t, "GET", item, ""); st != 200 || string(body) != `{"value":[{}]}` {
		t.Fatalf("download followed: %d %s", st, body)
	}
	if st, _ := do(t, "GET", base+"/drives/"+drives.Value[0].ID+"/root:/UPS/none.json:/content", ""); st != 404 {
		t.Fatalf("a missing file: %d", st)
	}
	if st, _ := do(t, "PUT", base+"/drives/"+drives.Value[0].ID+"/root:/UPS/%2E%2E/x.json:/content", "{}"); st != 400 {
		t.Fatalf("a path with ..: %d", st)
	}
}

// The bulk import: the queue call checks the map at once, the job moves
// Submitted → Processing → Queued → Succeeded | Error on the clock, values
// land in the profile store, and per-record failures go to a log next to
// the file.
func TestSharePointProfileImport(t *testing.T) {
	ts, s, c := spoFixture(t)
	api := ts.URL + tenantAdminAPI
	_, drive := s.drive(s.t.spo.Sites[0].Drives[0].ID)
	upload := func(name, content string) string {
		st, _ := do(t, "PUT", ts.URL+"/v1.0/drives/"+drive.ID+"/root:/UPS/"+name+":/content", content)
		if st >= 300 {
			t.Fatalf("upload %s: %d", name, st)
		}
		return "https://contoso.sharepoint.com/sites/hr/Shared Documents/UPS/" + name
	}
	queue := func(uri, propertyMap string) (int, string) {
		st, body := do(t, "POST", api+"QueueImportProfileProperties",
			`{"idType":1,"sourceDataIdProperty":"IdName","propertyMap":`+propertyMap+`,"sourceUri":"`+uri+`"}`,
			"Accept", "application/json;odata=nometadata")
		var out struct{ Value string }
		_ = json.Unmarshal(body, &out)
		if st != 200 {
			return st, string(body)
		}
		return st, out.Value
	}
	type info struct {
		JobID        string `json:"JobId"`
		State        int
		Error        string
		ErrorMessage string
		LogFolderURI string `json:"LogFolderUri"`
	}
	job := func(id string) info {
		_, body := do(t, "POST", api+"GetImportProfilePropertyJob", `{"jobId":"`+id+`"}`)
		var i info
		if err := json.Unmarshal(body, &i); err != nil {
			t.Fatal(err, string(body))
		}
		return i
	}

	t.Run("editable, unknown and synced targets fail the queue call", func(t *testing.T) {
		uri := upload("a.json", `{"value":[]}`)
		for m, want := range map[string]string{
			`{"x":"AboutMe"}`:    "Property Names [AboutMe] are editable by user.",
			`{"x":"Nope"}`:       "Property Names [Nope] do not exist.",
			`{"x":"Department"}`: "Property Names [Department] cannot be imported",
		} {
			if st, body := queue(uri, m); st != 400 || !strings.Contains(body, want) || !strings.Contains(body, `"odata.error"`) {
				t.Errorf("%s: %d %s", m, st, body)
			}
		}
	})
	t.Run("a clean import succeeds through every state", func(t *testing.T) {
		uri := upload("ok.json", `{"value":[{"IdName":"`+alice+`","Cost":"CC-1"},{"IdName":"`+bob+`","Cost":"CC-2"}]}`)
		st, id := queue(uri, `[{"Key":"Cost","Value":"CostCenter","ValueType":"Edm.String"}]`)
		if st != 200 {
			t.Fatal(st, id)
		}
		for _, want := range []int{ImportSubmitted, ImportProcessing, ImportQueued, ImportSucceeded} {
			if got := job(id); got.State != want {
				t.Fatalf("state %d, want %d", got.State, want)
			}
			c.advance(time.Minute)
		}
		if got := job(id); got.Error != "NoError" {
			t.Fatalf("job = %+v", got)
		}
		if p := ProfilesByUPN(s.Snapshot()); p["alice@contoso.com"]["CostCenter"] != "CC-1" || p["bob@contoso.com"]["CostCenter"] != "CC-2" {
			t.Fatalf("profiles = %v", p)
		}
	})
	t.Run("unresolvable and invalid records are logged, the rest imported", func(t *testing.T) {
		uri := upload("bad.json", `{"value":[{"IdName":"`+carol+`","Cost":"CC-3"},{"IdName":"00000000-0000-4000-8000-0000000000ff","Cost":"CC-4"},{"IdName":"`+alice+`","Cost":["a","b"]}]}`)
		_, id := queue(uri, `{"Cost":"CostCenter"}`)
		c.advance(3 * time.Minute)
		got := job(id)
		if got.State != ImportError || got.Error != "ImportCompelteWithErrors" ||
			got.LogFolderURI != "https://contoso.sharepoint.com/sites/hr/Shared Documents/UPS/"+id {
			t.Fatalf("job = %+v", got)
		}
		st, log := do(t, "GET", ts.URL+"/v1.0/drives/"+drive.ID+"/root:/UPS/"+id+"/ImportErrors.log:/content", "")
		if st != 200 || !strings.Contains(string(log), "2\t00000000-0000-4000-8000-0000000000ff\tIdentityNotResolvable") ||
			!strings.Contains(string(log), "3\t"+alice+"\tInvalidProperty") {
			t.Fatalf("log: %d %s", st, log)
		}
		if p := ProfilesByUPN(s.Snapshot()); p["carol@contoso.com"]["CostCenter"] != "CC-3" || p["alice@contoso.com"]["CostCenter"] != "CC-1" {
			t.Fatalf("profiles = %v", p)
		}
	})
	t.Run("an unmapped property aborts the job; a missing file fails it", func(t *testing.T) {
		_, id := queue(upload("unmapped.json", `{"value":[{"IdName":"`+carol+`","Other":"x"}]}`), `{"Cost":"CostCenter"}`)
		_, missing := queue("https://contoso.sharepoint.com/sites/hr/Shared Documents/UPS/none.json", `{"Cost":"CostCenter"}`)
		_, foreign := queue("https://fabrikam.sharepoint.com/sites/x/Shared Documents/f.json", `{"Cost":"CostCenter"}`)
		c.advance(3 * time.Minute)
		for id, want := range map[string]string{id: "InvalideDataFile", missing: "DataFileNotExist", foreign: "DataFileNotInTenant"} {
			if got := job(id); got.State != ImportError || got.Error != want {
				t.Errorf("job = %+v, want %s", got, want)
			}
		}
	})
	t.Run("jobs survive a restart", func(t *testing.T) {
		var all struct{ Value []info }
		_, body := do(t, "POST", api+"GetImportProfilePropertyJobs", "")
		_ = json.Unmarshal(body, &all)
		next, err := NewServer(s.Snapshot(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(next.Snapshot().SharePoint.Jobs); got != len(all.Value) || got < 5 {
			t.Fatalf("%d jobs after a restart, %d before", got, len(all.Value))
		}
	})
}

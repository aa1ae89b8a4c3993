package profiles

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
)

func TestValue(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		want string
		why  string
	}{
		{"absent clears", nil, "", ""},
		{"string", "1000", "1000", ""},
		{"bool", true, "true", ""},
		{"number", float64(1234567), "1234567", ""},
		{"empty list", []any{}, "", ""},
		{"list", []any{"+47 1", "+47 2"}, "", "multi-valued (2 values); the bulk import takes one string"},
		{"object", map[string]any{"a": 1}, "", "a structured value; the bulk import takes one string"},
		{"too long", strings.Repeat("é", maxValueRunes+1), "", "3601 characters; a profile property holds at most 3600"},
		{"longest", strings.Repeat("é", maxValueRunes), strings.Repeat("é", maxValueRunes), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Graph's property names are case-insensitive in $select.
			got, why := value(entra.Document{"OfficeLocation": tc.in}, "officeLocation")
			if got != tc.want || why != tc.why {
				t.Errorf("value = %q, %q; want %q, %q", got, why, tc.want, tc.why)
			}
		})
	}
}

func TestChanged(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values map[string]string
		before map[string]string
		want   []string
	}{
		{"never imported", map[string]string{"a": "1", "b": ""}, nil, []string{"a"}},
		{"same", map[string]string{"a": "1"}, map[string]string{"a": "1"}, nil},
		{"changed", map[string]string{"a": "2", "b": "x"}, map[string]string{"a": "1", "b": "x"}, []string{"a"}},
		{"cleared", map[string]string{"a": ""}, map[string]string{"a": "1"}, []string{"a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := plan.ProfileRow{Values: tc.values, Before: tc.before}.Changed()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Changed (-want +got):\n%s", diff)
			}
		})
	}
}

func pendingState() *State {
	return &State{Values: map[string]map[string]string{"u1": {"a": "old"}}, DeltaLink: "old-link",
		Pending: &Job{ID: "j", Records: 2, DeltaLink: "new-link",
			Values:     map[string]map[string]string{"u1": {"a": "new"}, "u2": {"a": "two"}},
			Identities: map[string]string{"u1": "id-1", "u2": "ID-2"}}}
}

func TestFinish(t *testing.T) {
	for _, tc := range []struct {
		name     string
		job      entra.ImportJob
		failures []Failure
		values   map[string]map[string]string
		link     string
		failed   int
	}{
		{"succeeded", entra.ImportJob{State: entra.ImportSucceeded, Error: "NoError"}, nil,
			map[string]map[string]string{"u1": {"a": "new"}, "u2": {"a": "two"}}, "new-link", 0},
		// A failed record keeps its old value and the link, so the next
		// incremental plan reads that user again.
		{"a record failed", entra.ImportJob{State: entra.ImportError, Error: "ImportCompelteWithErrors"},
			[]Failure{{Record: 2, Identity: "id-2", Code: "IdentityNotResolvable"}},
			map[string]map[string]string{"u1": {"a": "new"}}, "old-link", 1},
		{"the file was refused", entra.ImportJob{State: entra.ImportError, Error: "InvalideDataFile"}, nil,
			map[string]map[string]string{"u1": {"a": "old"}}, "old-link", 2},
		{"SharePoint forgot the job", entra.ImportJob{State: entra.ImportUnknown}, nil,
			map[string]map[string]string{"u1": {"a": "old"}}, "old-link", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := pendingState()
			st.finish(tc.job, tc.failures, time.Unix(0, 0))
			if diff := cmp.Diff(tc.values, st.Values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
			if st.DeltaLink != tc.link || st.Pending != nil || st.Last == nil || st.Last.Failed != tc.failed || st.Last.Values != nil {
				t.Errorf("link %q, pending %v, last %+v; want link %q and %d failed", st.DeltaLink, st.Pending, st.Last, tc.link, tc.failed)
			}
		})
	}
}

func TestParseLog(t *testing.T) {
	got := parseLog([]byte("1\tid-1\tIdentityNotResolvable\tno user profile matches\n\nsomething else\n3\t\tMissingIdentity\tthe record has no IdName\n"))
	want := []Failure{{Record: 1, Identity: "id-1", Code: "IdentityNotResolvable", Message: "no user profile matches"},
		{Message: "something else"}, {Record: 3, Code: "MissingIdentity", Message: "the record has no IdName"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseLog (-want +got):\n%s", diff)
	}
	if s := got[2].String(); s != "record 3 (no identity): MissingIdentity: the record has no IdName" {
		t.Errorf("String = %q", s)
	}
}

func TestCheck(t *testing.T) {
	good := func() *plan.ProfileImport {
		return &plan.ProfileImport{AdminURL: "https://contoso-admin.sharepoint.com", Site: "https://contoso.sharepoint.com/sites/hr",
			IDType: "CloudId", IDProperty: "IdName", Properties: map[string]string{"employeeId": "BadgeNumber"},
			Rows: []plan.ProfileRow{{Name: "a@contoso.com", Values: map[string]string{"employeeId": "1"}}}}
	}
	for _, tc := range []struct {
		name string
		edit func(*plan.ProfileImport)
		want string
	}{
		{"as planned", func(*plan.ProfileImport) {}, ""},
		{"editable target", func(p *plan.ProfileImport) { p.Properties["aboutMe"] = "AboutMe" }, "refusing to import into AboutMe: it is editable by users"},
		{"synced target", func(p *plan.ProfileImport) { p.Properties["department"] = "Department" }, "synchronized from Entra"},
		{"another tenant's admin site", func(p *plan.ProfileImport) { p.AdminURL = "https://fabrikam-admin.sharepoint.com" }, "is not the admin site of"},
		{"plain http", func(p *plan.ProfileImport) { p.AdminURL = "http://contoso-admin.sharepoint.com" }, "is not the admin site of"},
		{"unmapped field in a record", func(p *plan.ProfileImport) { p.Rows[0].Values["mobilePhone"] = "1" }, "carries mobilePhone, which the mapping does not map"},
		{"id field mapped", func(p *plan.ProfileImport) { p.Properties["IdName"] = "CostCenter" }, "is also the file's id field"},
		{"id type", func(p *plan.ProfileImport) { p.IDType = "Sid" }, `idType "Sid"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imp := good()
			tc.edit(imp)
			err := Check(imp)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Check: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Check = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestSelectList(t *testing.T) {
	src := newSource(model.ProfileMapping{Properties: map[string]string{"CostCenter": "extension_x_costCenter", "Office": "officeLocation"},
		Users: "department eq 'Finance' and startswith(jobTitle, 'IT') or assignedLicenses/any(l: l/skuId eq 'x')"})
	want := []string{"id", "userPrincipalName", "mail", "extension_x_costCenter", "officeLocation", "department", "jobTitle", "assignedLicenses"}
	if diff := cmp.Diff(want, src.selectList()); diff != "" {
		t.Errorf("selectList (-want +got):\n%s", diff)
	}
}

func TestLibraryPath(t *testing.T) {
	lib := entra.Library{WebURL: "https://contoso.sharepoint.com/sites/hr/Shared%20Documents"}
	got, err := libraryPath(lib, "https://contoso.sharepoint.com/sites/hr/Shared Documents/Profiles/abc")
	if err != nil || got != "Profiles/abc" {
		t.Errorf("libraryPath = %q, %v", got, err)
	}
	if _, err := libraryPath(lib, "https://evil.example/sites/hr/Shared Documents/x"); err == nil {
		t.Error("a log folder outside the library was accepted")
	}
}

package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/model"
)

// SharePoint Online as the bulk user-profile import uses it: sites found
// by path, their document libraries (Graph drives) with upload and
// download, and the tenant admin calls that queue an import and report
// its job. Sources: Graph v1.0 site-getbypath, drive-list,
// driveitem-put-content and driveitem-get-content; "Introducing the API
// for bulk custom user profile properties update for SharePoint Online"
// and PnPjs's Office365Tenant for the import (file format, queue call,
// job states, error names, what may be mapped). Where the documents are
// silent the emulator chooses, and says so: marked "inferred".

// SharePoint is the tenant's SharePoint Online.
type SharePoint struct {
	Sites []*Site `json:"sites,omitempty"`
	// Properties are the User Profile Service's properties; a property
	// not listed does not exist.
	Properties []ProfileProperty `json:"properties,omitempty"`
	// Profiles are user profiles' imported values by user object id
	// (lower case). Every Entra user has a profile.
	Profiles map[string]map[string]string `json:"profiles,omitempty"`
	// Unprovisioned are users (by id or userPrincipalName) with no profile
	// yet: SharePoint creates a user's profile some time after the user,
	// and the import cannot resolve a record for a user without one
	// ("Users must already exist in the UPS").
	Unprovisioned []string     `json:"unprovisioned,omitempty"`
	Jobs          []*ImportJob `json:"jobs,omitempty"`
}

// Site is a site with its document libraries.
type Site struct {
	// ID is Graph's composite id: "host,site collection id,web id".
	ID          string   `json:"id"`
	URL         string   `json:"url"` // absolute, without a trailing slash
	DisplayName string   `json:"displayName"`
	Drives      []*Drive `json:"drives"`
	// CreatedDateTime is when the site and its default library were
	// created; answered null when the state does not say.
	CreatedDateTime string `json:"createdDateTime,omitempty"`
}

// Drive is a document library.
type Drive struct {
	ID   string `json:"id"`
	Name string `json:"name"` // "Documents"
	// URLName is the library's folder in URLs: "Shared Documents".
	URLName string `json:"urlName"`
	// Files by path under the library's root, "/"-separated.
	Files map[string]*File `json:"files,omitempty"`
}

// File is a file in a library.
type File struct {
	ID       string `json:"id"`
	Content  []byte `json:"content"`
	Modified string `json:"modified"`
	// Version counts the writes; the item's eTag carries it, so a reader
	// can tell that the file changed (driveItem's eTag).
	Version int `json:"version,omitempty"`
}

// ProfileProperty is a User Profile Service property.
type ProfileProperty struct {
	Name string `json:"name"`
	// UserEditable properties are refused by the import.
	UserEditable bool `json:"userEditable,omitempty"`
	// Synced properties are filled in from Entra already; refused too.
	Synced      bool `json:"synced,omitempty"`
	MultiValued bool `json:"multiValued,omitempty"`
}

// The import job's states (ImportProfilePropertiesJobState).
const (
	ImportSubmitted  = 1
	ImportProcessing = 2
	ImportQueued     = 3
	ImportSucceeded  = 4
	ImportError      = 5
)

// ImportJob is a queued bulk import.
type ImportJob struct {
	ID          string            `json:"id"`
	SourceURI   string            `json:"sourceUri"`
	IDType      int               `json:"idType"` // 0 Email, 1 CloudId, 2 PrincipalName
	IDProperty  string            `json:"idProperty"`
	PropertyMap map[string]string `json:"propertyMap"`
	Submitted   time.Time         `json:"submitted"`
	// Done is set once the import ran (State Succeeded or Error).
	Done         bool   `json:"done,omitempty"`
	State        int    `json:"state"`
	Error        string `json:"error,omitempty"`
	ErrorMessage string `json:"errorMessage,omitempty"`
	LogFolderURI string `json:"logFolderUri,omitempty"`
}

// DefaultProfileProperties are a new tenant's: the properties Entra
// fills in (which the import refuses), a few users may edit (refused
// too), and no custom ones: an administrator creates those.
func DefaultProfileProperties() []ProfileProperty {
	var out []ProfileProperty
	for _, n := range model.SharePointSyncedProperties {
		out = append(out, ProfileProperty{Name: n, Synced: true})
	}
	for _, n := range model.SharePointUserEditableProperties {
		out = append(out, ProfileProperty{Name: n, UserEditable: true, MultiValued: slices.Contains(multiValued, n)})
	}
	return out
}

var multiValued = []string{"SPS-Skills", "SPS-Interests", "SPS-Responsibility", "SPS-PastProjects", "SPS-School"}

// NewSite is a site at url with its default library, "Documents" at
// "Shared Documents".
func NewSite(siteURL, displayName string) *Site {
	host := siteURL
	if u, err := url.Parse(siteURL); err == nil {
		host = u.Host
	}
	return &Site{ID: host + "," + newID() + "," + newID(), URL: strings.TrimSuffix(siteURL, "/"), DisplayName: displayName,
		Drives: []*Drive{{ID: "b!" + strings.ReplaceAll(newID(), "-", ""), Name: "Documents", URLName: "Shared Documents"}}}
}

// ProfilesByUPN are a state's user profile values by userPrincipalName.
func ProfilesByUPN(st *State) map[string]map[string]string {
	out := map[string]map[string]string{}
	if st.SharePoint == nil {
		return out
	}
	for _, u := range st.Users {
		if p := st.SharePoint.Profiles[lower(u.ID)]; len(p) > 0 {
			out[u.UserPrincipalName] = p
		}
	}
	return out
}

func cloneSharePoint(s *SharePoint) *SharePoint {
	if s == nil {
		return nil
	}
	data, _ := json.Marshal(s)
	var out SharePoint
	_ = json.Unmarshal(data, &out)
	if out.Profiles == nil {
		out.Profiles = map[string]map[string]string{}
	}
	return &out
}

const tenantAdminAPI = "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"

func (s *Server) routeSharePoint() {
	s.mux.HandleFunc("GET /v1.0/sites/{rest...}", s.getSite)
	s.mux.HandleFunc("GET /v1.0/sites/{site}/drives", s.listDrives)
	s.mux.HandleFunc("PUT /v1.0/drives/{drive}/{rest...}", s.driveItem)
	s.mux.HandleFunc("GET /v1.0/drives/{drive}/{rest...}", s.driveItem)
	s.mux.HandleFunc("GET /_layouts/15/download.aspx", s.download)
	s.mux.HandleFunc("POST "+tenantAdminAPI+"{call}", s.tenantAdmin)
}

// spError is SharePoint REST's error body (JSON light), not Graph's.
func spError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]any{"odata.error": map[string]any{"code": code,
		"message": map[string]any{"lang": "en-US", "value": message}}})
}

// spValue answers a SharePoint REST call: {"d": …} when the client asks
// for odata=verbose, the value itself otherwise (nometadata, minimal).
func spValue(w http.ResponseWriter, r *http.Request, v any) {
	if strings.Contains(r.Header.Get("Accept"), "odata=verbose") {
		writeJSON(w, http.StatusOK, map[string]any{"d": v})
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) tenantAdmin(w http.ResponseWriter, r *http.Request) {
	if s.t.spo == nil {
		spError(w, http.StatusNotFound, "-2147024894, System.IO.FileNotFoundException", "The tenant has no SharePoint Online.")
		return
	}
	switch r.PathValue("call") {
	case "QueueImportProfileProperties":
		s.queueImport(w, r)
	case "GetImportProfilePropertyJob":
		var in struct {
			JobID string `json:"jobId"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			spError(w, http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "Invalid JSON: "+err.Error())
			return
		}
		for _, j := range s.t.spo.Jobs {
			if strings.EqualFold(j.ID, in.JobID) {
				s.advanceImport(j)
				spValue(w, r, jobInfo(j))
				return
			}
		}
		// Inferred: an unknown job id reads as a job in state Unknown.
		spValue(w, r, map[string]any{"JobId": in.JobID, "State": 0, "Error": "NoError", "ErrorMessage": nil, "SourceUri": nil, "LogFolderUri": nil})
	case "GetImportProfilePropertyJobs":
		value := []any{}
		for _, j := range s.t.spo.Jobs {
			s.advanceImport(j)
			value = append(value, jobInfo(j))
		}
		spValue(w, r, map[string]any{"value": value})
	default:
		spError(w, http.StatusNotFound, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException",
			"The method "+r.PathValue("call")+" is not supported by the emulator.")
	}
}

func jobInfo(j *ImportJob) map[string]any {
	info := map[string]any{"JobId": j.ID, "State": j.State, "SourceUri": j.SourceURI, "Error": j.Error,
		"ErrorMessage": nil, "LogFolderUri": nil}
	if j.Error == "" {
		info["Error"] = "NoError"
	}
	if j.ErrorMessage != "" {
		info["ErrorMessage"] = j.ErrorMessage
	}
	if j.LogFolderURI != "" {
		info["LogFolderUri"] = j.LogFolderURI
	}
	return info
}

// queueImport is QueueImportProfileProperties: the property map is
// checked at once (a user-editable target fails the call with the
// documented message), the file only when the job runs.
func (s *Server) queueImport(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IDType               int             `json:"idType"`
		SourceDataIDProperty string          `json:"sourceDataIdProperty"`
		PropertyMap          json.RawMessage `json:"propertyMap"`
		SourceURI            string          `json:"sourceUri"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		spError(w, http.StatusBadRequest, "-1, Microsoft.SharePoint.Client.InvalidClientQueryException", "Invalid JSON: "+err.Error())
		return
	}
	pm, ok := propertyMap(in.PropertyMap)
	switch {
	case !ok || len(pm) == 0:
		spError(w, http.StatusBadRequest, "-2147024809, System.ArgumentException", "propertyMap is empty or not a map of strings.")
		return
	case in.IDType < 0 || in.IDType > 2:
		spError(w, http.StatusBadRequest, "-2147024809, System.ArgumentException", "idType must be Email (0), CloudId (1) or PrincipalName (2).")
		return
	case in.SourceDataIDProperty == "" || in.SourceURI == "":
		spError(w, http.StatusBadRequest, "-2147024809, System.ArgumentException", "sourceDataIdProperty and sourceUri are required.")
		return
	}
	var editable, unknown, refused []string
	for _, target := range pm {
		i := slices.IndexFunc(s.t.spo.Properties, func(p ProfileProperty) bool { return strings.EqualFold(p.Name, target) })
		switch {
		case i < 0:
			unknown = append(unknown, target)
		case s.t.spo.Properties[i].UserEditable:
			editable = append(editable, target)
		case s.t.spo.Properties[i].Synced || s.t.spo.Properties[i].MultiValued:
			refused = append(refused, target)
		}
	}
	for _, l := range [][]string{editable, unknown, refused} {
		slices.Sort(l)
	}
	switch {
	case len(editable) > 0: // the documented message
		spError(w, http.StatusBadRequest, "-2146233079, System.InvalidOperationException",
			"Property Names ["+strings.Join(editable, ", ")+"] are editable by user.")
		return
	case len(unknown) > 0: // inferred wording
		spError(w, http.StatusBadRequest, "-2146233079, System.InvalidOperationException",
			"Property Names ["+strings.Join(unknown, ", ")+"] do not exist.")
		return
	case len(refused) > 0: // inferred wording
		spError(w, http.StatusBadRequest, "-2146233079, System.InvalidOperationException",
			"Property Names ["+strings.Join(refused, ", ")+"] cannot be imported: they are synchronized from Microsoft Entra ID or multi-valued.")
		return
	}
	j := &ImportJob{ID: newID(), SourceURI: in.SourceURI, IDType: in.IDType, IDProperty: in.SourceDataIDProperty,
		PropertyMap: pm, Submitted: s.opts.Now().UTC(), State: ImportSubmitted}
	s.t.spo.Jobs = append(s.t.spo.Jobs, j)
	spValue(w, r, map[string]any{"value": j.ID})
}

// propertyMap accepts the map as a JSON object (as PnPjs sends it) or as
// SharePoint REST's Collection(SP.KeyValue) form.
func propertyMap(raw json.RawMessage) (map[string]string, bool) {
	var m map[string]string
	if json.Unmarshal(raw, &m) == nil {
		return m, true
	}
	var kvs []struct{ Key, Value string }
	if json.Unmarshal(raw, &kvs) != nil {
		return nil, false
	}
	m = map[string]string{}
	for _, kv := range kvs {
		m[kv.Key] = kv.Value
	}
	return m, true
}

// advanceImport moves a job through Submitted → Processing → Queued on
// the emulator's clock, one ImportStep each, and runs it when it is
// due. SharePoint takes hours; the emulator takes seconds.
func (s *Server) advanceImport(j *ImportJob) {
	if j.Done {
		return
	}
	step := s.opts.ImportStep
	if step <= 0 {
		step = time.Second
	}
	n := int(s.opts.Now().Sub(j.Submitted) / step)
	before := j.State
	switch {
	case n < 1:
		j.State = ImportSubmitted
	case n < 2:
		j.State = ImportProcessing
	case n < 3:
		j.State = ImportQueued
	default:
		s.runImport(j)
		j.Done = true
	}
	if j.State != before || j.Done {
		s.markDirty() // a Get… call is a POST that reads; save only what moved
	}
}

// importRecordError is one line of a job's log (the log's format is
// inferred: the documents name the error codes, not the layout).
type importRecordError struct {
	Record   int
	Identity string
	Code     string
	Message  string
}

// runImport imports the job's file into the profile store.
func (s *Server) runImport(j *ImportJob) {
	fail := func(code, msg string) { j.State, j.Error, j.ErrorMessage = ImportError, code, msg }
	site, d, path, f := s.fileAt(j.SourceURI)
	switch {
	case site == nil:
		fail("DataFileNotInTenant", "The data file is not in this tenant's SharePoint Online.")
		return
	case f == nil:
		fail("DataFileNotExist", "The data file does not exist.")
		return
	case len(f.Content) > 2<<30:
		fail("DataFileTooBig", "The data file is larger than 2 GB.")
		return
	}
	var doc struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(f.Content, &doc); err != nil || doc.Value == nil {
		fail("InvalideDataFile", "The data file is not JSON with a top-level value array.")
		s.writeImportLog(j, site, d, path, []importRecordError{{Record: 0, Code: "DataFileNotJson", Message: "the file is not a JSON document with a value array"}})
		return
	}
	// Every property in the file must be mapped, or the whole job aborts.
	for _, rec := range doc.Value {
		for k := range rec {
			if k != j.IDProperty && j.PropertyMap[k] == "" {
				fail("InvalideDataFile", fmt.Sprintf("The property %q in the data file is not in the property map.", k))
				return
			}
		}
	}
	var errs []importRecordError
	for i, rec := range doc.Value {
		id, _ := rec[j.IDProperty].(string)
		if id == "" {
			errs = append(errs, importRecordError{i + 1, "", "MissingIdentity", "the record has no " + j.IDProperty})
			continue
		}
		u := s.profileUser(j.IDType, id)
		if u == nil {
			errs = append(errs, importRecordError{i + 1, id, "IdentityNotResolvable", "no user profile matches the identity"})
			continue
		}
		values := map[string]string{}
		bad := false
		for k, v := range rec {
			if k == j.IDProperty {
				continue
			}
			str, ok := v.(string)
			if !ok && v != nil {
				errs = append(errs, importRecordError{i + 1, id, "InvalidProperty", fmt.Sprintf("%s: the value is not a single string", k)})
				bad = true
				continue
			}
			values[j.PropertyMap[k]] = str
		}
		if bad {
			continue
		}
		p := s.t.spo.Profiles[lower(u.ID)]
		if p == nil {
			p = map[string]string{}
			s.t.spo.Profiles[lower(u.ID)] = p
		}
		for k, v := range values {
			if v == "" {
				delete(p, k)
			} else {
				p[k] = v
			}
		}
	}
	if len(errs) > 0 {
		fail("ImportCompelteWithErrors", fmt.Sprintf("%d of %d records failed; see the log.", len(errs), len(doc.Value)))
		s.writeImportLog(j, site, d, path, errs)
		return
	}
	j.State, j.Error = ImportSucceeded, "NoError"
}

func (s *Server) profileUser(idType int, id string) *User {
	var found *User
	switch idType {
	case 1:
		found = s.t.users[lower(id)]
	case 2:
		found = s.t.upns[lower(id)]
	default:
		for _, u := range s.t.users {
			if strings.EqualFold(u.Mail, id) {
				found = u
			}
		}
	}
	if found == nil || slices.ContainsFunc(s.t.spo.Unprovisioned, func(x string) bool {
		return strings.EqualFold(x, found.ID) || strings.EqualFold(x, found.UserPrincipalName)
	}) {
		return nil
	}
	return found
}

// writeImportLog writes the job's log into a folder named by the job id
// next to the data file, as SharePoint does.
func (s *Server) writeImportLog(j *ImportJob, site *Site, d *Drive, path string, errs []importRecordError) {
	dir := ""
	if i := strings.LastIndex(path, "/"); i >= 0 {
		dir = path[:i+1]
	}
	folder := dir + j.ID
	var b strings.Builder
	for _, e := range errs {
		fmt.Fprintf(&b, "%d\t%s\t%s\t%s\n", e.Record, e.Identity, e.Code, e.Message)
	}
	if d.Files == nil {
		d.Files = map[string]*File{}
	}
	d.Files[folder+"/ImportErrors.log"] = &File{ID: newItemID(),
		Content: []byte(b.String()), Modified: s.opts.Now().UTC().Format(time.RFC3339)}
	j.LogFolderURI = site.URL + "/" + d.URLName + "/" + folder
}

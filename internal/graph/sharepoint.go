package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	abstractions "github.com/microsoft/kiota-abstractions-go"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/model"
)

// SharePoint implements [entra.SharePoint]. Directory reads, the site,
// its libraries and file metadata go through the Backend's $batch like
// every other read. Two requests cannot: a file's content (uploaded as
// raw bytes with PUT …/content, downloaded from the pre-authenticated
// URL Graph hands out) and the tenant admin calls, which are SharePoint
// REST on the admin site with a token for SharePoint, not for Graph.
type SharePoint struct {
	b   *Backend
	cfg SharePointConfig
	// graph carries the uploads with a Graph token, spo the admin calls
	// with a SharePoint token, and plain the downloads, with none.
	graph, spo, plain *http.Client
}

// SharePointConfig says how to reach SharePoint Online.
type SharePointConfig struct {
	// URL replaces the scheme and host of the configured admin URL: the
	// emulator's. Empty calls the admin URL as the configuration has it.
	URL string
	// Credential obtains tokens for Graph and for SharePoint (the same
	// app; SharePoint's app-only tokens need a certificate credential).
	Credential azcore.TokenCredential
	Transport  http.RoundTripper
}

var _ entra.SharePoint = (*SharePoint)(nil)

// NewSharePoint builds the SharePoint side next to a Graph backend.
func NewSharePoint(b *Backend, cfg SharePointConfig) *SharePoint {
	graph := defaultHTTPClient(cfg.Transport, &b.c.roundTrips)
	graph.Transport = bearer{cred: cfg.Credential, next: graph.Transport,
		scope: func(*http.Request) string { return "https://graph.microsoft.com/.default" }}
	base := cfg.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	// SharePoint REST gets a plain client: the Graph SDK's middleware
	// compresses request bodies, and queueing an import is not a request
	// to repeat on its own (a poll that fails is simply polled again).
	spo := &http.Client{Timeout: 100 * time.Second, Transport: bearer{cred: cfg.Credential, next: base,
		scope: func(r *http.Request) string { return r.Header.Get(resourceHeader) + "/.default" }}}
	return &SharePoint{b: b, cfg: cfg, graph: graph, spo: spo, plain: &http.Client{Timeout: 100 * time.Second, Transport: base}}
}

// resourceHeader carries a SharePoint request's resource (its admin URL
// as configured) to the token transport; it is removed before sending.
const resourceHeader = "X-Entrasync-Resource"

// bearer adds a token for the request's scope; without a credential (the
// in-process emulator) it sends none.
type bearer struct {
	cred  azcore.TokenCredential
	scope func(*http.Request) string
	next  http.RoundTripper
}

func (t bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	scope := t.scope(req)
	req = req.Clone(req.Context())
	req.Header.Del(resourceHeader)
	if t.cred != nil {
		tok, err := t.cred.GetToken(req.Context(), policy.TokenRequestOptions{Scopes: []string{scope}})
		if err != nil {
			return nil, fmt.Errorf("a token for %s: %w", scope, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok.Token)
	}
	return t.next.RoundTrip(req)
}

// UserChanges implements [entra.SharePoint]: one delta round, page after
// page (delta pages depend on each other), until the deltaLink.
func (s *SharePoint) UserChanges(ctx context.Context, selectProps []string, link string) ([]entra.Document, string, error) {
	next, err := s.rebase(link)
	if err != nil {
		return nil, "", err
	}
	if link == "" || link == "latest" {
		next = s.b.base + "/users/delta?$select=" + escape(strings.Join(selectProps, ","))
		if link == "latest" {
			next += "&$deltatoken=latest"
			link = ""
		}
	}
	var out []entra.Document
	for pages := 0; ; pages++ {
		if pages >= maxPages {
			return nil, "", fmt.Errorf("users/delta went on for more than %d pages; stopping", maxPages)
		}
		c := &call{info: s.b.get("", nil, false)}
		c.info.PathParameters["baseurl"] = next
		if err := s.b.runBatches(ctx, []*call{c}); err != nil {
			return nil, "", err
		}
		switch e := c.failed(); {
		case c.err != nil:
			return nil, "", c.err
		case e != nil && link != "" && (e.Status == http.StatusGone || e.Code == "syncStateNotFound"):
			// Graph's delta guide: 410 Gone (or syncStateNotFound) means
			// the token cannot be resumed; start a full round.
			return nil, "", fmt.Errorf("%w: %v", entra.ErrDeltaExpired, e)
		case e != nil:
			return nil, "", fmt.Errorf("GET users/delta: %w", e)
		}
		var p struct {
			Value     []entra.Document `json:"value"`
			NextLink  string           `json:"@odata.nextLink"`
			DeltaLink string           `json:"@odata.deltaLink"`
		}
		if err := json.Unmarshal(c.body, &p); err != nil {
			return nil, "", fmt.Errorf("GET users/delta: %w", err)
		}
		out = append(out, p.Value...)
		switch {
		case p.DeltaLink != "":
			return out, p.DeltaLink, nil
		case p.NextLink == "":
			return nil, "", errors.New("GET users/delta: a page with neither @odata.nextLink nor @odata.deltaLink")
		}
		next = p.NextLink
	}
}

// rebase keeps only a stored delta link's query and sends it to this
// backend's users/delta: the link comes from a file anyone with access
// to the library can edit, and an emulator's port changes between runs.
func (s *SharePoint) rebase(link string) (string, error) {
	if link == "" || link == "latest" {
		return link, nil
	}
	u, err := url.Parse(link)
	if err != nil || !strings.HasSuffix(u.Path, "/users/delta") && !strings.HasSuffix(u.Path, "/users/microsoft.graph.delta") {
		return "", fmt.Errorf("the stored delta link %q is not a users delta link", link)
	}
	return s.b.base + "/users/delta?" + u.RawQuery, nil
}

// Library implements [entra.SharePoint]: the site by path, then its
// libraries; the folder's first segments name the library as its URL
// does ("Shared Documents"), the rest is the folder inside it.
func (s *SharePoint) Library(ctx context.Context, siteURL, folder string) (entra.Library, error) {
	u, err := url.Parse(siteURL)
	if err != nil || u.Host == "" {
		return entra.Library{}, fmt.Errorf("site %q is not an absolute URL", siteURL)
	}
	// A host's root site is /sites/{hostname}: the by-path form needs a
	// path after its colon (site-get, site-getbypath).
	sitePath := "sites/" + u.Host
	if p := strings.TrimSuffix(u.EscapedPath(), "/"); p != "" {
		sitePath += ":" + p
	}
	docs, err := s.b.Documents(ctx, []string{sitePath})
	if err != nil {
		return entra.Library{}, err
	}
	site := docs[sitePath]
	if site == nil {
		return entra.Library{}, fmt.Errorf("site %s not found", siteURL)
	}
	siteID, _ := site["id"].(string)
	siteWeb, _ := site["webUrl"].(string)
	drives, err := s.b.Collection(ctx, "sites/"+siteID+"/drives")
	if err != nil {
		return entra.Library{}, err
	}
	folder = strings.Trim(folder, "/")
	for _, d := range drives {
		web, _ := d["webUrl"].(string)
		rel, err := url.PathUnescape(strings.TrimPrefix(web, strings.TrimSuffix(siteWeb, "/")+"/"))
		if err != nil || rel == "" {
			continue
		}
		if rest, ok := model.CutPrefixFold(folder, rel); ok && (rest == "" || rest[0] == '/') {
			id, _ := d["id"].(string)
			return entra.Library{SiteID: siteID, DriveID: id, WebURL: web, Folder: strings.TrimPrefix(rest, "/")}, nil
		}
	}
	return entra.Library{}, fmt.Errorf("no document library of site %s holds folder %q", siteURL, folder)
}

// ReadFile implements [entra.SharePoint]: the item's metadata, then its
// content from the pre-authenticated download URL in it.
func (s *SharePoint) ReadFile(ctx context.Context, driveID, path string) (entra.File, error) {
	item := entra.DriveItemPath(driveID, path)
	docs, err := s.b.Documents(ctx, []string{item})
	if err != nil || docs[item] == nil {
		return entra.File{}, err
	}
	f := entra.File{Meta: docs[item]}
	download, _ := f.Meta["@microsoft.graph.downloadUrl"].(string)
	if download == "" {
		return f, fmt.Errorf("GET %s: no download URL in the answer", item)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, download, nil)
	if err != nil {
		return f, err
	}
	// The download URL carries its own short-lived authorization; it must
	// not get a token (the SDK's client follows the same rule).
	resp, err := s.plain.Do(req)
	if err != nil {
		return f, fmt.Errorf("downloading %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return f, fmt.Errorf("downloading %s: %s", path, resp.Status)
	}
	f.Content, err = io.ReadAll(resp.Body)
	return f, err
}

// WriteFile implements [entra.SharePoint] with a simple upload (PUT
// …/content, up to 250 MB).
func (s *SharePoint) WriteFile(ctx context.Context, driveID, path string, content []byte) (entra.File, error) {
	u := s.b.base + "/" + entra.DriveItemPath(driveID, path) + ":/content"
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u, bytes.NewReader(content))
	if err != nil {
		return entra.File{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	var meta entra.Document
	if err := s.do(s.graph, req, &meta); err != nil {
		return entra.File{}, fmt.Errorf("uploading %s: %w", path, err)
	}
	return entra.File{Meta: withoutAnnotations(meta), Content: content}, nil
}

const tenantAdminAPI = "/_api/Microsoft.Online.SharePoint.TenantManagement.Office365Tenant/"

// admin posts a tenant admin call. The token is for the admin site as
// configured, also when URL sends the request elsewhere (the emulator).
func (s *SharePoint) admin(ctx context.Context, adminURL, call string, in, out any) error {
	adminURL = strings.TrimSuffix(adminURL, "/")
	target := adminURL
	if s.cfg.URL != "" {
		target = strings.TrimSuffix(s.cfg.URL, "/")
	}
	body, _ := json.Marshal(in)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target+tenantAdminAPI+call, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json;odata=nometadata")
	req.Header.Set("Accept", "application/json;odata=nometadata")
	req.Header.Set(resourceHeader, adminURL)
	if err := s.do(s.spo, req, out); err != nil {
		return fmt.Errorf("%s: %w", call, err)
	}
	return nil
}

// do sends a request and decodes a JSON answer, or the error body of
// Graph ({"error": …}) or SharePoint REST ({"odata.error": …}).
func (s *SharePoint) do(c *http.Client, req *http.Request, out any) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Graph struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
			SharePoint struct {
				Code    string `json:"code"`
				Message struct {
					Value string `json:"value"`
				} `json:"message"`
			} `json:"odata.error"`
		}
		_ = json.Unmarshal(data, &e)
		switch {
		case e.Graph.Message != "":
			return &graphError{Status: resp.StatusCode, Code: e.Graph.Code, Message: e.Graph.Message}
		case e.SharePoint.Message.Value != "":
			return &graphError{Status: resp.StatusCode, Code: e.SharePoint.Code, Message: e.SharePoint.Message.Value}
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

// QueueImport implements [entra.SharePoint].
func (s *SharePoint) QueueImport(ctx context.Context, adminURL string, q entra.ImportRequest) (string, error) {
	var out struct {
		Value string `json:"value"`
	}
	if err := s.admin(ctx, adminURL, "QueueImportProfileProperties", q, &out); err != nil {
		return "", err
	}
	if out.Value == "" {
		return "", errors.New("QueueImportProfileProperties answered no job id")
	}
	return out.Value, nil
}

// ImportJob implements [entra.SharePoint].
func (s *SharePoint) ImportJob(ctx context.Context, adminURL, jobID string) (entra.ImportJob, error) {
	var out struct {
		JobID        string `json:"JobId"`
		State        int    `json:"State"`
		Error        any    `json:"Error"`
		ErrorMessage string `json:"ErrorMessage"`
		LogFolderURI string `json:"LogFolderUri"`
	}
	if err := s.admin(ctx, adminURL, "GetImportProfilePropertyJob", map[string]string{"jobId": jobID}, &out); err != nil {
		return entra.ImportJob{}, err
	}
	return entra.ImportJob{ID: out.JobID, State: entra.ImportState(out.State), Error: importError(out.Error),
		ErrorMessage: out.ErrorMessage, LogFolderURI: out.LogFolderURI}, nil
}

// importError names a job's error: SharePoint's metadata types it as a
// number, PnPjs and the documentation by name; both are read.
func importError(v any) string {
	names := []string{"NoError", "InternalError", "DataFileNotExist", "DataFileNotInTenant", "DataFileTooBig", "InvalideDataFile", "ImportCompelteWithErrors"}
	switch x := v.(type) {
	case string:
		return x
	case float64:
		if i := int(x); i >= 0 && i < len(names) {
			return names[i]
		}
		return fmt.Sprint(x)
	}
	return ""
}

// Users reads the users a filter selects ("" for all) with the given
// $select, 999 a page; with ids, only those of them (15 ids a request,
// Graph's in (…) limit).
func (s *SharePoint) Users(ctx context.Context, filter string, ids, selectProps []string) ([]entra.Document, error) {
	sel := strings.Join(selectProps, ",")
	var infos []*abstractions.RequestInformation
	switch {
	case ids == nil:
		q := map[string]string{"$select": sel, "$top": "999"}
		if filter != "" {
			q["$filter"] = filter
		}
		infos = append(infos, s.b.get("/users", q, filter != ""))
	default:
		for i := 0; i < len(ids); i += maxInValues {
			chunk := ids[i:min(i+maxInValues, len(ids))]
			quoted := make([]string, len(chunk))
			for j, v := range chunk {
				quoted[j] = quote(v)
			}
			f := "id in (" + strings.Join(quoted, ",") + ")"
			if filter != "" {
				f = "(" + filter + ") and " + f
			}
			infos = append(infos, s.b.get("/users", map[string]string{"$select": sel, "$filter": f, "$top": "999"}, true))
		}
	}
	pages, err := listAll[json.RawMessage](ctx, s.b, infos)
	if err != nil {
		return nil, fmt.Errorf("GET /users: %w", err)
	}
	var out []entra.Document
	for _, p := range pages {
		for _, raw := range p {
			var doc entra.Document
			if err := json.Unmarshal(raw, &doc); err != nil {
				return nil, err
			}
			out = append(out, withoutAnnotations(doc))
		}
	}
	return out, nil
}

package sim

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	pathpkg "path"
	"slices"
	"strings"
	"time"

	"github.com/entrasync/entrasync/internal/model"
)

// Sites, their document libraries (Graph drives) and their files, as the
// profile import reads and writes them: site-get, site-getbypath,
// drive-list, driveitem-get-content and driveitem-put-content.

// getSite is GET /sites/{site-id}, /sites/{hostname}:/{server-relative-path},
// /sites/{hostname} (that host's root site) and /sites/root (the tenant's
// root site) (site-get, site-getbypath).
func (s *Server) getSite(w http.ResponseWriter, r *http.Request) {
	rest := r.PathValue("rest")
	var site *Site
	switch host, path, byPath := strings.Cut(rest, ":"); {
	case byPath && !strings.HasPrefix(path, "/"):
		writeError(w, r, http.StatusBadRequest, "invalidRequest", "A site path is {hostname}:/{server-relative-path}.")
		return
	case byPath:
		site = s.siteByURL("https://" + host + strings.TrimSuffix(path, ":"))
	case strings.EqualFold(rest, "root"):
		site = s.rootSite()
	case strings.Contains(rest, ","):
		site = s.siteByID(rest)
	default:
		site = s.siteByURL("https://" + rest)
	}
	if site == nil {
		writeError(w, r, http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#sites/$entity",
		"id":             site.ID, "webUrl": site.URL, "displayName": site.DisplayName,
		"name":            site.URL[strings.LastIndex(site.URL, "/")+1:],
		"createdDateTime": nullIfEmpty(site.CreatedDateTime), "lastModifiedDateTime": nullIfEmpty(site.lastModified()),
	})
}

// rootSite is the tenant's root site: the one at a host's root.
func (s *Server) rootSite() *Site {
	if s.t.spo == nil {
		return nil
	}
	for _, site := range s.t.spo.Sites {
		if u, err := url.Parse(site.URL); err == nil && strings.Trim(u.Path, "/") == "" && !strings.Contains(u.Host, "-my.") {
			return site
		}
	}
	return nil
}

// lastModified is the latest write to any of the site's files, or its
// creation.
func (site *Site) lastModified() string {
	last := site.CreatedDateTime
	for _, d := range site.Drives {
		last = max(last, d.lastModified(site))
	}
	return last
}

func (d *Drive) lastModified(site *Site) string {
	last := site.CreatedDateTime
	for _, f := range d.Files {
		last = max(last, f.Modified)
	}
	return last
}

func (s *Server) siteByURL(u string) *Site {
	if s.t.spo == nil {
		return nil
	}
	u = strings.TrimSuffix(u, "/")
	for _, site := range s.t.spo.Sites {
		if strings.EqualFold(site.URL, u) {
			return site
		}
	}
	return nil
}

func (s *Server) siteByID(id string) *Site {
	if s.t.spo == nil {
		return nil
	}
	for _, site := range s.t.spo.Sites {
		if strings.EqualFold(site.ID, id) {
			return site
		}
	}
	return nil
}

func (s *Server) listDrives(w http.ResponseWriter, r *http.Request) {
	site := s.siteByID(r.PathValue("site"))
	if site == nil {
		writeError(w, r, http.StatusNotFound, "itemNotFound", "Requested site could not be found")
		return
	}
	var value []any
	for _, d := range site.Drives {
		value = append(value, map[string]any{"id": d.ID, "name": d.Name, "driveType": "documentLibrary", "description": "",
			"webUrl": site.URL + "/" + escapePath(d.URLName), "createdDateTime": nullIfEmpty(site.CreatedDateTime),
			"lastModifiedDateTime": nullIfEmpty(d.lastModified(site))})
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#drives", "value": value})
}

// escapePath escapes each segment of a path as SharePoint's webUrls do.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func (s *Server) drive(id string) (*Site, *Drive) {
	if s.t.spo == nil {
		return nil, nil
	}
	for _, site := range s.t.spo.Sites {
		for _, d := range site.Drives {
			if d.ID == id {
				return site, d
			}
		}
	}
	return nil, nil
}

// driveItem is a drive's item by path, /drives/{id}/root:/{path}[:] (also
// items/root:/{path}), or by id, /drives/{id}/items/{item-id}: its
// metadata, or with /content its bytes. PUT …/content uploads (201 new,
// 200 replaced); GET …/content answers 302 to a pre-authenticated
// download URL, or 304 when If-None-Match holds the item's eTag or cTag
// (driveitem-get-content, driveitem-put-content).
func (s *Server) driveItem(w http.ResponseWriter, r *http.Request) {
	site, d := s.drive(r.PathValue("drive"))
	if d == nil {
		writeError(w, r, http.StatusNotFound, "itemNotFound", "The resource could not be found.")
		return
	}
	path, f, content, ok := s.itemAddress(w, r, d)
	if !ok {
		return
	}
	if r.Method == http.MethodPut {
		if !content {
			writeError(w, r, http.StatusBadRequest, "invalidRequest", "Upload to {path}:/content.")
			return
		}
		data, err := io.ReadAll(io.LimitReader(r.Body, maxSimpleUpload+1))
		if err != nil || len(data) > maxSimpleUpload {
			writeError(w, r, http.StatusRequestEntityTooLarge, "invalidRequest", "Simple upload is limited to 250 MB; use an upload session.")
			return
		}
		if d.Files == nil {
			d.Files = map[string]*File{}
		}
		status := http.StatusOK // replacing, as the default conflict behaviour does
		if f == nil {
			f = &File{ID: newItemID()}
			d.Files[path] = f
			status = http.StatusCreated
		}
		f.Content, f.Modified = data, s.opts.Now().UTC().Format(time.RFC3339)
		f.Version++
		writeJSON(w, status, s.itemBody(r, site, d, path, f))
		return
	}
	if f == nil {
		writeError(w, r, http.StatusNotFound, "itemNotFound", "The resource could not be found.")
		return
	}
	body := s.itemBody(r, site, d, path, f)
	if !content {
		// OneDrive's API takes its query options with or without "$".
		sel := r.URL.Query().Get("$select")
		if sel == "" {
			sel = r.URL.Query().Get("select")
		}
		if sel != "" {
			body = selectOnly(body, strings.Split(sel, ","))
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	if tag := r.Header.Get("If-None-Match"); tag != "" && (tag == body["eTag"] || tag == body["cTag"]) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	http.Redirect(w, r, downloadURL(r, f), http.StatusFound)
}

// itemAddress reads the item a drive path names: its path under the
// library's root, the file there (nil when none), and whether the content
// is addressed. A file addressed by id must exist.
func (s *Server) itemAddress(w http.ResponseWriter, r *http.Request, d *Drive) (path string, f *File, content, ok bool) {
	rest := r.PathValue("rest")
	if after, byRoot := strings.CutPrefix(rest, "items/root:"); byRoot {
		rest = "root:" + after
	}
	if after, byID := strings.CutPrefix(rest, "items/"); byID {
		id, tail, _ := strings.Cut(after, "/")
		if tail != "" && tail != "content" {
			writeError(w, r, http.StatusBadRequest, "invalidRequest", "Only items/{item-id} and items/{item-id}/content are supported.")
			return "", nil, false, false
		}
		for p, file := range d.Files {
			if strings.EqualFold(file.ID, id) {
				return p, file, tail == "content", true
			}
		}
		writeError(w, r, http.StatusNotFound, "itemNotFound", "The resource could not be found.")
		return "", nil, false, false
	}
	rest, byPath := strings.CutPrefix(rest, "root:/")
	if !byPath {
		writeError(w, r, http.StatusBadRequest, "invalidRequest", "Only root:/{path} and items/{item-id} item addresses are supported.")
		return "", nil, false, false
	}
	path, content = strings.CutSuffix(rest, ":/content")
	path = strings.Trim(strings.TrimSuffix(path, ":"), "/")
	if path == "" || strings.Contains(path, "//") || slices.Contains(strings.Split(path, "/"), "..") {
		writeError(w, r, http.StatusBadRequest, "invalidRequest", "Invalid path.")
		return "", nil, false, false
	}
	return path, d.Files[path], content, true
}

// newItemID is a drive item id in SharePoint's form (26 upper-case
// characters).
func newItemID() string { return strings.ToUpper(strings.ReplaceAll(newID(), "-", ""))[:26] }

// maxSimpleUpload is Graph's limit on PUT …/content (driveitem-put-content).
const maxSimpleUpload = 250 << 20

func downloadURL(r *http.Request, f *File) string {
	return strings.TrimSuffix(baseURL(r), "/v1.0") + "/_layouts/15/download.aspx?UniqueId=" + f.ID + "&tempauth=emulator"
}

func (s *Server) itemBody(r *http.Request, site *Site, d *Drive, path string, f *File) map[string]any {
	return map[string]any{"id": f.ID, "name": path[strings.LastIndex(path, "/")+1:], "size": len(f.Content),
		"eTag": fmt.Sprintf("\"{%s},%d\"", f.ID, f.Version), "cTag": fmt.Sprintf("\"c:{%s},%d\"", f.ID, f.Version),
		"lastModifiedDateTime": f.Modified, "webUrl": site.URL + "/" + escapePath(d.URLName+"/"+path),
		"file": map[string]any{"mimeType": mimeType(path)}, "@microsoft.graph.downloadUrl": downloadURL(r, f)}
}

// mimeType is a file's type as its name's extension gives it.
func mimeType(name string) string {
	t, _, _ := strings.Cut(mime.TypeByExtension(pathpkg.Ext(name)), ";")
	if t == "" {
		return "application/octet-stream"
	}
	return t
}

// download serves a pre-authenticated download URL: no token needed, as
// SharePoint's tempauth URLs need none. A Range header is honoured (206
// with Content-Range), as the download page describes.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("UniqueId")
	if s.t.spo != nil {
		for _, site := range s.t.spo.Sites {
			for _, d := range site.Drives {
				for _, f := range d.Files {
					if f.ID == id {
						w.Header().Set("Content-Type", "application/octet-stream")
						modified, _ := time.Parse(time.RFC3339, f.Modified)
						http.ServeContent(w, r, "", modified, bytes.NewReader(f.Content))
						return
					}
				}
			}
		}
	}
	http.NotFound(w, r)
}

// fileAt finds a file by its absolute URL.
func (s *Server) fileAt(uri string) (site *Site, d *Drive, path string, f *File) {
	if s.t.spo == nil {
		return nil, nil, "", nil
	}
	unescaped, err := url.PathUnescape(uri)
	if err == nil {
		uri = unescaped
	}
	for _, st := range s.t.spo.Sites {
		rest, ok := model.CutPrefixFold(uri, st.URL+"/")
		if !ok {
			continue
		}
		for _, dr := range st.Drives {
			if p, ok := model.CutPrefixFold(rest, dr.URLName+"/"); ok {
				return st, dr, p, dr.Files[p]
			}
		}
	}
	return nil, nil, "", nil
}

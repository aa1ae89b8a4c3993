package entra

import (
	"context"
	"errors"
	"net/url"
	"strings"
)

// SharePoint is what profile mappings need besides directory reads: the
// users delta, a site's document library, and SharePoint Online's bulk
// user-profile import (tenant admin REST calls, another resource than
// Graph, with its own token).
type SharePoint interface {
	// UserChanges reads one users delta round with the given $select:
	// every user when link is "", none when it is "latest" (Graph's "sync
	// from now"), the changes since a stored deltaLink otherwise. It returns the users (removed ones carry "@removed") and
	// the deltaLink to store. An expired link is [ErrDeltaExpired].
	UserChanges(ctx context.Context, selectProps []string, link string) ([]Document, string, error)
	// Users reads the users an OData filter selects ("" for all) with the
	// given $select; with ids, only those of them.
	Users(ctx context.Context, filter string, ids, selectProps []string) ([]Document, error)
	// Library finds the document library a site's server-relative folder
	// ("Shared Documents/User Profile Sync") lies in.
	Library(ctx context.Context, siteURL, folder string) (Library, error)
	// ReadFile reads a file of a library; Meta is nil when there is none.
	ReadFile(ctx context.Context, driveID, path string) (File, error)
	// WriteFile uploads a file, replacing one that is there.
	WriteFile(ctx context.Context, driveID, path string, content []byte) (File, error)
	// QueueImport queues a bulk import (QueueImportProfileProperties) on
	// the tenant's SharePoint admin site and returns the job id.
	QueueImport(ctx context.Context, adminURL string, req ImportRequest) (string, error)
	// ImportJob reads a job's state (GetImportProfilePropertyJob).
	ImportJob(ctx context.Context, adminURL, jobID string) (ImportJob, error)
}

// ErrDeltaExpired is a deltaLink Graph no longer honours (410 Gone, or a
// token too old to resume from): the reader starts a full round.
var ErrDeltaExpired = errors.New("the delta token expired")

// Library is a document library and a folder in it.
type Library struct {
	SiteID  string
	DriveID string
	// WebURL is the library's URL ("https://…/sites/hr/Shared%20Documents").
	WebURL string
	// Folder is the folder's path inside the library ("User Profile Sync"),
	// "" for its root.
	Folder string
}

// Path is a file's path inside the library, under the folder.
func (l Library) Path(name string) string {
	if l.Folder == "" {
		return name
	}
	return l.Folder + "/" + name
}

// File is a library file: its metadata as Graph returns it (eTag,
// webUrl, …) and, for reads, its content.
type File struct {
	Meta    Document
	Content []byte
}

// WebURL is the file's absolute URL, as the import job's sourceUri wants.
func (f File) WebURL() string {
	s, _ := f.Meta["webUrl"].(string)
	return s
}

// DriveItemPath is the Graph path of a library item's metadata, each
// segment escaped: "drives/{id}/root:/{path}".
func DriveItemPath(driveID, path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return "drives/" + driveID + "/root:/" + strings.Join(segs, "/")
}

// ImportIDType is how the import matches a record to a profile
// (ImportProfilePropertiesUserIdType).
type ImportIDType int

// The id types, as SharePoint numbers them.
const (
	IDTypeEmail         ImportIDType = 0
	IDTypeCloudID       ImportIDType = 1
	IDTypePrincipalName ImportIDType = 2
)

// ParseIDType maps the configuration's idType to SharePoint's number.
func ParseIDType(s string) (ImportIDType, bool) {
	switch s {
	case "Email":
		return IDTypeEmail, true
	case "CloudId":
		return IDTypeCloudID, true
	case "PrincipalName":
		return IDTypePrincipalName, true
	}
	return 0, false
}

// ImportRequest is QueueImportProfileProperties's arguments.
type ImportRequest struct {
	IDType     ImportIDType `json:"idType"`
	IDProperty string       `json:"sourceDataIdProperty"`
	// PropertyMap maps a field of the file to a profile property.
	PropertyMap map[string]string `json:"propertyMap"`
	SourceURI   string            `json:"sourceUri"`
}

// ImportState is a job's state (ImportProfilePropertiesJobState).
type ImportState int

// The states.
const (
	ImportUnknown    ImportState = 0
	ImportSubmitted  ImportState = 1
	ImportProcessing ImportState = 2
	ImportQueued     ImportState = 3
	ImportSucceeded  ImportState = 4
	ImportError      ImportState = 5
)

// Done reports whether the job finished.
func (s ImportState) Done() bool { return s == ImportSucceeded || s == ImportError }

func (s ImportState) String() string {
	switch s {
	case ImportSubmitted:
		return "Submitted"
	case ImportProcessing:
		return "Processing"
	case ImportQueued:
		return "Queued"
	case ImportSucceeded:
		return "Succeeded"
	case ImportError:
		return "Error"
	case ImportUnknown:
	}
	return "Unknown"
}

// ImportJob is a job's state as GetImportProfilePropertyJob reports it.
type ImportJob struct {
	ID    string
	State ImportState
	// Error is the job's error name ("NoError", "ImportCompelteWithErrors",
	// … as SharePoint spells them) and ErrorMessage its text.
	Error        string
	ErrorMessage string
	// LogFolderURI is the folder SharePoint wrote the job's log to.
	LogFolderURI string
}

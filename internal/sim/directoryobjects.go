package sim

import (
	"net/http"
	"strings"
)

// getByIDsLimit is how many ids one getByIds call takes (Graph docs:
// directoryObject: getByIds, "You can specify up to 1000 ids").
const getByIDsLimit = 1000

func (s *Server) routeDirectoryObjects() {
	s.mux.HandleFunc("GET /v1.0/directoryObjects/{id}", s.getDirectoryObject)
	s.mux.HandleFunc("POST /v1.0/directoryObjects/getByIds", s.getDirectoryObjectsByIDs)
}

// getDirectoryObject is GET /directoryObjects/{id}: any object of the
// directory, typed by @odata.type, with its type's default properties
// (Graph docs: Get directoryObject). Clients that only hold an id use it
// to learn what the object is: the Terraform azuread provider looks each
// group owner up this way before creating a group.
func (s *Server) getDirectoryObject(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := s.directoryObject(id, lq.sel)
	if body == nil || s.lagged(id) {
		notFound(w, r, id)
		return
	}
	withoutUnsetExtensions(body)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#directoryObjects" + lq.contextSelection(body) + "/$entity"
	writeJSON(w, http.StatusOK, body)
}

// getDirectoryObjectsByIDs is POST /directoryObjects/getByIds: the objects
// among ids, optionally only of the given types (case-insensitive, with or
// without the microsoft.graph. prefix), with all their properties (Graph
// docs: directoryObject: getByIds). An id that names nothing is left out.
func (s *Server) getDirectoryObjectsByIDs(w http.ResponseWriter, r *http.Request) {
	var in struct {
		IDs   []string `json:"ids"`
		Types []string `json:"types"`
	}
	if !decodeBody(w, r, &in) {
		return
	}
	if len(in.IDs) == 0 || len(in.IDs) > getByIDsLimit {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"Invalid value specified for property 'ids': give between 1 and 1000 ids.")
		return
	}
	wanted := map[string]bool{}
	for _, t := range in.Types {
		name := strings.TrimPrefix(lower(t), "microsoft.graph.")
		if name == "directoryobject" {
			wanted = map[string]bool{}
			break
		}
		wanted["#microsoft.graph."+name] = true
	}
	items := []map[string]any{}
	for _, id := range in.IDs {
		obj, typ, ok := s.t.object(id)
		if !ok || s.lagged(id) || len(wanted) > 0 && !wanted[lower(typ)] {
			continue
		}
		p := propsOf(obj)
		withoutUnsetExtensions(p)
		p["@odata.type"] = typ
		items = append(items, p)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#directoryObjects",
		"value":          items,
	})
}

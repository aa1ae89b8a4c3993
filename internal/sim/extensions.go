package sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// Open extensions (Graph v1.0: opentypeextension, "Add custom data to
// resources using extensions") on groups, where entrasync keeps its
// ownership marker, and on the organization, where it records which
// objects without extensions of their own (cross-tenant partners) a
// configuration manages.

func (s *Server) routeExtensions() {
	for _, owner := range []string{"groups", "organization"} {
		base := "/v1.0/" + owner + "/{id}/extensions"
		s.mux.HandleFunc("GET "+base, s.listExtensions)
		s.mux.HandleFunc("POST "+base, s.createExtension)
		s.mux.HandleFunc("GET "+base+"/{name}", s.getExtension)
		s.mux.HandleFunc("PATCH "+base+"/{name}", s.updateExtension)
		s.mux.HandleFunc("DELETE "+base+"/{name}", s.deleteExtension)
	}
}

// maxExtensionData is the data an open extension may hold: "Open
// extensions ... up to 2 KB of data" (Graph: extensibility overview,
// open extension limits).
const maxExtensionData = 2048

// extensions finds the extension set of the object the request names:
// a group or the organization. context is its @odata.context prefix.
func (s *Server) extensions(w http.ResponseWriter, r *http.Request) (exts *map[string]map[string]any, context string, ok bool) {
	id := r.PathValue("id")
	if strings.HasPrefix(r.URL.Path, "/v1.0/organization/") {
		if !strings.EqualFold(id, s.t.id) {
			writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "Resource '"+id+"' does not exist or one of its queried reference-property objects are not present.")
			return nil, "", false
		}
		return &s.t.orgExtensions, "organization('" + s.t.id + "')", true
	}
	g, ok := s.group(w, r)
	if !ok {
		return nil, "", false
	}
	return &g.Extensions, "groups('" + g.ID + "')", true
}

func extensionBody(name string, props map[string]any) map[string]any {
	out := maps.Clone(props)
	out["@odata.type"] = "#microsoft.graph.openTypeExtension"
	out["extensionName"] = name
	out["id"] = name
	return out
}

func extensionList(exts map[string]map[string]any) []map[string]any {
	return expandedExtensions(exts, expansion{})
}

// expandedExtensions is an object's open extensions as $expand embeds
// them: those its nested $filter keeps (on the id, which for a directory
// object is the extension's name).
func expandedExtensions(exts map[string]map[string]any, e expansion) []map[string]any {
	list := []map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(exts)) {
		body := extensionBody(name, exts[name])
		if e.filter == nil || match(e.filter, body, nil) {
			list = append(list, body)
		}
	}
	return list
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request) {
	exts, ctx, ok := s.extensions(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#" + ctx + "/extensions",
		"value":          extensionList(*exts),
	})
}

// extensionInput strips the fields Graph owns from a request body.
func extensionInput(in map[string]any) (string, map[string]any) {
	name, _ := in["extensionName"].(string)
	props := maps.Clone(in)
	for _, k := range []string{"@odata.type", "extensionName", "id"} {
		delete(props, k)
	}
	return name, props
}

// tooLarge answers 413 when an extension's data would exceed the limit.
func tooLarge(w http.ResponseWriter, r *http.Request, props map[string]any) bool {
	data, _ := json.Marshal(props)
	if len(data) <= maxExtensionData {
		return false
	}
	writeError(w, r, http.StatusRequestEntityTooLarge, "Request_EntityTooLarge", "The open extension exceeds the maximum size of 2 KB.")
	return true
}

// createExtension is POST .../extensions with
// {"@odata.type":"microsoft.graph.openTypeExtension","extensionName":…}:
// 201; a second extension of the same name is a conflict.
func (s *Server) createExtension(w http.ResponseWriter, r *http.Request) {
	exts, ctx, ok := s.extensions(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	name, props := extensionInput(in)
	if name == "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest", "Invalid value specified for property 'extensionName' of resource 'OpenTypeExtension'.")
		return
	}
	if _, dup := (*exts)[name]; dup {
		writeError(w, r, http.StatusConflict, "NameAlreadyExists", "An extension already exists with given id.")
		return
	}
	if tooLarge(w, r, props) {
		return
	}
	if *exts == nil {
		*exts = map[string]map[string]any{}
	}
	(*exts)[name] = props
	body := extensionBody(name, props)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#" + ctx + "/extensions/$entity"
	writeJSON(w, http.StatusCreated, body)
}

// extension finds the extension the request names: the set it is in,
// its name, and the set's @odata.context prefix.
func (s *Server) extension(w http.ResponseWriter, r *http.Request) (set *map[string]map[string]any, name, context string, ok bool) {
	set, context, ok = s.extensions(w, r)
	if !ok {
		return nil, "", "", false
	}
	name = r.PathValue("name")
	if _, ok := (*set)[name]; !ok {
		writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "The extension '"+name+"' was not found.")
		return nil, "", "", false
	}
	return set, name, context, true
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request) {
	set, name, ctx, ok := s.extension(w, r)
	if !ok {
		return
	}
	body := extensionBody(name, (*set)[name])
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#" + ctx + "/extensions/$entity"
	writeJSON(w, http.StatusOK, body)
}

// updateExtension is PATCH, which replaces the extension's data with the
// body's: a property left out is deleted, one sent as null keeps its name
// with no data ("Update open extension", request body; CLI for Microsoft
// 365 re-sends every property for users, groups, devices and the
// organization for that reason). The body must name the extension. It
// answers 204, as every directory object's PATCH does; the page shows
// 200 with the extension, for Outlook items only.
func (s *Server) updateExtension(w http.ResponseWriter, r *http.Request) {
	set, name, _, ok := s.extension(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	named, props := extensionInput(in)
	if named == "" {
		writeError(w, r, http.StatusBadRequest, "Request_BadRequest",
			"The request body must name the extension (extensionName).")
		return
	}
	if tooLarge(w, r, props) {
		return
	}
	(*set)[name] = props
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteExtension(w http.ResponseWriter, r *http.Request) {
	set, name, _, ok := s.extension(w, r)
	if !ok {
		return
	}
	delete(*set, name)
	if len(*set) == 0 {
		// No extensions is how the object started: a lock taken and
		// released leaves the saved state as it was.
		*set = nil
	}
	w.WriteHeader(http.StatusNoContent)
}

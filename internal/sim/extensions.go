package sim

import (
	"maps"
	"net/http"
	"slices"
)

// Open extensions on groups (DC group-post-extensions / opentypeextension):
// entrasync keeps its ownership marker in one named dev.entrasync.

func (s *Server) routeExtensions() {
	s.mux.HandleFunc("GET /v1.0/groups/{id}/extensions", s.listExtensions)
	s.mux.HandleFunc("POST /v1.0/groups/{id}/extensions", s.createExtension)
	s.mux.HandleFunc("GET /v1.0/groups/{id}/extensions/{name}", s.getExtension)
	s.mux.HandleFunc("PATCH /v1.0/groups/{id}/extensions/{name}", s.updateExtension)
	s.mux.HandleFunc("DELETE /v1.0/groups/{id}/extensions/{name}", s.deleteExtension)
}

func extensionBody(name string, props map[string]any) map[string]any {
	out := maps.Clone(props)
	out["@odata.type"] = "#microsoft.graph.openTypeExtension"
	out["extensionName"] = name
	out["id"] = name
	return out
}

func extensionList(g *Group) []map[string]any {
	list := []map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(g.Extensions)) {
		list = append(list, extensionBody(name, g.Extensions[name]))
	}
	return list
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#groups('" + g.ID + "')/extensions",
		"value":          extensionList(g),
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

// createExtension is POST .../extensions with
// {"@odata.type":"microsoft.graph.openTypeExtension","extensionName":…}:
// 201; a second extension of the same name is a conflict.
func (s *Server) createExtension(w http.ResponseWriter, r *http.Request) {
	g, ok := s.group(w, r)
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
	if _, dup := g.Extensions[name]; dup {
		writeError(w, r, http.StatusConflict, "NameAlreadyExists", "An extension already exists with given id.")
		return
	}
	if g.Extensions == nil {
		g.Extensions = map[string]map[string]any{}
	}
	g.Extensions[name] = props
	body := extensionBody(name, props)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#groups('" + g.ID + "')/extensions/$entity"
	writeJSON(w, http.StatusCreated, body)
}

func (s *Server) extension(w http.ResponseWriter, r *http.Request) (*Group, string, bool) {
	g, ok := s.group(w, r)
	if !ok {
		return nil, "", false
	}
	name := r.PathValue("name")
	if _, ok := g.Extensions[name]; !ok {
		writeError(w, r, http.StatusNotFound, "Request_ResourceNotFound", "The extension '"+name+"' was not found.")
		return nil, "", false
	}
	return g, name, true
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request) {
	g, name, ok := s.extension(w, r)
	if ok {
		writeJSON(w, http.StatusOK, extensionBody(name, g.Extensions[name]))
	}
}

// updateExtension is PATCH: properties given replace those stored;
// null removes one. 204.
func (s *Server) updateExtension(w http.ResponseWriter, r *http.Request) {
	g, name, ok := s.extension(w, r)
	if !ok {
		return
	}
	var in map[string]any
	if !decodeBody(w, r, &in) {
		return
	}
	_, props := extensionInput(in)
	for k, v := range props {
		if v == nil {
			delete(g.Extensions[name], k)
		} else {
			g.Extensions[name][k] = v
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteExtension(w http.ResponseWriter, r *http.Request) {
	g, name, ok := s.extension(w, r)
	if ok {
		delete(g.Extensions, name)
		w.WriteHeader(http.StatusNoContent)
	}
}

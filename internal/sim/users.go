package sim

import (
	"net/http"
	"strings"
)

// defaultUserProperties is the property set of GET /users without $select
// (graph-api.md §1.1).
var defaultUserProperties = []string{"businessPhones", "displayName", "givenName", "id", "jobTitle",
	"mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName"}

func (s *Server) routeUsers() {
	s.mux.HandleFunc("GET /v1.0/users", s.listUsers)
	s.mux.HandleFunc("GET /v1.0/users/{id}", s.getUser)
}

func (u *User) props() map[string]any {
	m := map[string]any{"businessPhones": []any{}}
	for k, v := range u.Properties {
		m[k] = v
	}
	m["id"] = u.ID
	m["userPrincipalName"] = u.UserPrincipalName
	m["displayName"] = u.DisplayName
	m["accountEnabled"] = u.AccountEnabled
	if u.Mail != "" {
		m["mail"] = u.Mail
	}
	return m
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	all := make([]map[string]any, len(s.dir.userOrder))
	for i, u := range s.dir.userOrder {
		all[i] = u.props()
	}
	page(w, r, lq, "users", selectItems(lq, all, defaultUserProperties))
}

// getUser answers /users/{id | userPrincipalName}.
func (s *Server) getUser(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	u, ok := s.dir.users[strings.ToLower(id)]
	if !ok {
		notFound(w, r, id)
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := project(u.props(), lq.sel, defaultUserProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#users/$entity"
	writeJSON(w, http.StatusOK, body)
}

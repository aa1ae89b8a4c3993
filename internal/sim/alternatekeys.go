package sim

import (
	"net/http"
	"regexp"
	"strings"
)

// alternateKeys are the paths that name an object by an alternate key
// rather than its id: /servicePrincipals(appId='…') (Get and Update
// servicePrincipal and the appRoleAssignedTo pages: "using either its id
// or appId") and /devices(deviceId='…') (Get device: "using either its id
// or deviceId").
var alternateKeys = []struct {
	path       *regexp.Regexp
	collection string
	id         func(t *tenant, key string) string
}{
	{regexp.MustCompile(`^/v1\.0/servicePrincipals\(appId='([^']*)'\)(/.*)?$`), "servicePrincipals", func(t *tenant, key string) string {
		for _, sp := range t.sps {
			if strings.EqualFold(sp.AppID, key) {
				return sp.ID
			}
		}
		return ""
	}},
	{regexp.MustCompile(`^/v1\.0/devices\(deviceId='([^']*)'\)(/.*)?$`), "devices", func(t *tenant, key string) string {
		for _, d := range t.devices {
			if strings.EqualFold(d.DeviceID, key) {
				return d.ID
			}
		}
		return ""
	}},
}

// alternateKey rewrites a path that names an object by an alternate key
// to the one that names it by id, and reports whether it did. A key no
// object has is left in the id's place, to be answered 404.
func (s *Server) alternateKey(r *http.Request) bool {
	for _, k := range alternateKeys {
		m := k.path.FindStringSubmatch(r.URL.Path)
		if m == nil {
			continue
		}
		id := k.id(s.t, m[1])
		if id == "" {
			id = m[1]
		}
		r.URL.Path, r.URL.RawPath = "/v1.0/"+k.collection+"/"+id+m[2], ""
		return true
	}
	return false
}

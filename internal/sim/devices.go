package sim

import (
	"fmt"
	"maps"
	"net/http"
)

// defaultDeviceProperties are what a device read without $select carries:
// the device resource's properties, with extensionAttributes, which the
// Get device page's second example selects.
var defaultDeviceProperties = []string{"id", "deletedDateTime", "accountEnabled", "alternativeSecurityIds",
	"approximateLastSignInDateTime", "complianceExpirationDateTime", "deviceId", "deviceMetadata", "deviceVersion",
	"displayName", "extensionAttributes", "isCompliant", "isManaged", "manufacturer", "mdmAppId", "model",
	"onPremisesLastSyncDateTime", "onPremisesSyncEnabled", "operatingSystem", "operatingSystemVersion", "physicalIds",
	"profileType", "systemLabels", "trustType"}

func (s *Server) routeDevices() {
	s.mux.HandleFunc("GET /v1.0/devices", s.listDevices)
	s.mux.HandleFunc("GET /v1.0/devices/{id}", s.getDevice)
}

func (d *Device) props() map[string]any {
	props := map[string]any{"id": d.ID, "deviceId": d.DeviceID, "displayName": d.DisplayName,
		"operatingSystem": nullIfEmpty(d.OperatingSystem), "accountEnabled": d.AccountEnabled,
		"alternativeSecurityIds": []any{}, "physicalIds": []any{}, "systemLabels": []any{}}
	for _, k := range defaultDeviceProperties {
		if _, ok := props[k]; !ok {
			props[k] = nil
		}
	}
	extensions := map[string]any{}
	for i := 1; i <= 15; i++ {
		extensions[fmt.Sprintf("extensionAttribute%d", i)] = nil
	}
	for k, v := range d.Properties {
		if given, ok := v.(map[string]any); ok && k == "extensionAttributes" {
			maps.Copy(extensions, given)
			continue
		}
		props[k] = v
	}
	props["extensionAttributes"] = extensions
	return props
}

func (s *Server) listDevices(w http.ResponseWriter, r *http.Request) {
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	all := make([]map[string]any, 0, len(s.t.deviceOrder))
	for _, id := range s.t.deviceOrder {
		all = append(all, s.t.devices[id].props())
	}
	page(w, r, lq, "devices", selectItems(lq, all, defaultDeviceProperties))
}

func (s *Server) getDevice(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	d, ok := s.t.devices[lower(id)]
	if !ok {
		notFound(w, r, id)
		return
	}
	lq, ok := parseList(w, r)
	if !ok {
		return
	}
	body := project(d.props(), lq.sel, defaultDeviceProperties)
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#devices" + lq.contextSelection(body) + "/$entity"
	writeJSON(w, http.StatusOK, body)
}

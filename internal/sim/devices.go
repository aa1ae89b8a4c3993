package sim

import "net/http"

var defaultDeviceProperties = []string{"id", "deviceId", "displayName", "operatingSystem", "accountEnabled"}

func (s *Server) routeDevices() {
	s.mux.HandleFunc("GET /v1.0/devices", s.listDevices)
	s.mux.HandleFunc("GET /v1.0/devices/{id}", s.getDevice)
}

func (d *Device) props() map[string]any {
	return map[string]any{"id": d.ID, "deviceId": d.DeviceID, "displayName": d.DisplayName,
		"operatingSystem": nullIfEmpty(d.OperatingSystem), "accountEnabled": d.AccountEnabled}
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
	body["@odata.context"] = "https://graph.microsoft.com/v1.0/$metadata#devices/$entity"
	writeJSON(w, http.StatusOK, body)
}

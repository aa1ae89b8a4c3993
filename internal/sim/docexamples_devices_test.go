package sim

// withDeviceInGroups puts DeviceA in Finance and Finance in Sales, and
// gives the device the properties the pages show.
func withDeviceInGroups(st *State) {
	st.Groups[0].Members = append(st.Groups[0].Members, deviceA)
	st.Groups[1].Members = []string{finance}
	st.Devices[0].Properties = map[string]any{"operatingSystemVersion": "10.0.19043.1165", "trustType": "AzureAd",
		"extensionAttributes": map[string]any{"extensionAttribute1": "BYOD-Device"}}
}

const deviceAKey = "e0000000-0000-4000-8000-00000000000a"

var devicePages = []docPage{
	{
		page:     "device-list.md",
		setup:    withDeviceInGroups,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: "/v1.0/devices", status: 200,
				contains: []string{`$metadata#devices"`, `"id":"` + deviceA + `"`, `"deviceId":"` + deviceAKey + `"`, `"displayName":"DeviceA"`,
					`"operatingSystem":"Windows"`, `"operatingSystemVersion":"10.0.19043.1165"`, `"accountEnabled":true`, `"trustType":"AzureAd"`,
					`"isCompliant":null`, `"physicalIds":[]`}}},
		},
	},
	{
		// A device may be named by its deviceId as well as its id. The
		// second example is a beta request.
		page:  "device-get.md",
		setup: withDeviceInGroups,
		examples: []string{
			"Example 1: Get a device",
			"Example 2: Get a device and return only its id and extensionAttributes properties",
		},
		cases: map[string][]exchange{
			"Example 1: Get a device": {
				{method: "GET", path: "/v1.0/devices/" + deviceA, status: 200,
					contains: []string{`$metadata#devices/$entity"`, `"id":"` + deviceA + `"`, `"operatingSystemVersion":"10.0.19043.1165"`}},
				{method: "GET", path: "/v1.0/devices(deviceId='" + deviceAKey + "')", status: 200, contains: []string{`"id":"` + deviceA + `"`}},
				{method: "GET", path: "/v1.0/devices(deviceId='" + deviceAKey + "')/memberOf", status: 200, contains: []string{finance}},
				{method: "GET", path: "/v1.0/devices(deviceId='" + alice + "')", status: 404},
			},
			"Example 2: Get a device and return only its id and extensionAttributes properties": {
				{method: "GET", path: "/beta/devices/" + deviceA + "?$select=id,extensionAttributes", status: 200,
					contains: []string{`$metadata#devices(id,extensionAttributes)/$entity"`, `"extensionAttribute1":"BYOD-Device"`, `"extensionAttribute15":null`},
					absent:   []string{`"displayName"`}},
			},
		},
	},
	{
		// The page's response lists a group; DeviceA is directly in Finance only.
		page:     "device-list-memberof.md",
		setup:    withDeviceInGroups,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {{method: "GET", path: "/v1.0/devices/" + deviceA + "/memberOf", status: 200,
				contains: []string{`"@odata.type":"#microsoft.graph.group"`, `"id":"` + finance + `"`, `"securityEnabled":true`, `"groupTypes":[]`},
				absent:   []string{sales}}},
		},
	},
	{
		// Through Finance, DeviceA is also in Sales.
		page:  "device-list-transitivememberof.md",
		setup: withDeviceInGroups,
		examples: []string{
			"Example 1: Get groups that the device is a transitive member of",
			"Example 2: Get only a count of all transitive membership",
			"Example 3: Use OData cast and $search to get group membership with display names that contain the letters 'Video' including a count of returned objects",
			"Example 4: Use OData cast and $filter to get membership with a display name that starts with 'A' including a count of returned objects",
		},
		cases: map[string][]exchange{
			"Example 1: Get groups that the device is a transitive member of": {{method: "GET", path: "/v1.0/devices/" + deviceA + "/transitiveMemberOf", status: 200,
				contains: []string{`"@odata.type":"#microsoft.graph.group"`, `"id":"` + finance + `"`, `"id":"` + sales + `"`}}},
			"Example 2: Get only a count of all transitive membership": {{method: "GET", path: "/v1.0/devices/" + deviceA + "/transitiveMemberOf/$count",
				headers: eventual, status: 200, contains: []string{"2"}, header: map[string]string{"Content-Type": "text/plain"}}},
			"Example 3: Use OData cast and $search to get group membership with display names that contain the letters 'Video' including a count of returned objects": {{
				method: "GET", path: `/v1.0/devices/` + deviceA + `/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$search="displayName:Sal"&$select=displayName,id`,
				headers: eventual, status: 200, contains: []string{`$metadata#groups(displayName,id)"`, `"@odata.count":1`, `"displayName":"Sales"`}, absent: []string{finance}}},
			"Example 4: Use OData cast and $filter to get membership with a display name that starts with 'A' including a count of returned objects": {{
				method: "GET", path: "/v1.0/devices/" + deviceA + "/transitiveMemberOf/microsoft.graph.group?$count=true&$orderby=displayName&$filter=startswith(displayName,%20'f')",
				headers: eventual, status: 200, contains: []string{`$metadata#groups"`, `"@odata.count":1`, `"displayName":"Finance"`}, absent: []string{sales}}},
		},
	},
	{
		// By id or by appId.
		page:     "serviceprincipal-delete.md",
		setup:    withServicePrincipals,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "DELETE", path: "/v1.0/servicePrincipals/" + robot, status: 204},
				{method: "GET", path: "/v1.0/servicePrincipals/" + robot, status: 404},
				{method: "DELETE", path: "/v1.0/servicePrincipals(appId='" + spAppID + "')", status: 204},
				{method: "GET", path: "/v1.0/servicePrincipals/" + spApp, status: 404},
				{method: "DELETE", path: "/v1.0/servicePrincipals/" + spApp, status: 404},
			},
		},
	},
}

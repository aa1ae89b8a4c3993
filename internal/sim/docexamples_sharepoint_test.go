package sim

// The SharePoint pages the profile import uses: sites, their document
// libraries, and uploading and downloading a file. The pages' examples
// use /me/drive, which an app-only caller cannot; each case shows that
// refusal and then the same request on a site's library.
const (
	teamSite   = "contoso.sharepoint.com,2c712604-1370-44e7-a1f5-426573fda80a,2d2244c3-251a-49ea-93a8-39e1c3a060fe"
	rootSiteID = "contoso.sharepoint.com,0c712604-1370-44e7-a1f5-426573fda80a,0d2244c3-251a-49ea-93a8-39e1c3a060fe"
	teamDrive  = "b!-RIj2DuyvEyV1T4NlOaMHk8XkS_I8MdFlUCq1BlcjgmhRfAj3-Z8RY2VpuvV_tpd"
	fileID     = "01BYE5RZ6QN3ZWBTUFOFD3GSPGOHDJD36K"
	fileItems  = "/v1.0/drives/" + teamDrive + "/items/"
)

// withSites sets up the tenant's root site and a team site whose library
// holds one file.
func withSites(st *State) {
	st.SharePoint = &SharePoint{Sites: []*Site{
		{ID: rootSiteID, URL: "https://contoso.sharepoint.com", DisplayName: "Communication site", CreatedDateTime: "2016-11-01T08:00:00Z",
			Drives: []*Drive{{ID: "b!root", Name: "Documents", URLName: "Shared Documents"}}},
		{ID: teamSite, URL: "https://contoso.sharepoint.com/teams/1drvteam", DisplayName: "OneDrive Team Site", CreatedDateTime: "2017-05-09T20:56:00Z",
			Drives: []*Drive{{ID: teamDrive, Name: "Documents", URLName: "Shared Documents", Files: map[string]*File{
				"Profiles/people.json": {ID: fileID, Content: []byte(`{"value":[]}`), Modified: "2017-05-10T10:00:00Z", Version: 1}}}}},
	}}
}

var sharePointPages = []docPage{
	{
		// The page's example reads a site by id; the page also names the
		// tenant's root site (/sites/root, /sites/{hostname}).
		page:     "site-get.md",
		setup:    withSites,
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "GET", path: "/v1.0/sites/" + teamSite, status: 200,
					contains: []string{`"id":"` + teamSite + `"`, `"displayName":"OneDrive Team Site"`, `"name":"1drvteam"`,
						`"createdDateTime":"2017-05-09T20:56:00Z"`, `"lastModifiedDateTime":"2017-05-10T10:00:00Z"`, `"webUrl":"https://contoso.sharepoint.com/teams/1drvteam"`}},
				{method: "GET", path: "/v1.0/sites/root", status: 200, contains: []string{`"id":"` + rootSiteID + `"`}},
				{method: "GET", path: "/v1.0/sites/contoso.sharepoint.com", status: 200, contains: []string{`"id":"` + rootSiteID + `"`}},
				{method: "GET", path: "/v1.0/sites/fabrikam.sharepoint.com", status: 404, contains: []string{`"code":"itemNotFound"`}},
			},
		},
	},
	{
		// The path follows a colon and starts with a slash.
		page:     "site-getbypath.md",
		setup:    withSites,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: "/v1.0/sites/contoso.sharepoint.com:/teams/1drvteam", status: 200,
					contains: []string{`"id":"` + teamSite + `"`, `"name":"1drvteam"`, `"createdDateTime":"2017-05-09T20:56:00Z"`}},
				{method: "GET", path: "/v1.0/sites/contoso.sharepoint.com:/teams/1drvteam:", status: 200, contains: []string{`"id":"` + teamSite + `"`}},
				{method: "GET", path: "/v1.0/sites/contoso.sharepoint.com:teams/1drvteam", status: 400},
				{method: "GET", path: "/v1.0/sites/contoso.sharepoint.com:/teams/other", status: 404},
			},
		},
	},
	{
		page:     "drive-list.md",
		setup:    withSites,
		examples: []string{"Request"},
		cases: map[string][]exchange{
			"Request": {
				{method: "GET", path: "/v1.0/me/drives", status: 400},
				{method: "GET", path: "/v1.0/sites/" + teamSite + "/drives", status: 200,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#drives"`, `"id":"` + teamDrive + `"`,
						`"name":"Documents"`, `"driveType":"documentLibrary"`, `"description":""`, `"createdDateTime":"2017-05-09T20:56:00Z"`,
						`"lastModifiedDateTime":"2017-05-10T10:00:00Z"`, `"webUrl":"https://contoso.sharepoint.com/teams/1drvteam/Shared%20Documents"`}},
			},
		},
	},
	{
		// Replacing a file's content answers 200; the page shows 201 for
		// both examples, its second a copy of the first.
		page:     "driveitem-put-content.md",
		setup:    withSites,
		examples: []string{"Example (upload a new file)", "Example (updating an existing file)"},
		cases: map[string][]exchange{
			"Example (upload a new file)": {
				{method: "PUT", path: "/v1.0/me/drive/root:/FolderA/FileB.txt:/content", body: "The contents of the file goes here.", status: 400},
				{method: "PUT", path: "/v1.0/drives/" + teamDrive + "/root:/FolderA/FileB.txt:/content", body: "The contents of the file goes here.", status: 201,
					contains: []string{`"name":"FileB.txt"`, `"size":35`, `"file":{"mimeType":"text/plain"}`}},
				{method: "GET", path: "/v1.0/drives/" + teamDrive + "/items/root:/FolderA/FileB.txt", status: 200, contains: []string{`"size":35`}},
			},
			"Example (updating an existing file)": {
				{method: "PUT", path: "/v1.0/me/drive/items/" + fileID + "/content", body: `{"value":[{"IdName":"x"}]}`, status: 400},
				{method: "PUT", path: fileItems + fileID + "/content", body: `{"value":[{"IdName":"x"}]}`, status: 200,
					contains: []string{`"id":"` + fileID + `"`, `"name":"people.json"`, `"size":26`, `"eTag":"\"{` + fileID + `},2\""`, `"mimeType":"application/json"`}},
				{method: "PUT", path: fileItems + "01NOSUCHITEM/content", body: `x`, status: 404},
			},
		},
	},
	{
		// The download redirects to a pre-authenticated URL, which the
		// test's client follows as the page says most clients do.
		page:     "driveitem-get-content.md",
		setup:    withSites,
		examples: []string{"Example", "Partial range downloads"},
		cases: map[string][]exchange{
			"Example": {
				{method: "GET", path: "/v1.0/me/drive/items/" + fileID + "/content", status: 400},
				{method: "GET", path: fileItems + fileID + "/content", status: 200, contains: []string{`{"value":[]}`}},
				{method: "GET", path: fileItems + fileID + "/content", headers: map[string]string{"If-None-Match": `"{` + fileID + `},1"`}, status: 304},
				{method: "GET", path: fileItems + fileID + "/content", headers: map[string]string{"If-None-Match": `"c:{` + fileID + `},1"`}, status: 304},
				{method: "GET", path: fileItems + fileID + "/content", headers: map[string]string{"If-None-Match": `"{` + fileID + `},0"`}, status: 200},
				// The JavaScript section's request, without "$" as OneDrive allows.
				{method: "GET", path: fileItems + fileID + "?select=id,@microsoft.graph.downloadUrl", status: 200,
					contains: []string{`"id":"` + fileID + `"`, `"@microsoft.graph.downloadUrl":"http`}, absent: []string{`"size"`, `"name"`}},
			},
			"Partial range downloads": {
				{method: "GET", path: "/_layouts/15/download.aspx?UniqueId=" + fileID + "&tempauth=emulator", headers: map[string]string{"Range": "bytes=0-7"},
					status: 206, contains: []string{`{"value"`}, absent: []string{`[]`}, header: map[string]string{"Content-Range": "bytes 0-7/12"}},
				{method: "GET", path: "/_layouts/15/download.aspx?UniqueId=" + fileID + "&tempauth=emulator", status: 200, contains: []string{`{"value":[]}`}},
			},
		},
	},
}

package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

const (
	adele = "39807bd1-3dde-48f3-8165-81ddd4e46de0"
	sku   = "184efa21-98c3-4e5d-95ab-d07053a96e67"
)

// userPages are the documentation pages of the user collection and the
// user entity.
var userPages = []docPage{
	{
		page: "user-list.md",
		// A guest from another tenant, a local account's sign-in name,
		// a sign-in record and a schema extension value.
		setup: func(st *State) {
			st.Users = append(st.Users, &User{ID: adele, UserPrincipalName: "AdeleV_adatum.com#EXT#@contoso.com", DisplayName: "Adele Vance",
				Mail: "AdeleV@adatum.com", UserType: "Guest", AccountEnabled: true,
				Properties: map[string]any{"identities": []any{map[string]any{"signInType": "userPrincipalName", "issuer": "contoso.com",
					"issuerAssignedId": "AdeleV_adatum.com#EXT#@contoso.com"}}}})
			st.Users[2].Properties["identities"] = []any{map[string]any{"signInType": "emailAddress", "issuer": "My B2C tenant", "issuerAssignedId": "j.smith@yahoo.com"}}
			st.Users[0].Properties["signInActivity"] = map[string]any{"lastSignInDateTime": "2026-06-17T16:41:33Z",
				"lastSignInRequestId": "d4d31c40-4c36-4775-ad59-7d1e6a171f00", "lastNonInteractiveSignInDateTime": "0001-01-01T00:00:00Z",
				"lastNonInteractiveSignInRequestId": ""}
			st.Users[0].Properties["ext55gb1l09_msLearnCourses"] = map[string]any{"@odata.type": "#microsoft.graph.ComplexExtensionValue",
				"courseType": "Developer", "courseName": "Introduction to Microsoft Graph", "courseId": 1}
		},
		examples: []string{
			"Example 1: Get all users",
			"Example 2: Get a user account using a sign-in name",
			"Example 3: Get only a count of users",
			"Example 4: Use $filter and $top to get one user with a display name that starts with 'a' including a count of returned objects",
			"Example 5: Use $filter to get all users with a mail that ends with 'a@contoso.com', including a count of returned objects, with the results ordered by userPrincipalName",
			"Example 6: Use $search to get users with display names that contain the letters 'wa' including a count of returned objects",
			"Example 7: Use $search to get users with display names that contain the letters 'wa' or the letters 'ad' including a count of returned objects",
			"Example 8: Get guest (B2B) users from a specific tenant or domain by userPrincipalName",
			"Example 9: Use $filter to get users who are assigned a specific license",
			"Example 10: Get the value of a schema extension for all users",
			"Example 11: Get users including their last sign-in time",
		},
		cases: map[string][]exchange{
			"Example 1: Get all users": {{method: "GET", path: "/v1.0/users", status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users"`, `"businessPhones":[]`, `"givenName":null`,
					`"mobilePhone":null`, `"officeLocation":null`, `"preferredLanguage":null`, `"surname":null`, `"userPrincipalName":"alice@contoso.com"`},
				absent: []string{`"accountEnabled"`, `"identities"`, "signInActivity"}}},
			"Example 2: Get a user account using a sign-in name": {{method: "GET",
				path: "/v1.0/users?$select=displayName,id&$filter=identities/any(c:c/issuerAssignedId%20eq%20'j.smith@yahoo.com'%20and%20c/issuer%20eq%20'My%20B2C%20tenant')", status: 200,
				contains: []string{carol, `"displayName":"Carol"`}, absent: []string{alice, adele}}},
			"Example 3: Get only a count of users": {{method: "GET", path: "/v1.0/users/$count", headers: eventual, status: 200,
				contains: []string{"4"}, header: map[string]string{"Content-Type": "text/plain"}}},
			"Example 4: Use $filter and $top to get one user with a display name that starts with 'a' including a count of returned objects": {{method: "GET",
				path: "/v1.0/users?$filter=startswith(displayName,'a')&$orderby=displayName&$count=true&$top=1", headers: eventual, status: 200,
				contains: []string{`"@odata.count":2`, adele, "@odata.nextLink"}, absent: []string{alice}}},
			"Example 5: Use $filter to get all users with a mail that ends with 'a@contoso.com', including a count of returned objects, with the results ordered by userPrincipalName": {{method: "GET",
				path: "/v1.0/users?$filter=endswith(mail,'e@contoso.com')&$orderby=userPrincipalName&$count=true", headers: eventual, status: 200,
				contains: []string{`"@odata.count":1`, alice}, absent: []string{adele}}},
			"Example 6: Use $search to get users with display names that contain the letters 'wa' including a count of returned objects": {{method: "GET",
				path: `/v1.0/users?$search="displayName:va"&$orderby=displayName&$count=true`, headers: eventual, status: 200,
				contains: []string{`"@odata.count":1`, adele}, absent: []string{alice}}},
			// The page's request lacks the = after $orderby; Graph
			// answers it all the same.
			"Example 7: Use $search to get users with display names that contain the letters 'wa' or the letters 'ad' including a count of returned objects": {{method: "GET",
				path: `/v1.0/users?$search="displayName:va"%20OR%20"displayName:car"&$orderbydisplayName&$count=true`, headers: eventual, status: 200,
				contains: []string{`"@odata.count":2`, adele, carol}, absent: []string{alice}}},
			"Example 8: Get guest (B2B) users from a specific tenant or domain by userPrincipalName": {{method: "GET",
				path: "/v1.0/users?$select=id,displayName,mail,identities&$filter=endsWith(userPrincipalName,'%23EXT%23@contoso.com')&$count=true", headers: eventual, status: 200,
				contains: []string{`$metadata#users(id,displayName,mail,identities)"`, `"@odata.count":1`, adele, `"issuerAssignedId":"AdeleV_adatum.com#EXT#@contoso.com"`},
				absent:   []string{alice}}},
			// The sku id is a GUID literal, unquoted.
			"Example 9: Use $filter to get users who are assigned a specific license": {{method: "GET",
				path: "/v1.0/users?$select=id,mail,assignedLicenses&$filter=assignedLicenses/any(u:u/skuId%20eq%20" + sku + ")", status: 200,
				contains: []string{`$metadata#users(id,mail,assignedLicenses)"`, alice, `"skuId":"` + sku + `"`}, absent: []string{bob, adele}}},
			// An unset extension property is left out, not null.
			"Example 10: Get the value of a schema extension for all users": {{method: "GET", path: "/v1.0/users?$select=ext55gb1l09_msLearnCourses", status: 200,
				contains: []string{`$metadata#users(ext55gb1l09_msLearnCourses)"`, `"courseType":"Developer"`, `"@odata.type":"#microsoft.graph.ComplexExtensionValue"`},
				absent:   []string{`"ext55gb1l09_msLearnCourses":null`}}},
			"Example 11: Get users including their last sign-in time": {{method: "GET", path: "/v1.0/users?$select=displayName,userPrincipalName,signInActivity", status: 200,
				contains: []string{`$metadata#users(displayName,userPrincipalName,signInActivity)"`, `"lastSignInDateTime":"2026-06-17T16:41:33Z"`, `"id":"` + alice}}},
		},
	},
	{
		page: "user-get.md",
		setup: func(st *State) {
			st.Users[0].Properties["postalCode"] = "98004"
			st.Users[0].Properties["identities"] = []any{map[string]any{"signInType": "userPrincipalName", "issuer": "contoso.com", "issuerAssignedId": "alice@contoso.com"}}
			st.Users[0].Properties["ext55gb1l09_msLearnCourses"] = map[string]any{"@odata.type": "#microsoft.graph.ComplexExtensionValue", "courseType": "Developer"}
			st.Users[0].Properties["customSecurityAttributes"] = map[string]any{"Marketing": map[string]any{
				"@odata.type": "#microsoft.graph.customSecurityAttributeValue", "EmployeeId": "QN26904"}}
		},
		examples: []string{
			"Example 1: Standard users request",
			"Example 2: Signed-in user request",
			"Example 3: Use $select to retrieve specific properties of a user",
			"Example 4: Get the value of a schema extension for a user",
			"Example 5: Get the custom security attribute assignments for a user",
		},
		cases: map[string][]exchange{
			"Example 1: Standard users request": {{method: "GET", path: "/v1.0/users/" + alice, status: 200,
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users/$entity"`, `"businessPhones":[]`, `"jobTitle":null`, `"userPrincipalName":"alice@contoso.com"`},
				absent:   []string{`"postalCode"`, `"accountEnabled"`}}},
			// The emulator's callers hold application permissions; /me
			// needs a signed-in user.
			"Example 2: Signed-in user request": {{method: "GET", path: "/v1.0/me", status: 400,
				contains: []string{`"code":"BadRequest"`, "/me request is only valid with delegated authentication flow."}}},
			"Example 3: Use $select to retrieve specific properties of a user": {{method: "GET", path: "/v1.0/users/" + alice + "?$select=displayName,givenName,postalCode,identities", status: 200,
				contains: []string{`$metadata#users(displayName,givenName,postalCode,identities)/$entity"`, `"postalCode":"98004"`, `"givenName":null`, `"issuerAssignedId":"alice@contoso.com"`},
				absent:   []string{`"userPrincipalName":"`}}},
			"Example 4: Get the value of a schema extension for a user": {
				{method: "GET", path: "/v1.0/users/" + alice + "?$select=ext55gb1l09_msLearnCourses", status: 200,
					contains: []string{`$metadata#users(ext55gb1l09_msLearnCourses)/$entity"`, `"courseType":"Developer"`}},
				{method: "GET", path: "/v1.0/users/" + bob + "?$select=ext55gb1l09_msLearnCourses", status: 200, absent: []string{"ext55gb1l09_msLearnCourses\":"}},
			},
			// Unassigned, the attributes are null.
			"Example 5: Get the custom security attribute assignments for a user": {
				{method: "GET", path: "/v1.0/users/" + alice + "?$select=customSecurityAttributes", status: 200,
					contains: []string{`$metadata#users(customSecurityAttributes)/$entity"`, `"EmployeeId":"QN26904"`}},
				{method: "GET", path: "/v1.0/users/" + bob + "?$select=customSecurityAttributes", status: 200, contains: []string{`"customSecurityAttributes":null`}},
			},
		},
	},
	{
		page: "user-post-users.md",
		examples: []string{
			"Example 1: Create a user",
			"Example 2: Create a user with social and local account identities",
		},
		cases: map[string][]exchange{
			// The initial onmicrosoft.com domain is verified; a domain
			// the tenant does not have is refused.
			"Example 1: Create a user": {
				{method: "POST", path: "/v1.0/users", status: 201,
					body:     `{"accountEnabled":true,"displayName":"Adele Vance","mailNickname":"AdeleV","userPrincipalName":"AdeleV@contoso.onmicrosoft.com","passwordProfile":{"forceChangePasswordNextSignIn":true,"password":"xWwvJ]6NMw+bWH-d"}}`,
					contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users/$entity"`, `"displayName":"Adele Vance"`, `"userPrincipalName":"AdeleV@contoso.onmicrosoft.com"`, `"businessPhones":[]`},
					absent:   []string{"password", "accountEnabled"}},
				{method: "POST", path: "/v1.0/users", status: 400,
					body:     `{"accountEnabled":true,"displayName":"Adele Vance","mailNickname":"AdeleV2","userPrincipalName":"AdeleV@fabrikam.com","passwordProfile":{"password":"xWwvJ]6NMw+bWH-d"}}`,
					contains: []string{"verified domain"}},
			},
			// Local and social identities are Azure AD B2C's; the
			// emulated tenant is a workforce tenant, where a user needs
			// the required properties.
			"Example 2: Create a user with social and local account identities": {{method: "POST", path: "/v1.0/users", status: 400,
				body: `{"displayName":"John Smith","identities":[{"signInType":"userName","issuer":"contoso.onmicrosoft.com","issuerAssignedId":"johnsmith"}],` +
					`"passwordProfile":{"password":"password-value","forceChangePasswordNextSignIn":false},"passwordPolicies":"DisablePasswordExpiration"}`,
				contains: []string{`"code":"Request_BadRequest"`}}},
		},
	},
	{
		// The page's example patches /me, which needs a signed-in user;
		// the same body on the user's own path is what an app sends.
		page:     "user-update.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "PATCH", path: "/v1.0/me", body: `{"accountEnabled":true,"businessPhones":["businessPhones-value"],"city":"city-value"}`, status: 400},
				{method: "PATCH", path: "/v1.0/users/" + bob, body: `{"accountEnabled":true,"businessPhones":["businessPhones-value"],"city":"city-value"}`, status: 204},
				{method: "GET", path: "/v1.0/users/" + bob + "?$select=accountEnabled,businessPhones,city", status: 200,
					contains: []string{`"accountEnabled":true`, `"businessPhones":["businessPhones-value"]`, `"city":"city-value"`}},
				// The userPrincipalName's domain must be verified.
				{method: "PATCH", path: "/v1.0/users/" + bob, body: `{"userPrincipalName":"bob@fabrikam.com"}`, status: 400, contains: []string{"verified domain"}},
				{method: "PATCH", path: "/v1.0/users/" + bob, body: `{"userPrincipalName":"bob@contoso.onmicrosoft.com"}`, status: 204},
			},
		},
	},
	{
		// By id or by userPrincipalName; the user waits in deleted
		// items for 30 days.
		page:     "user-delete.md",
		examples: []string{"Example"},
		cases: map[string][]exchange{
			"Example": {
				{method: "DELETE", path: "/v1.0/users/bob@contoso.com", status: 204},
				{method: "GET", path: "/v1.0/users/" + bob, status: 404, contains: []string{`"code":"Request_ResourceNotFound"`}},
				{method: "GET", path: "/v1.0/directory/deletedItems/" + bob, status: 200, contains: []string{`"deletedDateTime":"20`}},
				{method: "DELETE", path: "/v1.0/users/" + carol, status: 204},
			},
		},
	},
	{
		page: "user-delta.md",
		examples: []string{
			"Example 1: Default properties",
			"Example 2: Selecting three properties",
			"Example 3: Alternative minimal response behavior",
		},
		cases: map[string][]exchange{
			"Example 1: Default properties": {{method: "GET", path: "/v1.0/users/delta", status: 200, keep: "@odata.deltaLink",
				contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users"`, `"businessPhones":[]`, `"surname":null`, alice, bob, carol},
				absent:   []string{`"accountEnabled"`}}},
			"Example 2: Selecting three properties": {
				{method: "GET", path: "/v1.0/users/delta?$select=displayName,jobTitle,mobilePhone", status: 200, keep: "@odata.deltaLink"},
				{method: "PATCH", path: "/v1.0/users/" + bob, body: `{"jobTitle":"Buyer"}`, status: 204},
				{method: "GET", path: keptLink, status: 200,
					contains: []string{bob, `"displayName":"Bob"`, `"jobTitle":"Buyer"`, `"mobilePhone":null`}, absent: []string{alice, carol}},
			},
			// A property cleared since is news: null.
			"Example 3: Alternative minimal response behavior": {
				{method: "GET", path: "/v1.0/users/delta?$select=displayName,jobTitle,mobilePhone", status: 200, keep: "@odata.deltaLink"},
				{method: "PATCH", path: "/v1.0/users/" + bob, body: `{"displayName":"Robert","jobTitle":null}`, status: 204},
				{method: "GET", path: keptLink, headers: map[string]string{"Prefer": "return=minimal"}, status: 200,
					contains: []string{bob, `"displayName":"Robert"`, `"jobTitle":null`}, absent: []string{"mobilePhone", alice}},
			},
		},
	},
}

// signInActivity can be filtered on, and selecting it caps a page at 120
// users (List users, example 11's note).
func TestSignInActivityPageSize(t *testing.T) {
	ts, _ := fixture(t, 200, Options{})
	for _, q := range []string{"$select=id,signInActivity&$top=999", "$filter=signInActivity/lastSignInDateTime%20le%202026-01-01T00:00:00Z&$top=999"} {
		resp, err := http.Get(ts.URL + "/v1.0/users?" + q)
		if err != nil {
			t.Fatal(err)
		}
		var page struct{ Value []json.RawMessage }
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", q, resp.StatusCode, err)
		}
		if strings.HasPrefix(q, "$select") && len(page.Value) != signInActivityPageSize {
			t.Errorf("%s: %d users on the page, want %d", q, len(page.Value), signInActivityPageSize)
		}
	}
}

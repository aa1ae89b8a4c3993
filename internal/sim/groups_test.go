package sim

import (
	"fmt"
	"strings"
	"testing"
)

func binds(ids ...string) string {
	refs := make([]string, len(ids))
	for i, id := range ids {
		refs[i] = `"https://graph.microsoft.com/v1.0/directoryObjects/` + id + `"`
	}
	return `{"members@odata.bind":[` + strings.Join(refs, ",") + `]}`
}

func TestGroupsConformance(t *testing.T) {
	ts, _ := fixture(t, 30, Options{})
	var many []string
	for i := 0; i < 21; i++ {
		many = append(many, fmt.Sprintf("00000000-0000-4000-8000-%012d", i))
	}
	run(t, ts, []exchange{
		// Create (Graph docs: Create group).
		{name: "create returns 201 with explicit nulls", method: "POST", path: "/v1.0/groups",
			body:   `{"displayName":"Operations","mailEnabled":false,"mailNickname":"operations2019","securityEnabled":true}`,
			status: 201, contains: []string{`"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups/$entity"`, `"membershipRule":null`, `"groupTypes":[]`, `"mailNickname":"operations2019"`, `"visibility":null`}},
		{name: "create without mailNickname", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":false,"securityEnabled":true}`, status: 400, contains: []string{"mailNickname"}},
		{name: "create with a dot in mailNickname", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":false,"mailNickname":"a.b","securityEnabled":true}`, status: 400},
		{name: "security groups may share a mailNickname", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":false,"mailNickname":"FINANCE","securityEnabled":true}`, status: 201},
		{name: "unified mailNickname is unique", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":true,"mailNickname":"LEADERSHIP","securityEnabled":false,"groupTypes":["Unified"]}`, status: 400,
			contains: []string{`Request_MultipleObjectsWithSameKeyValue`}},
		{name: "mail-enabled security group refused", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"X","mailEnabled":true,"mailNickname":"x1","securityEnabled":true}`, status: 400},
		{name: "create binds members and owners", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"Bound","mailEnabled":false,"mailNickname":"bound","securityEnabled":true,` +
				`"members@odata.bind":["https://graph.microsoft.com/v1.0/users/` + bob + `"],"owners@odata.bind":["https://graph.microsoft.com/v1.0/users/` + alice + `"]}`,
			status: 201},
		{name: "dynamic role-assignable refused", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"D","mailEnabled":false,"mailNickname":"d","securityEnabled":true,"isAssignableToRole":true,"groupTypes":["DynamicMembership"],"membershipRule":"user.a -eq \"b\""}`, status: 400},
		{name: "bad dynamic rule refused", method: "POST", path: "/v1.0/groups",
			body: `{"displayName":"D","mailEnabled":false,"mailNickname":"d","securityEnabled":true,"groupTypes":["DynamicMembership"],"membershipRule":"user.a == 1"}`, status: 400,
			contains: []string{"membershipRule"}},
		{name: "get group", method: "GET", path: "/v1.0/groups/" + finance, status: 200, contains: []string{`"displayName":"Finance"`}},
		{name: "get missing group", method: "GET", path: "/v1.0/groups/" + bob, status: 404, contains: []string{`Request_ResourceNotFound`}},
		{name: "filter groups by mailNickname", method: "GET", path: "/v1.0/groups?$filter=mailNickname%20eq%20'sales'&$select=id", status: 200,
			contains: []string{sales}, absent: []string{finance}},
		// Update (Graph docs: Update group).
		{name: "patch displayName", method: "PATCH", path: "/v1.0/groups/" + finance, body: `{"displayName":"SG Finance"}`, status: 204},
		{name: "patch cannot clear displayName", method: "PATCH", path: "/v1.0/groups/" + finance, body: `{"displayName":""}`, status: 400},
		// Members (Graph docs: List group members; Add members; Remove member).
		{name: "list members typed", method: "GET", path: "/v1.0/groups/" + finance + "/members", status: 200,
			contains: []string{`"@odata.type":"#microsoft.graph.user"`, alice, `"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects"`}, absent: []string{bob}},
		{name: "add member", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref", body: ref(bob), status: 204},
		{name: "add existing member", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref", body: ref(bob), status: 400,
			contains: []string{`One or more added object references already exist for the following modified properties: 'members'.`}},
		{name: "add unknown object", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref",
			body: ref("00000000-0000-4000-8000-00000000ffff"), status: 404, contains: []string{"Request_ResourceNotFound"}},
		{name: "add a device", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref", body: ref(deviceA), status: 204},
		{name: "add a nested group", method: "POST", path: "/v1.0/groups/" + finance + "/members/$ref", body: ref(sales), status: 204},
		{name: "remove member", method: "DELETE", path: "/v1.0/groups/" + finance + "/members/" + bob + "/$ref", status: 204},
		{name: "remove non-member", method: "DELETE", path: "/v1.0/groups/" + finance + "/members/" + bob + "/$ref", status: 404,
			contains: []string{"Request_ResourceNotFound"}},
		{name: "odata.bind adds up to 20", method: "PATCH", path: "/v1.0/groups/" + finance, body: binds(many[:20]...), status: 204},
		{name: "odata.bind refuses 21", method: "PATCH", path: "/v1.0/groups/" + sales, body: binds(many...), status: 400},
		{name: "odata.bind is all or nothing", method: "PATCH", path: "/v1.0/groups/" + finance, body: binds(carol, many[0]), status: 400,
			contains: []string{"already exist"}},
		{name: "carol was not added", method: "GET", path: "/v1.0/groups/" + finance + "/members?$top=999&$select=id", status: 200, absent: []string{carol}},
		{name: "odata.bind with a missing object", method: "PATCH", path: "/v1.0/groups/" + sales, body: binds(carol, "00000000-0000-4000-8000-00000000ffff"), status: 404},
		{name: "members page at 100 with nextLink", method: "GET", path: "/v1.0/groups/" + finance + "/members?$top=5&$select=id", status: 200,
			contains: []string{`"@odata.nextLink":"http://`, `$skiptoken=`}},
		{name: "cast needs an advanced query", method: "GET", path: "/v1.0/groups/" + finance + "/members/microsoft.graph.device", status: 400},
		{name: "cast to devices", method: "GET", path: "/v1.0/groups/" + finance + "/members/microsoft.graph.device?$count=true", headers: eventual, status: 200,
			contains: []string{deviceA, `"@odata.count":1`}, absent: []string{alice}},
		{name: "transitive members include nested members", method: "GET", path: "/v1.0/groups/" + finance + "/transitiveMembers?$top=999&$select=id", status: 200,
			contains: []string{sales, alice}},
		// Owners (Graph docs: Add owners).
		{name: "list owners", method: "GET", path: "/v1.0/groups/" + sales + "/owners", status: 200, contains: []string{alice, bob}},
		{name: "remove an owner", method: "DELETE", path: "/v1.0/groups/" + sales + "/owners/" + bob + "/$ref", status: 204},
		{name: "last owner stays", method: "DELETE", path: "/v1.0/groups/" + sales + "/owners/" + alice + "/$ref", status: 400,
			contains: []string{"The group must have at least one owner, hence this owner cannot be removed."}},
		{name: "add owner twice", method: "POST", path: "/v1.0/groups/" + sales + "/owners/$ref", body: ref(alice), status: 400, contains: []string{"'owners'"}},
		{name: "a group cannot own", method: "POST", path: "/v1.0/groups/" + sales + "/owners/$ref", body: ref(finance), status: 400},
		// Dynamic membership.
		{name: "dynamic members are computed", method: "GET", path: "/v1.0/groups/" + dyn + "/members?$select=id", status: 200,
			contains: []string{bob, carol}, absent: []string{alice}},
		{name: "dynamic group refuses manual adds", method: "POST", path: "/v1.0/groups/" + dyn + "/members/$ref", body: ref(alice), status: 400},
		{name: "dynamic group refuses odata.bind", method: "PATCH", path: "/v1.0/groups/" + dyn, body: binds(alice), status: 400},
		// Delete and restore (Graph docs: Delete group; Restore deleted item).
		{name: "delete a security group", method: "DELETE", path: "/v1.0/groups/" + sales, status: 204},
		{name: "security group is gone for good", method: "POST", path: "/v1.0/directory/deletedItems/" + sales + "/restore", status: 404},
		{name: "nested membership went with it", method: "GET", path: "/v1.0/groups/" + finance + "/members?$top=999&$select=id", status: 200, absent: []string{sales}},
		{name: "delete a Microsoft 365 group", method: "DELETE", path: "/v1.0/groups/" + m365, status: 204},
		{name: "it is in deletedItems", method: "GET", path: "/v1.0/directory/deletedItems/microsoft.graph.group", status: 200, contains: []string{m365, `"deletedDateTime":"`}},
		{name: "restore it", method: "POST", path: "/v1.0/directory/deletedItems/" + m365 + "/restore", status: 200,
			contains: []string{`"@odata.type":"#microsoft.graph.group"`, `$metadata#directoryObjects/$entity`}},
		{name: "restored with members", method: "GET", path: "/v1.0/groups/" + m365 + "/members", status: 200, contains: []string{alice}},
		// Open extensions (entrasync's marker).
		{name: "create extension", method: "POST", path: "/v1.0/groups/" + finance + "/extensions", status: 201,
			body:     `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"dev.entrasync","address":"groups.finance","commit":"abc"}`,
			contains: []string{`"extensionName":"dev.entrasync"`, `"address":"groups.finance"`}},
		{name: "create it twice", method: "POST", path: "/v1.0/groups/" + finance + "/extensions", status: 409,
			body: `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"dev.entrasync"}`},
		// An update replaces: what it leaves out is gone, what it sends
		// as null stays, with no data.
		{name: "patch extension", method: "PATCH", path: "/v1.0/groups/" + finance + "/extensions/dev.entrasync",
			body: `{"@odata.type":"microsoft.graph.openTypeExtension","extensionName":"dev.entrasync","commit":"def","mode":null}`, status: 204},
		{name: "patch without its name", method: "PATCH", path: "/v1.0/groups/" + finance + "/extensions/dev.entrasync", body: `{"commit":"xyz"}`, status: 400},
		{name: "get extension", method: "GET", path: "/v1.0/groups/" + finance + "/extensions/dev.entrasync", status: 200,
			contains: []string{`"commit":"def"`, `"mode":null`}, absent: []string{"address", "xyz"}},
		{name: "expand extensions on list", method: "GET", path: "/v1.0/groups?$select=id&$expand=extensions", status: 200,
			contains: []string{`"extensions":[{`, `"commit":"def"`}},
		{name: "delete extension", method: "DELETE", path: "/v1.0/groups/" + finance + "/extensions/dev.entrasync", status: 204},
		{name: "missing extension", method: "GET", path: "/v1.0/groups/" + finance + "/extensions/dev.entrasync", status: 404},
	})
}

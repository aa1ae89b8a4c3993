package azuread

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-azure-helpers/lang/pointer"
	"github.com/hashicorp/go-azure-helpers/lang/response"
	"github.com/hashicorp/go-azure-sdk/microsoft-graph/common-types/beta"
	"github.com/hashicorp/go-azure-sdk/microsoft-graph/common-types/stable"
	"github.com/hashicorp/go-azure-sdk/microsoft-graph/directoryobjects/stable/directoryobject"
	groupBeta "github.com/hashicorp/go-azure-sdk/microsoft-graph/groups/beta/group"
	memberBeta "github.com/hashicorp/go-azure-sdk/microsoft-graph/groups/beta/member"
	memberofBeta "github.com/hashicorp/go-azure-sdk/microsoft-graph/groups/beta/memberof"
	ownerBeta "github.com/hashicorp/go-azure-sdk/microsoft-graph/groups/beta/owner"
	"github.com/hashicorp/go-azure-sdk/sdk/auth"
	"github.com/hashicorp/go-azure-sdk/sdk/claims"
	"github.com/hashicorp/go-azure-sdk/sdk/environments"
	"github.com/hashicorp/go-azure-sdk/sdk/nullable"
	"github.com/hashicorp/go-azure-sdk/sdk/odata"
)

// provider is what the azuread provider holds once configured: the cloud,
// an authorizer, the caller's object id and the group clients of its
// groups service (all beta, but for directory objects).
type provider struct {
	env        *environments.Environment
	authorizer auth.Authorizer
	callerID   string

	groups   *groupBeta.GroupClient
	members  *memberBeta.MemberClient
	owners   *ownerBeta.OwnerClient
	memberOf *memberofBeta.MemberOfClient
	objects  *directoryobject.DirectoryObjectClient
}

func testContext(t *testing.T) context.Context {
	// go-azure-sdk's Graph client refuses a context without a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), graphWait)
	t.Cleanup(cancel)
	return ctx
}

// configure does what the provider's configure step does with
// metadata_host and a client secret.
func configure(t testing.TB, ctx context.Context, clientSecret string) (*provider, error) {
	t.Helper()
	env, err := environments.FromEndpoint(ctx, "https://"+os.Getenv("ARM_METADATA_HOSTNAME"))
	if err != nil {
		return nil, fmt.Errorf("environment from the metadata host: %w", err)
	}
	if env.MicrosoftGraph == nil {
		return nil, fmt.Errorf("the metadata names no Microsoft Graph")
	}
	creds := auth.Credentials{
		Environment:                           *env,
		TenantID:                              os.Getenv("ARM_TENANT_ID"),
		ClientID:                              os.Getenv("ARM_CLIENT_ID"),
		ClientSecret:                          clientSecret,
		EnableAuthenticatingUsingClientSecret: true,
	}
	authorizer, err := auth.NewAuthorizerFromCredentials(ctx, creds, env.MicrosoftGraph)
	if err != nil {
		return nil, fmt.Errorf("authorizer: %w", err)
	}
	token, err := authorizer.Token(ctx, &http.Request{})
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	c, err := claims.ParseClaims(token)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	if c.TenantId != os.Getenv("ARM_TENANT_ID") || c.AppId != os.Getenv("ARM_CLIENT_ID") {
		return nil, fmt.Errorf("claims name tenant %q and app %q", c.TenantId, c.AppId)
	}
	p := &provider{env: env, authorizer: authorizer, callerID: c.ObjectId}
	api := env.MicrosoftGraph
	if p.groups, err = groupBeta.NewGroupClientWithBaseURI(api); err == nil {
		p.groups.Client.Authorizer = authorizer
	}
	if p.members, err = memberBeta.NewMemberClientWithBaseURI(api); err == nil {
		p.members.Client.Authorizer = authorizer
	}
	if p.owners, err = ownerBeta.NewOwnerClientWithBaseURI(api); err == nil {
		p.owners.Client.Authorizer = authorizer
	}
	if p.memberOf, err = memberofBeta.NewMemberOfClientWithBaseURI(api); err == nil {
		p.memberOf.Client.Authorizer = authorizer
	}
	if p.objects, err = directoryobject.NewDirectoryObjectClientWithBaseURI(api); err == nil {
		p.objects.Client.Authorizer = authorizer
	}
	return p, err
}

// ref is the @odata.id the provider binds an object with: its beta base
// URI and the directory object's path.
func (p *provider) ref(id string) string {
	return p.groups.Client.BaseUri + beta.NewDirectoryObjectID(id).ID()
}

func TestConfigureFromMetadataHost(t *testing.T) {
	ctx := testContext(t)
	p, err := configure(t, ctx, os.Getenv("ARM_CLIENT_SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	if p.callerID != callerID {
		t.Errorf("the token's oid is %q, want the app's service principal %s", p.callerID, callerID)
	}
	if _, err := configure(t, ctx, "not-the-secret"); err == nil {
		t.Error("a wrong client secret got a token")
	}
}

func TestGroupLifecycle(t *testing.T) {
	ctx := testContext(t)
	p, err := configure(t, ctx, os.Getenv("ARM_CLIENT_SECRET"))
	if err != nil {
		t.Fatal(err)
	}
	const name = "tf-platform-admins"

	// prevent_duplicate_names: no group of that name yet.
	if found := p.findByName(t, ctx, name); len(found) != 0 {
		t.Fatalf("before create, %d groups named %q", len(found), name)
	}

	// Create. The provider looks each owner up to order them (users first).
	obj, err := p.objects.GetDirectoryObject(ctx, stable.NewDirectoryObjectID(ownerID), directoryobject.DefaultGetDirectoryObjectOperationOptions())
	if err != nil {
		t.Fatalf("directory object %s: %v", ownerID, err)
	}
	if _, isUser := obj.Model.(stable.User); !isUser {
		t.Fatalf("directory object %s decodes as %T, want stable.User (its @odata.type)", ownerID, obj.Model)
	}
	created, err := p.groups.CreateGroup(ctx, beta.Group{
		Description:                 nullable.NoZero(""),
		DisplayName:                 nullable.Value(name),
		GroupTypes:                  &[]string{},
		IsAssignableToRole:          nullable.Value(false),
		MailEnabled:                 nullable.Value(false),
		MailNickname:                nullable.Value("a1b2c3d4-e"),
		MembershipRule:              nullable.NoZero(""),
		ResourceBehaviorOptions:     &[]string{},
		ResourceProvisioningOptions: &[]string{},
		SecurityEnabled:             nullable.Value(true),
		Owners_ODataBind:            &[]string{p.ref(p.callerID), p.ref(ownerID)},
	}, groupBeta.DefaultCreateGroupOperationOptions())
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if created.Model == nil || created.Model.Id == nil {
		t.Fatalf("create answered no group: %+v", created.Model)
	}
	id := beta.NewGroupID(*created.Model.Id)
	// The provider renames a new group and back, to learn that it exists.
	for _, displayName := range []string{"TERRAFORM_UPDATE_" + name, name} {
		if _, err := p.groups.UpdateGroup(ctx, id, beta.Group{DisplayName: nullable.Value(displayName)}, groupBeta.DefaultUpdateGroupOperationOptions()); err != nil {
			t.Fatalf("rename to %q: %v", displayName, err)
		}
	}
	// Members: users, and the caller's service principal, whose id sorts
	// after theirs and so lands on the listing's second page. Beta lists
	// service principals as members (v1.0 does not), so every page of a
	// beta listing must be a beta page.
	refs := []string{p.callerID}
	for i := range nMembers - 1 {
		refs = append(refs, memberID(i))
	}
	for _, m := range refs {
		ref := beta.ReferenceCreate{ODataId: pointer.To(p.ref(m))}
		if _, err := p.members.AddMemberRef(ctx, id, ref, memberBeta.DefaultAddMemberRefOperationOptions()); err != nil {
			t.Fatalf("add member %s: %v", m, err)
		}
	}

	// Read, as after every create and update.
	g := p.read(t, ctx, id)
	if g.DisplayName.GetOrZero() != name || !g.SecurityEnabled.GetOrZero() || g.MailEnabled.GetOrZero() ||
		g.GroupTypes == nil || len(*g.GroupTypes) != 0 || !g.MembershipRule.IsNull() || g.Description.GetOrZero() != "" {
		t.Errorf("read after create: displayName %q, securityEnabled %v, mailEnabled %v, groupTypes %v, membershipRule null %v, description %q",
			g.DisplayName.GetOrZero(), g.SecurityEnabled.GetOrZero(), g.MailEnabled.GetOrZero(), g.GroupTypes, g.MembershipRule.IsNull(), g.Description.GetOrZero())
	}
	if got, want := p.ownerIDs(t, ctx, id), sorted(p.callerID, ownerID); !slices.Equal(got, want) {
		t.Errorf("owners %v, want %v", got, want)
	}
	members := p.memberIDs(t, ctx, id)
	if want := sorted(refs...); !slices.Equal(members, want) {
		t.Errorf("%d members read, want %d, the service principal among them (%v); listings past Graph's default page of 100 are followed",
			len(members), len(want), slices.Contains(members, p.callerID))
	}
	if found := p.findByName(t, ctx, name); len(found) != 1 || pointer.From(found[0].Id) != id.GroupId {
		t.Errorf("after create, the name finds %d groups", len(found))
	}

	// Update: the provider sends its whole group and an explicit null rule,
	// then the membership and ownership differences, one reference each.
	if _, err := p.groups.UpdateGroup(ctx, id, beta.Group{
		Description:     nullable.NoZero("Platform administrators"),
		DisplayName:     nullable.Value(name),
		MailEnabled:     nullable.Value(false),
		MembershipRule:  nullable.NoZero(""),
		SecurityEnabled: nullable.Value(true),
	}, groupBeta.DefaultUpdateGroupOperationOptions()); err != nil {
		t.Fatalf("update: %v", err)
	}
	for _, m := range members[:10] {
		if _, err := p.members.RemoveMemberRef(ctx, beta.NewGroupIdMemberID(id.GroupId, m), memberBeta.DefaultRemoveMemberRefOperationOptions()); err != nil {
			t.Fatalf("remove member %s: %v", m, err)
		}
	}
	last := beta.ReferenceCreate{ODataId: pointer.To(p.ref(memberID(nMembers - 1)))}
	if _, err := p.members.AddMemberRef(ctx, id, last, memberBeta.DefaultAddMemberRefOperationOptions()); err != nil {
		t.Fatalf("add member: %v", err)
	}
	if _, err := p.owners.AddOwnerRef(ctx, id, beta.ReferenceCreate{ODataId: pointer.To(p.ref(owner2ID))}, ownerBeta.DefaultAddOwnerRefOperationOptions()); err != nil {
		t.Fatalf("add owner: %v", err)
	}
	if _, err := p.owners.RemoveOwnerRef(ctx, beta.NewGroupIdOwnerID(id.GroupId, ownerID), ownerBeta.DefaultRemoveOwnerRefOperationOptions()); err != nil {
		t.Fatalf("remove owner: %v", err)
	}
	g = p.read(t, ctx, id)
	if g.Description.GetOrZero() != "Platform administrators" || !g.MembershipRule.IsNull() {
		t.Errorf("read after update: description %q, membershipRule null %v", g.Description.GetOrZero(), g.MembershipRule.IsNull())
	}
	if got, want := p.ownerIDs(t, ctx, id), sorted(p.callerID, owner2ID); !slices.Equal(got, want) {
		t.Errorf("owners after update %v, want %v", got, want)
	}
	want := append(slices.Clone(members[10:]), memberID(nMembers-1))
	slices.Sort(want)
	if got := p.memberIDs(t, ctx, id); !slices.Equal(got, want) {
		t.Errorf("members after update: %d, want %d", len(got), len(want))
	}

	// A member added twice: Graph refuses it, and so the provider fails.
	_, err = p.members.AddMemberRef(ctx, id, last, memberBeta.DefaultAddMemberRefOperationOptions())
	if err == nil || !strings.Contains(err.Error(), "already exist") {
		t.Errorf("adding a member again: %v, want Graph's 'One or more added object references already exist'", err)
	}

	// Delete, then wait for the 404.
	if _, err := p.groups.DeleteGroup(ctx, id, groupBeta.DefaultDeleteGroupOperationOptions()); err != nil {
		t.Fatalf("delete: %v", err)
	}
	resp, err := p.groups.GetGroup(ctx, id, groupBeta.DefaultGetGroupOperationOptions())
	if err == nil || !response.WasNotFound(resp.HttpResponse) {
		t.Errorf("read after delete: %v, want a 404", err)
	}
}

// read is the provider's read of a group: the group, then its owners,
// members and administrative units.
func (p *provider) read(t testing.TB, ctx context.Context, id beta.GroupId) beta.Group {
	t.Helper()
	resp, err := p.groups.GetGroup(ctx, id, groupBeta.DefaultGetGroupOperationOptions())
	if err != nil || resp.Model == nil {
		t.Fatalf("read %s: %v", id, err)
	}
	units, err := p.memberOf.ListMemberOfs(ctx, id, memberofBeta.DefaultListMemberOfsOperationOptions())
	if err != nil || units.Model == nil {
		t.Fatalf("memberOf %s: %v", id, err)
	}
	return *resp.Model
}

func (p *provider) ownerIDs(t testing.TB, ctx context.Context, id beta.GroupId) []string {
	t.Helper()
	resp, err := p.owners.ListOwners(ctx, id, ownerBeta.DefaultListOwnersOperationOptions())
	if err != nil || resp.Model == nil {
		t.Fatalf("owners of %s: %v", id, err)
	}
	return principalIDs(t, "an owner", *resp.Model)
}

func (p *provider) memberIDs(t testing.TB, ctx context.Context, id beta.GroupId) []string {
	t.Helper()
	resp, err := p.members.ListMembers(ctx, id, memberBeta.DefaultListMembersOperationOptions())
	if err != nil || resp.Model == nil {
		t.Fatalf("members of %s: %v", id, err)
	}
	return principalIDs(t, "a member", *resp.Model)
}

// principalIDs are the sorted ids of objs, each of which must decode as a
// user or a service principal: the SDK picks the type by @odata.type.
func principalIDs(t testing.TB, what string, objs []beta.DirectoryObject) []string {
	t.Helper()
	var ids []string
	for _, o := range objs {
		switch o.(type) {
		case beta.User, beta.ServicePrincipal:
		default:
			t.Errorf("%s decodes as %T, want a user or a service principal (its @odata.type)", what, o)
		}
		ids = append(ids, pointer.From(o.DirectoryObject().Id))
	}
	slices.Sort(ids)
	return ids
}

// findByName is prevent_duplicate_names: a $filter on displayName.
func (p *provider) findByName(t testing.TB, ctx context.Context, name string) []beta.Group {
	t.Helper()
	opts := groupBeta.ListGroupsOperationOptions{
		Filter: pointer.To(fmt.Sprintf("displayName eq '%s'", odata.EscapeSingleQuote(name))),
	}
	resp, err := p.groups.ListGroups(ctx, opts)
	if err != nil || resp.Model == nil {
		t.Fatalf("groups named %q: %v", name, err)
	}
	return *resp.Model
}

func sorted(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

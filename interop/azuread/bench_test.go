package azuread

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-azure-helpers/lang/pointer"
	"github.com/hashicorp/go-azure-sdk/microsoft-graph/common-types/beta"
	groupBeta "github.com/hashicorp/go-azure-sdk/microsoft-graph/groups/beta/group"
	memberBeta "github.com/hashicorp/go-azure-sdk/microsoft-graph/groups/beta/member"
	"github.com/hashicorp/go-azure-sdk/sdk/nullable"
)

// peerLatency is each request's latency in the comparison, as in
// internal/graph's BenchmarkPeerOnePerMember4000: small, so the run ends
// in about a minute; Graph's is tens of milliseconds, which widens the
// wall-time gap in entrasync's favour.
const peerLatency = 2 * time.Millisecond

// providerCreateTimeout is azuread_group's create timeout: go-azure-sdk
// sizes its retries (429s included) to the context's deadline.
const providerCreateTimeout = 20 * time.Minute

// BenchmarkTerraformAzureADAddMembers4000 creates a group of 4,000 members
// twice, on two emulators with the same latency and Graph's quotas: once
// as the Terraform azuread provider does it, with its own client
// (go-azure-sdk: the group, its two renames, one members/$ref per member,
// retried by the SDK on 429, then the read), and once with `entrasync
// apply` (the whole command: configuration, plan and apply). It reports
// both round trips and wall times, and their ratios, measured in one run.
// Run it alone (-run '^$'): the tests spend some of the first emulator's
// write quota.
func BenchmarkTerraformAzureADAddMembers4000(b *testing.B) {
	var tf, es side
	for i := 0; i < b.N; i++ {
		tf = terraformSide(b, fmt.Sprintf("tf-bench-%d", i))
		es = entrasyncSide(b)
	}
	b.ReportMetric(float64(tf.roundTrips), "terraform-round-trips")
	b.ReportMetric(float64(tf.throttled), "terraform-429s")
	b.ReportMetric(float64(es.roundTrips), "entrasync-round-trips")
	b.ReportMetric(float64(es.throttled), "entrasync-429s")
	b.ReportMetric(float64(tf.roundTrips)/float64(es.roundTrips), "round-trip-ratio")
	b.ReportMetric(tf.wall.Seconds()/es.wall.Seconds(), "wall-time-ratio")
	b.Logf("a group of 4,000 members at %v latency with Graph's quotas: Terraform azuread's client %d round trips (%d answered 429) in %v; entrasync apply %d (%d) in %v",
		peerLatency, tf.roundTrips, tf.throttled, tf.wall.Round(time.Millisecond), es.roundTrips, es.throttled, es.wall.Round(time.Millisecond))
}

// side is one tool's measure: round trips and 429s as the emulator
// counted them, and the wall time.
type side struct {
	roundTrips, throttled int64
	wall                  time.Duration
}

func terraformSide(b *testing.B, name string) side {
	ctx, cancel := context.WithTimeout(context.Background(), providerCreateTimeout)
	defer cancel()
	p, err := configure(b, ctx, os.Getenv("ARM_CLIENT_SECRET"))
	if err != nil {
		b.Fatal(err)
	}
	token, err := p.authorizer.Token(ctx, &http.Request{})
	if err != nil {
		b.Fatal(err)
	}
	admin := adminClient{root: strings.TrimSuffix(shared.emu.graphURL, "/v1.0"), token: token.AccessToken}
	admin.resetStats(b)

	start := time.Now()
	created, err := p.groups.CreateGroup(ctx, beta.Group{
		DisplayName:      nullable.Value(name),
		GroupTypes:       &[]string{},
		MailEnabled:      nullable.Value(false),
		MailNickname:     nullable.Value(name),
		MembershipRule:   nullable.NoZero(""),
		SecurityEnabled:  nullable.Value(true),
		Owners_ODataBind: &[]string{p.ref(p.callerID)},
	}, groupBeta.DefaultCreateGroupOperationOptions())
	if err != nil {
		b.Fatalf("create: %v", err)
	}
	id := beta.NewGroupID(*created.Model.Id)
	for _, displayName := range []string{"TERRAFORM_UPDATE_" + name, name} {
		if _, err := p.groups.UpdateGroup(ctx, id, beta.Group{DisplayName: nullable.Value(displayName)}, groupBeta.DefaultUpdateGroupOperationOptions()); err != nil {
			b.Fatalf("rename: %v", err)
		}
	}
	for i := range nUsers {
		ref := beta.ReferenceCreate{ODataId: pointer.To(p.ref(memberID(i)))}
		if _, err := p.members.AddMemberRef(ctx, id, ref, memberBeta.DefaultAddMemberRefOperationOptions()); err != nil {
			b.Fatalf("add member %d: %v", i, err)
		}
	}
	p.read(b, ctx, id)
	p.ownerIDs(b, ctx, id)
	members := p.memberIDs(b, ctx, id)
	wall := time.Since(start)
	if len(members) != nUsers {
		b.Fatalf("the provider's way added %d members, want %d", len(members), nUsers)
	}
	st := admin.stats(b)
	return side{roundTrips: st.HTTPRequests, throttled: st.Throttled, wall: wall}
}

func entrasyncSide(b *testing.B) side {
	dir, err := os.MkdirTemp(shared.dir, "entrasync")
	if err != nil {
		b.Fatal(err)
	}
	state := filepath.Join(dir, "tenant.json")
	if err := writeTenant(state); err != nil {
		b.Fatal(err)
	}
	emu, err := startEmulator(state, emulatorFlags...)
	if err != nil {
		b.Fatal(err)
	}
	defer emu.stop()
	cfg := filepath.Join(dir, "config")
	if err := writeConfig(cfg); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	apply := exec.Command(shared.bin, "apply", "--dir", cfg, "--graph-url", emu.graphURL, "--auto-approve")
	apply.Env = append(os.Environ(), "ENTRASYNC_ACCESS_TOKEN=")
	if out, err := apply.CombinedOutput(); err != nil {
		b.Fatalf("entrasync apply: %v\n%s", err, out)
	}
	wall := time.Since(start)
	admin := adminClient{root: strings.TrimSuffix(emu.graphURL, "/v1.0")}
	st := admin.stats(b)
	if n := admin.memberCount(b, benchGroupName); n != nUsers {
		b.Fatalf("entrasync added %d members, want %d", n, nUsers)
	}
	return side{roundTrips: st.HTTPRequests, throttled: st.Throttled, wall: wall}
}

// benchGroupName is the display name of the group entrasync makes.
const benchGroupName = "Platform Admins"

// writeConfig writes the configuration entrasync applies: one group of
// all 4,000 users.
func writeConfig(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var members strings.Builder
	for i := range nUsers {
		fmt.Fprintf(&members, "\t\t%q,\n", memberUPN(i))
	}
	files := map[string]string{
		"tenant.cue": fmt.Sprintf("package bench\n\ntenant: {\n\tid:     %q\n\tdomain: \"contoso.com\"\n}\n\nconfiguration: \"bench\"\n", tenantID),
		"groups.cue": fmt.Sprintf("package bench\n\ngroups: \"platform-admins\": {\n\tdisplayName: %q\n\tmembership: users: [\n%s\t]\n}\n", benchGroupName, members.String()),
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// adminClient calls an emulator's admin API and Graph directly.
type adminClient struct{ root, token string }

func (a adminClient) do(b *testing.B, method, path string, header map[string]string) []byte {
	b.Helper()
	req, err := http.NewRequest(method, a.root+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		b.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	return body
}

func (a adminClient) resetStats(b *testing.B) { a.do(b, "POST", "/_sim/stats/reset", nil) }

type emulatorStats struct {
	HTTPRequests int64 `json:"httpRequests"`
	Throttled    int64 `json:"throttled"`
}

func (a adminClient) stats(b *testing.B) emulatorStats {
	var st emulatorStats
	if err := json.Unmarshal(a.do(b, "GET", "/_sim/stats", nil), &st); err != nil {
		b.Fatal(err)
	}
	return st
}

// memberCount counts the members of the group named name.
func (a adminClient) memberCount(b *testing.B, name string) int {
	var found struct {
		Value []struct {
			ID string `json:"id"`
		} `json:"value"`
	}
	filter := url.QueryEscape("displayName eq '" + name + "'")
	if err := json.Unmarshal(a.do(b, "GET", "/v1.0/groups?$select=id&$filter="+filter, nil), &found); err != nil || len(found.Value) != 1 {
		b.Fatalf("the group %q: %v %+v", name, err, found)
	}
	var n int
	count := a.do(b, "GET", "/v1.0/groups/"+found.Value[0].ID+"/members/$count", map[string]string{"ConsistencyLevel": "eventual"})
	if _, err := fmt.Sscan(string(count), &n); err != nil {
		b.Fatal(err)
	}
	return n
}

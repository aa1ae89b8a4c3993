package render_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/entrasync/entrasync/internal/entra"
	"github.com/entrasync/entrasync/internal/entra/entratest"
	"github.com/entrasync/entrasync/internal/model"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/render"
)

// samplePlan computes a plan with every kind of change on the fake.
func samplePlan(t *testing.T) *plan.Plan {
	t.Helper()
	f := entratest.New()
	ids := map[string]string{}
	for _, u := range strings.Fields("alice bob carol dave erin frank grace heidi ivan judy mallory trent") {
		ids[u] = f.AddUser(u + "@contoso.com")
	}
	f.AddDevice("DeviceA")
	// Finance: managed, incremental; Carol was dropped from the config.
	fin := f.AddGroup(entra.Group{DisplayName: "Finance", MailNickname: "sg-finance",
		Marker: &entra.Marker{Address: "groups.sg-finance", Commit: "c1c1c1c1c1c1c1c1", Mode: model.ModeIncremental}},
		ids["bob"], ids["carol"])
	f.SetOwners(fin, ids["alice"])
	// Sales: full mode, about to lose 11 of 12 members.
	var sales []string
	for _, u := range strings.Fields("alice bob carol dave erin frank grace heidi ivan judy mallory trent") {
		sales = append(sales, ids[u])
	}
	f.AddGroup(entra.Group{DisplayName: "Sales", MailNickname: "sg-sales",
		Marker: &entra.Marker{Address: "groups.sg-sales", Commit: "c1c1c1c1c1c1c1c1", Mode: model.ModeFull}}, sales...)
	// VPN: made by hand, adopted.
	f.AddGroup(entra.Group{DisplayName: "VPN Users", MailNickname: "vpn-users"}, ids["alice"], ids["bob"])
	// Old groups that are no longer declared.
	f.AddGroup(entra.Group{DisplayName: "Old Security", MailNickname: "old-sec", Marker: &entra.Marker{Address: "groups.old-sec"}})

	users := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, n+"@contoso.com")
		}
		return out
	}
	d := &model.Desired{Tenant: model.Tenant{ID: "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"}, Groups: map[string]model.Group{
		"sg-finance": {DisplayName: "SG Finance", Kind: model.GroupSecurity, MailNickname: "sg-finance", Owners: users("alice", "bob"),
			Membership: &model.Membership{Mode: model.ModeIncremental, Users: users("bob", "ivan"), Devices: []string{"DeviceA"}, Groups: []string{"sg-new"}}},
		"sg-sales": {DisplayName: "Sales", Kind: model.GroupSecurity, MailNickname: "sg-sales",
			Membership: &model.Membership{Mode: model.ModeFull, Users: users("trent")}},
		"vpn": {DisplayName: "VPN Users", Kind: model.GroupSecurity, MailNickname: "vpn-users", Adopt: "mailNickname",
			Membership: &model.Membership{Mode: model.ModeIncremental, Users: users("bob")}},
		"sg-new": {DisplayName: "SG New", Kind: model.GroupSecurity, MailNickname: "sg-new", Description: "Created by the plan",
			Owners: users("grace"), Membership: &model.Membership{Mode: model.ModeIncremental, Users: users("grace", "judy")}},
	}}
	history := map[string]*model.Desired{"c1c1c1c1c1c1c1c1": {Groups: map[string]model.Group{
		"sg-finance": {Owners: users("alice"), Membership: &model.Membership{Mode: model.ModeIncremental, Users: users("bob", "carol")}},
	}}}
	live, ds, err := plan.ReadLive(context.Background(), f, d, plan.Inputs{
		LastDeclared: plan.HistoryOf(func(c string) (*model.Desired, bool, error) { h, ok := history[c]; return h, ok, nil }),
	})
	if err != nil || ds.HasErrors() {
		t.Fatal(err, ds.Err())
	}
	p, ds := plan.Compute(plan.Input{Desired: d, Live: live, Commit: "c2c2c2c2c2c2c2c2"}, plan.Options{})
	if ds.HasErrors() {
		t.Fatal(ds.Err())
	}
	return p
}

// golden compares outputs with a txtar file; UPDATE_GOLDEN=1 rewrites it.
func golden(t *testing.T, name string, got map[string]string) {
	t.Helper()
	path := filepath.Join("testdata", name+".txtar")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		a := &txtar.Archive{Comment: []byte("Golden output of the plan renderers; regenerate with UPDATE_GOLDEN=1.\n")}
		for _, k := range []string{"text", "markdown"} {
			if v, ok := got[k]; ok {
				a.Files = append(a.Files, txtar.File{Name: k, Data: []byte(v)})
			}
		}
		if err := os.WriteFile(path, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	a, err := txtar.ParseFile(path)
	if err != nil {
		t.Fatalf("%v (run with UPDATE_GOLDEN=1 to create it)", err)
	}
	for _, f := range a.Files {
		if got[f.Name] != string(f.Data) {
			t.Errorf("%s: %s differs from the golden file (UPDATE_GOLDEN=1 to accept):\n--- got ---\n%s", path, f.Name, got[f.Name])
		}
	}
}

func renderAll(t *testing.T, p *plan.Plan) map[string]string {
	var text, md bytes.Buffer
	if err := render.PlanText(&text, p, render.Style{}); err != nil {
		t.Fatal(err)
	}
	if err := render.PlanMarkdown(&md, p, "plan.json"); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"text": text.String(), "markdown": md.String()}
}

func TestPlanRenderers(t *testing.T) {
	golden(t, "plan_changes", renderAll(t, samplePlan(t)))
	empty := &plan.Plan{FormatVersion: plan.FormatVersion, Tenant: "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10", SourceCommit: "c2c2c2c2c2c2c2c2",
		Groups: []plan.GroupChange{{Address: "groups.a", Action: plan.NoOp}}}
	golden(t, "plan_no_changes", renderAll(t, empty))
}

func TestPlanJSONRoundTrips(t *testing.T) {
	p := samplePlan(t)
	var buf bytes.Buffer
	if err := render.PlanJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"format_version": "1"`, `"address": "groups.sg-finance"`, `"live_fingerprint": "`, `"mode_reason": "incremental since c1c1c1c1c1c1"`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("JSON plan lacks %s", want)
		}
	}
}

// A huge plan stays within the comment budget and says where the rest is;
// the text view abbreviates long member lists.
func TestLargePlanIsBounded(t *testing.T) {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Tenant: "t"}
	for g := 0; g < 400; g++ {
		c := plan.GroupChange{Address: fmt.Sprintf("groups.g%03d", g), Action: plan.Create, Members: &plan.SetChange{}}
		for m := 0; m < 40; m++ {
			c.Members.Add = append(c.Members.Add, plan.Member{ID: fmt.Sprint(m), Type: entra.TypeUser, Name: fmt.Sprintf("user%04d@contoso.com", m)})
		}
		p.Groups = append(p.Groups, c)
	}
	var md, text bytes.Buffer
	_ = render.PlanMarkdown(&md, p, "plan.json")
	if md.Len() > render.MarkdownBudget || !strings.Contains(md.String(), "**Truncated**") || !strings.Contains(md.String(), "plan.json") {
		t.Fatalf("markdown: %d bytes, truncation note present: %t", md.Len(), strings.Contains(md.String(), "Truncated"))
	}
	if strings.Count(md.String(), "<details>") != strings.Count(md.String(), "</details>") {
		t.Fatal("truncation cut a <details> block in half")
	}
	_ = render.PlanText(&text, p, render.Style{})
	if !strings.Contains(text.String(), "… and 20 more (the JSON plan lists all)") {
		t.Fatal("text view did not abbreviate")
	}
}

// Names come from the tenant, and anyone who can name a group, a device
// or a user can try to forge the plan a reviewer reads.
func TestHostileNamesCannotForgeThePlan(t *testing.T) {
	evil := "x|y @contoso/everyone\n\n**No changes.** The tenant matches the configuration.\n```\n</details>\n### ok\x1b[2J\u202e"
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Tenant: "t", Groups: []plan.GroupChange{{
		Address: "groups.a`</code>" + evil, Action: plan.Update, ModeReason: "incremental since " + evil,
		Members: &plan.SetChange{Remove: []plan.Member{{ID: "1", Type: "user", Name: evil}}, Live: 2, After: 1},
		Notes:   []string{"owner " + evil + " stays"}, Undecided: evil,
	}}, Orphans: []plan.Orphan{{Address: "groups.o" + evil, Name: evil}},
		Objects: []plan.ObjectChange{{Address: "crossTenant.partners.p", Action: plan.Update, Name: "tenant " + evil,
			Fields: []plan.FieldChange{{Path: "identitySynchronization.displayName", Before: evil, After: "Fabrikam"}},
			Steps:  []plan.Step{{Phase: plan.PhaseWrite, What: "update " + evil, Request: entra.Request{Method: "PATCH", Path: "policies/" + evil}}},
			Notes:  []string{evil}}}}
	p.Summary = plan.Summary{Update: 2, MembersRemove: 1, Orphans: 1, Undecided: 1}
	var md, text bytes.Buffer
	if err := render.PlanMarkdown(&md, p, "plan.json"); err != nil {
		t.Fatal(err)
	}
	if err := render.PlanText(&text, p, render.Style{}); err != nil {
		t.Fatal(err)
	}
	out := md.String()
	// Outside code fences (whose text a renderer escapes itself), every
	// </details> must be one the template wrote.
	var outside strings.Builder
	inFence := false
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
			continue
		}
		if !inFence {
			outside.WriteString(line + "\n")
		}
	}
	if n, m := strings.Count(outside.String(), "<details>"), strings.Count(outside.String(), "</details>"); n != m {
		t.Errorf("%d <details> but %d </details>: a name closed a block\n%s", n, m, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "**No changes.**") || strings.HasPrefix(line, "### ok") || strings.HasPrefix(line, "</details>\n###") {
			t.Errorf("a name forged a line of its own: %q\n%s", line, out)
		}
	}
	// GitHub makes "@name" in text, but not in code, a mention.
	if text := regexp.MustCompile(`<code>.*?</code>`).ReplaceAllString(outside.String(), ""); strings.Contains(text, "@contoso") {
		t.Errorf("a name can mention a team:\n%s", text)
	}
	fences := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "```") {
			fences++
		}
	}
	if fences != 4 {
		t.Errorf("a name opened or closed a code fence:\n%s", out)
	}
	for _, s := range []string{out, text.String()} {
		if strings.ContainsAny(s, "\x1b\u202e") {
			t.Errorf("a control character reached the output:\n%q", s)
		}
	}
	if strings.Contains(text.String(), "\nNo changes") || strings.Contains(text.String(), "\n### ok") {
		t.Errorf("a name forged a line on the terminal:\n%s", text.String())
	}
}

func TestMarkdownTableCellsHoldTheirPipes(t *testing.T) {
	p := &plan.Plan{FormatVersion: plan.FormatVersion, Tenant: "t", Groups: []plan.GroupChange{{
		Address: "groups.a|b", Action: plan.Update, ModeReason: "x|y", Members: &plan.SetChange{Add: []plan.Member{{ID: "1", Name: "u"}}}}}}
	p.Summary = plan.Summary{Update: 1}
	var md bytes.Buffer
	if err := render.PlanMarkdown(&md, p, ""); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(md.String(), "\n") {
		if strings.HasPrefix(line, "| ~ |") && strings.Count(strings.ReplaceAll(line, "\\|", ""), "|") != 7 {
			t.Errorf("a name split a table cell: %s", line)
		}
	}
}

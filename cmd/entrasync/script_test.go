package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/entrasync/entrasync/internal/cli"
	"github.com/entrasync/entrasync/internal/gitsrc"
	"github.com/entrasync/entrasync/internal/lock"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/sim"
)

// These scripts run the whole product: the CLI, the Graph adapter with
// msgraph-sdk-go, and the emulator in-process on a state file.

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"entrasync": func() {
			os.Exit(cli.Main(context.Background(), os.Args[1:], cli.OSStreams(), cli.Deps{OpenTenant: openTenant}))
		},
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			// The example tenant, for the scripts that run against it.
			examples, err := filepath.Abs(filepath.Join("..", "..", "examples"))
			env.Setenv("EXAMPLES", examples)
			return err
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"git-commit": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: git-commit DIR MESSAGE")
				}
				hash, err := gitsrc.CommitAll(ts.MkAbs(args[0]), args[1], time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
				ts.Check(err)
				ts.Setenv("COMMIT", hash) // for the scripts that need the hash as GitHub gives it
			},
			"git-clone-shallow": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 2 {
					ts.Fatalf("usage: git-clone-shallow SRC DST")
				}
				ts.Check(gitsrc.Clone(ts.MkAbs(args[0]), ts.MkAbs(args[1]), false, 1))
			},
			"members":     members,
			"owners":      owners,
			"plan-edit":   planEdit,
			"unchanged":   unchanged,
			"put-lock":    putLock,
			"sync-schema": syncSchema,
			"schema-diff": schemaDiff,
			"profile":     profile,
			"last-import": lastImport,
			"gha-run":     ghaRun,
			"fake-github": fakeGitHub,
		},
	})
}

// members STATE NICKNAME WANT: the group's members, sorted and
// comma-separated, must be WANT ("-" for none).
func members(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: members STATE NICKNAME WANT")
	}
	st, err := sim.LoadState(ts.MkAbs(args[0]))
	ts.Check(err)
	names, err := sim.MemberNames(st, args[1])
	ts.Check(err)
	expect(ts, neg, "members of "+args[1], names, args[2])
}

// expect compares sorted names, comma-separated ("-" for none), with want.
func expect(ts *testscript.TestScript, neg bool, what string, names []string, want string) {
	have := strings.Join(names, ",")
	if have == "" {
		have = "-"
	}
	if (have == want) == neg {
		ts.Fatalf("%s: %s (want %s)", what, have, want)
	}
}

// plan-edit FILE OLD NEW [redigest]: replaces text in a saved plan, as
// someone editing it would; with "redigest", also recomputes its digest,
// as someone who knows the format would, so apply's own checks are what
// must stop the edit.
func planEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: plan-edit FILE OLD NEW [redigest]")
	}
	path := ts.MkAbs(args[0])
	text := ts.ReadFile(args[0])
	if !strings.Contains(text, args[1]) {
		ts.Fatalf("%s does not contain %q", args[0], args[1])
	}
	text = strings.ReplaceAll(text, args[1], args[2])
	if len(args) == 4 {
		var p plan.Plan
		ts.Check(json.Unmarshal([]byte(text), &p))
		p.Digest = p.ComputeDigest()
		data, err := json.Marshal(&p)
		ts.Check(err)
		text = string(data)
	}
	ts.Check(os.WriteFile(path, []byte(text), 0o644))
}

// owners STATE NICKNAME WANT: the group's owners by userPrincipalName
// (service principals by displayName), sorted and comma-separated, must be WANT ("-" for none).
func owners(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: owners STATE NICKNAME WANT")
	}
	st, err := sim.LoadState(ts.MkAbs(args[0]))
	ts.Check(err)
	upn := map[string]string{}
	for _, u := range st.Users {
		upn[strings.ToLower(u.ID)] = u.UserPrincipalName
	}
	for _, sp := range st.ServicePrincipals {
		upn[strings.ToLower(sp.ID)] = sp.DisplayName
	}
	var names []string
	for _, g := range st.Groups {
		if strings.EqualFold(g.MailNickname, args[1]) {
			for _, o := range g.Owners {
				names = append(names, upn[strings.ToLower(o)])
			}
		}
	}
	slices.Sort(names)
	expect(ts, neg, "owners of "+args[1], names, args[2])
}

// unchanged BEFORE AFTER: the two state files hold the same tenant: no
// write reached the emulator, or only an apply lock taken and released.
func unchanged(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: [!] unchanged BEFORE AFTER")
	}
	if changed := ts.ReadFile(args[0]) != ts.ReadFile(args[1]); changed != neg {
		ts.Fatalf("the tenant state changed: %t", changed)
	}
}

// sync-schema STATE OUT: writes the schema of the tenant's one
// synchronization job to OUT.
func syncSchema(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: sync-schema STATE OUT")
	}
	st, err := sim.LoadState(ts.MkAbs(args[0]))
	ts.Check(err)
	var schemas []map[string]any
	for _, sp := range st.ServicePrincipals {
		if sp.Synchronization != nil {
			for _, j := range sp.Synchronization.Jobs {
				schemas = append(schemas, j.Schema)
			}
		}
	}
	if len(schemas) != 1 {
		ts.Fatalf("%d synchronization jobs, want 1", len(schemas))
	}
	data, err := json.MarshalIndent(schemas[0], "", " ")
	ts.Check(err)
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), data, 0o644))
}

// schema-diff BEFORE AFTER TARGET: the two schemas are the same but for
// the attribute mapping of TARGET: every other rule, object mapping,
// attribute mapping, directory and property compares equal.
func schemaDiff(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: schema-diff BEFORE AFTER TARGET")
	}
	read := func(name string) map[string]any {
		var doc map[string]any
		ts.Check(json.Unmarshal([]byte(ts.ReadFile(name)), &doc))
		return doc
	}
	// without takes the target's mapping out of a schema and returns it.
	without := func(doc map[string]any) any {
		om := doc["synchronizationRules"].([]any)[0].(map[string]any)["objectMappings"].([]any)[0].(map[string]any)
		var kept []any
		var taken any
		for _, m := range om["attributeMappings"].([]any) {
			if m.(map[string]any)["targetAttributeName"] == args[2] {
				taken = m
				continue
			}
			kept = append(kept, m)
		}
		om["attributeMappings"] = kept
		return taken
	}
	before, after := read(args[0]), read(args[1])
	mb, ma := without(before), without(after)
	if !sameJSON(before, after) {
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		ts.Fatalf("the schemas differ beyond %s's mapping:\n%s\n%s", args[2], b, a)
	}
	if sameJSON(mb, ma) {
		ts.Fatalf("%s's mapping did not change", args[2])
	}
}

// sameJSON reports whether two values encode to the same JSON.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// profile STATE UPN WANT: the user's SharePoint profile values, sorted
// NAME=VALUE pairs comma-separated, must be WANT ("-" for none).
func profile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: profile STATE UPN WANT")
	}
	st, err := sim.LoadState(ts.MkAbs(args[0]))
	ts.Check(err)
	var pairs []string
	for k, v := range sim.ProfilesByUPN(st)[args[1]] {
		pairs = append(pairs, k+"="+v)
	}
	slices.Sort(pairs)
	expect(ts, neg, "the profile of "+args[1], pairs, args[2])
}

// last-import STATE N: the import file uploaded last holds N records; it
// is written, indented, to last-import.json for grep.
func lastImport(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: last-import STATE N")
	}
	st, err := sim.LoadState(ts.MkAbs(args[0]))
	ts.Check(err)
	// Import files are named KEY-TIME.json, so the newest sorts last.
	var newest *sim.File
	newestPath := ""
	if st.SharePoint != nil {
		for _, site := range st.SharePoint.Sites {
			for _, d := range site.Drives {
				for path, f := range d.Files {
					if strings.Contains(path, "/.entrasync/") || strings.HasSuffix(path, ".log") {
						continue
					}
					if path > newestPath {
						newest, newestPath = f, path
					}
				}
			}
		}
	}
	if newest == nil {
		ts.Fatalf("no import file was uploaded")
	}
	var doc struct {
		Value []map[string]any `json:"value"`
	}
	ts.Check(json.Unmarshal(newest.Content, &doc))
	if want := args[1]; strconv.Itoa(len(doc.Value)) != want {
		ts.Fatalf("the last import file holds %d records, want %s", len(doc.Value), want)
	}
	out, _ := json.MarshalIndent(doc, "", "  ")
	ts.Check(os.WriteFile(ts.MkAbs("last-import.json"), out, 0o644))
}

// put-lock STATE CONFIGURATION HOLDER LEASE: another run's apply lock in
// the state file. HOLDER is "gone" (a process of this host that no
// longer exists) or "elsewhere" (a process of another host); LEASE is
// "live" (an hour left) or "expired".
func putLock(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 4 {
		ts.Fatalf("usage: put-lock STATE CONFIGURATION gone|elsewhere live|expired")
	}
	st, err := sim.LoadState(ts.MkAbs(args[0]))
	ts.Check(err)
	host, _ := os.Hostname()
	// A pid above Linux's pid_max (4194304) never names a live process.
	pid := 99999999
	if args[2] == "elsewhere" {
		host, pid = "runner-elsewhere", 4242
	}
	until := time.Now().Add(time.Hour)
	if args[3] == "expired" {
		until = time.Now().Add(-time.Minute)
	}
	if st.OrganizationExtensions == nil {
		st.OrganizationExtensions = map[string]map[string]any{}
	}
	st.OrganizationExtensions[lock.Extension+args[1]] = map[string]any{"run": "0123456789abcdef", "user": "bob", "host": host,
		"pid": pid, "since": time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339), "until": until.UTC().Format(time.RFC3339)}
	ts.Check(sim.SaveState(ts.MkAbs(args[0]), st))
}

package azuread

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The emulated tenant: an app with a client secret and its service
// principal (the caller, as Terraform's service principal would be), a
// user who owns groups, another who becomes an owner later, and 4,000
// users to be members: a listing of the tests' 151 needs more than
// Graph's default page of 100, and the benchmark adds all 4,000.
const (
	tenantID  = "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"
	clientID  = "6b1f2a57-0c1e-4d0a-9a3c-1f2e3d4c5b6a"
	secret    = "terraform-secret"
	callerID  = "7c2e3b68-1d2f-4e1b-8b4d-2a3f4e5d6c7b"
	ownerID   = "0a000000-0000-4000-8000-000000000001"
	owner2ID  = "0a000000-0000-4000-8000-000000000002"
	nMembers  = 151
	nUsers    = 4000 // the benchmark's members
	graphWait = 30 * time.Second
)

// memberID is the id of the i-th user who can be made a member.
func memberID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1) }

// memberUPN is that user's userPrincipalName, by which entrasync's
// configuration names it.
func memberUPN(i int) string { return fmt.Sprintf("m%04d@contoso.com", i) }

// emulatorFlags are the switches every emulator here runs with: a small
// latency and Graph's throttling quotas, as the benchmark compares under.
var emulatorFlags = []string{"--latency", peerLatency.String(), "--throttle"}

// shared is what run started for the tests: the entrasync binary, a
// scratch directory and the emulator the ARM_* variables point at.
var shared struct {
	bin, dir string
	emu      *emulator
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run serves the tenant with `entrasync sim serve --require-auth` and
// hands the tests only what a Terraform user configures: the metadata
// host, the tenant, the client id and secret (the provider's ARM_*
// variables) and the CA to trust (SSL_CERT_FILE, which Go reads once
// per process: every client here trusts this one emulator's authority).
func run(m *testing.M) int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, err); return 1 }
	dir, err := os.MkdirTemp("", "azuread-interop")
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(dir)
	shared.dir = dir

	shared.bin = os.Getenv("ENTRASYNC_BIN")
	if shared.bin == "" {
		shared.bin = filepath.Join(dir, "entrasync")
		build := exec.Command("go", "build", "-o", shared.bin, "./cmd/entrasync")
		build.Dir = filepath.Join("..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fail(fmt.Errorf("building entrasync: %w", err))
		}
	}
	state := filepath.Join(dir, "tenant.json")
	if err := writeTenant(state); err != nil {
		return fail(err)
	}
	shared.emu, err = startEmulator(state, append([]string{"--require-auth"}, emulatorFlags...)...)
	if err != nil {
		return fail(err)
	}
	defer shared.emu.stop()
	for k, v := range map[string]string{
		"SSL_CERT_FILE":         shared.emu.caFile,
		"ARM_METADATA_HOSTNAME": strings.TrimSuffix(strings.TrimPrefix(shared.emu.authority, "https://"), "/"),
		"ARM_TENANT_ID":         tenantID,
		"ARM_CLIENT_ID":         clientID,
		"ARM_CLIENT_SECRET":     secret,
	} {
		os.Setenv(k, v)
	}
	return m.Run()
}

// emulator is a running `entrasync sim serve`.
type emulator struct {
	graphURL, authority, caFile string
	cmd                         *exec.Cmd
}

// startEmulator serves state with the given flags and reads the three
// lines sim serve prints: the Graph URL, the authority URL, the CA file.
func startEmulator(state string, flags ...string) (*emulator, error) {
	cmd := exec.Command(shared.bin, append([]string{"sim", "serve", "--state", state}, flags...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the emulator: %w", err)
	}
	e := &emulator{cmd: cmd}
	lines := make(chan []string, 1)
	go func() {
		var got []string
		sc := bufio.NewScanner(out)
		for len(got) < 3 && sc.Scan() {
			got = append(got, sc.Text())
		}
		lines <- got
	}()
	var printed []string
	select {
	case printed = <-lines:
	case <-time.After(time.Minute):
	}
	if len(printed) != 3 {
		e.stop()
		return nil, fmt.Errorf("sim serve printed %q, want three lines", printed)
	}
	e.graphURL, e.authority, e.caFile = printed[0], printed[1], printed[2]
	return e, nil
}

// stop interrupts the emulator, which saves its state and exits.
func (e *emulator) stop() {
	_ = e.cmd.Process.Signal(os.Interrupt)
	_ = e.cmd.Wait()
}

func writeTenant(path string) error {
	type user struct {
		ID                string `json:"id"`
		UserPrincipalName string `json:"userPrincipalName"`
		DisplayName       string `json:"displayName"`
		AccountEnabled    bool   `json:"accountEnabled"`
	}
	users := []user{
		{ownerID, "owner@contoso.com", "Owner", true},
		{owner2ID, "owner2@contoso.com", "Second owner", true},
	}
	for i := range nUsers {
		users = append(users, user{memberID(i), memberUPN(i), fmt.Sprintf("Member %04d", i), true})
	}
	data, err := json.MarshalIndent(map[string]any{
		"tenantId":          tenantID,
		"domain":            "contoso.com",
		"users":             users,
		"groups":            []any{},
		"devices":           []any{},
		"apps":              []any{map[string]string{"clientId": clientID, "secret": secret}},
		"servicePrincipals": []any{map[string]string{"id": callerID, "appId": clientID, "displayName": "terraform"}},
	}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}

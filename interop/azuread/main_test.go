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
// user who owns groups, another who becomes an owner later, and enough
// members that a listing needs more than Graph's default page of 100.
const (
	tenantID  = "8f6c1c3e-5b6a-4c1e-9a55-3f0d6c2b7a10"
	clientID  = "6b1f2a57-0c1e-4d0a-9a3c-1f2e3d4c5b6a"
	secret    = "terraform-secret"
	callerID  = "7c2e3b68-1d2f-4e1b-8b4d-2a3f4e5d6c7b"
	ownerID   = "00000000-0000-4000-8000-000000000901"
	owner2ID  = "00000000-0000-4000-8000-000000000902"
	nMembers  = 151
	graphWait = 30 * time.Second
)

// memberID is the id of the i-th user who can be made a member.
func memberID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i+1) }

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run serves the tenant with `entrasync sim serve --require-auth` and
// hands the tests only what a Terraform user configures: the metadata
// host, the tenant, the client id and secret (the provider's ARM_*
// variables) and the CA to trust (SSL_CERT_FILE, read by Go's TLS).
func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "azuread-interop")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	bin := os.Getenv("ENTRASYNC_BIN")
	if bin == "" {
		bin = filepath.Join(dir, "entrasync")
		build := exec.Command("go", "build", "-o", bin, "./cmd/entrasync")
		build.Dir = filepath.Join("..", "..")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "building entrasync:", err)
			return 1
		}
	}
	state := filepath.Join(dir, "tenant.json")
	if err := writeTenant(state); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	serve := exec.Command(bin, "sim", "serve", "--state", state, "--require-auth")
	serve.Stderr = os.Stderr
	out, err := serve.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := serve.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting the emulator:", err)
		return 1
	}
	defer func() {
		_ = serve.Process.Signal(os.Interrupt)
		_ = serve.Wait()
	}()
	// sim serve prints the Graph URL, the authority URL and the CA file.
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
		fmt.Fprintf(os.Stderr, "sim serve printed %q, want three lines\n", printed)
		return 1
	}
	authority := strings.TrimSuffix(strings.TrimPrefix(printed[1], "https://"), "/")
	for k, v := range map[string]string{
		"SSL_CERT_FILE":         printed[2],
		"ARM_METADATA_HOSTNAME": authority,
		"ARM_TENANT_ID":         tenantID,
		"ARM_CLIENT_ID":         clientID,
		"ARM_CLIENT_SECRET":     secret,
	} {
		os.Setenv(k, v)
	}
	return m.Run()
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
	for i := range nMembers {
		users = append(users, user{memberID(i), fmt.Sprintf("m%03d@contoso.com", i), fmt.Sprintf("Member %03d", i), true})
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

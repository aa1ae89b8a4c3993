package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/entrasync/entrasync/internal/cli"
	"github.com/entrasync/entrasync/internal/graph"
	"github.com/entrasync/entrasync/internal/sim"
)

// openTenant connects the CLI to a tenant: the emulator in-process for
// "sim:PATH", a Graph-compatible endpoint for --graph-url, and Microsoft
// Graph otherwise, with credentials from the environment.
func openTenant(ctx context.Context, spec cli.TenantSpec) (cli.Tenant, error) {
	if path, ok := strings.CutPrefix(spec.Tenant, "sim:"); ok {
		return openSim(spec, path)
	}
	tenantID := spec.Tenant
	if tenantID == "" {
		tenantID = spec.ConfigTenant
	}
	cred, how, err := graph.CredentialFromEnv(spec.Getenv, tenantID)
	switch {
	case err != nil && spec.GraphURL == "":
		return cli.Tenant{}, err
	case err != nil:
		// A local endpoint (the emulator) may need no token.
		cred, how = nil, "no credentials"
	}
	c, err := graph.NewClient(graph.Config{BaseURL: spec.GraphURL, Credential: cred})
	if err != nil {
		return cli.Tenant{}, err
	}
	where := "Microsoft Graph for tenant " + tenantID
	if spec.GraphURL != "" {
		where = spec.GraphURL
	}
	b := graph.NewBackend(c, 4)
	sp := graph.NewSharePoint(b, graph.SharePointConfig{URL: spec.SharePointURL, Credential: cred})
	return cli.Tenant{Backend: b, SharePoint: sp, Describe: where + " (" + how + ")", Traffic: b.Traffic, Close: func() error { return nil }}, nil
}

// openSim serves a state file with the emulator on loopback for the
// length of one command, through the real Graph client. Behaviour
// switches come from ENTRASYNC_SIM_* variables (see README).
func openSim(spec cli.TenantSpec, path string) (cli.Tenant, error) {
	if h, held := sim.Held(path); held {
		// Two emulators on one file: the last to save would drop the
		// other's changes. The running one serves this command as well.
		return cli.Tenant{}, fmt.Errorf("%w; to use it, pass --graph-url %s instead of --tenant sim:%s", sim.HeldError{Path: path, Holder: h}, h.URL, path)
	}
	st, err := sim.LoadState(path)
	if err != nil {
		return cli.Tenant{}, err
	}
	opts, err := simOptions(spec.Getenv)
	if err != nil {
		return cli.Tenant{}, err
	}
	opts.StatePath = path
	closeLog := func() error { return nil }
	if name := spec.Getenv("ENTRASYNC_SIM_WRITE_LOG"); name != "" {
		f, err := os.OpenFile(name, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return cli.Tenant{}, fmt.Errorf("ENTRASYNC_SIM_WRITE_LOG: %w", err)
		}
		opts.WriteLog, closeLog = f, f.Close
	}
	srv, err := sim.NewServer(st, opts)
	if err != nil {
		_ = closeLog()
		return cli.Tenant{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = closeLog()
		return cli.Tenant{}, err
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	var cred azcore.TokenCredential // the in-process emulator does not require tokens
	c, err := graph.NewClient(graph.Config{BaseURL: "http://" + ln.Addr().String() + "/v1.0", Credential: cred})
	if err != nil {
		hs.Close()
		_ = closeLog()
		return cli.Tenant{}, err
	}
	b := graph.NewBackend(c, 4)
	return cli.Tenant{
		Backend: b,
		// The emulator serves SharePoint's admin calls too.
		SharePoint: graph.NewSharePoint(b, graph.SharePointConfig{URL: "http://" + ln.Addr().String()}),
		Describe:   "the emulator on " + path,
		Traffic:    b.Traffic,
		Close: func() error {
			_ = hs.Close()
			err := srv.Close()
			return errors.Join(err, closeLog())
		},
	}, nil
}

func simOptions(getenv func(string) string) (sim.Options, error) {
	var o sim.Options
	var errs []error
	dur := func(name string, d *time.Duration) {
		if v := getenv(name); v != "" {
			x, err := time.ParseDuration(v)
			errs = append(errs, wrap(name, err))
			*d = x
		}
	}
	dur("ENTRASYNC_SIM_LATENCY", &o.Latency)
	dur("ENTRASYNC_SIM_REPLICATION_LAG", &o.ReplicationLag)
	// The emulator's clock runs ahead by this much: sync job cycles
	// complete without waiting for them (demos and tests).
	var ahead time.Duration
	dur("ENTRASYNC_SIM_CLOCK_AHEAD", &ahead)
	if ahead != 0 {
		o.Now = func() time.Time { return time.Now().Add(ahead) }
	}
	if v := getenv("ENTRASYNC_SIM_FAULT_RATE"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		errs = append(errs, wrap("ENTRASYNC_SIM_FAULT_RATE", err))
		o.FaultRate = f
	}
	if v := getenv("ENTRASYNC_SIM_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		errs = append(errs, wrap("ENTRASYNC_SIM_SEED", err))
		o.Seed = n
	}
	if v := getenv("ENTRASYNC_SIM_FAIL_WRITES_AFTER"); v != "" {
		n, err := strconv.Atoi(v)
		errs = append(errs, wrap("ENTRASYNC_SIM_FAIL_WRITES_AFTER", err))
		o.FailWritesAfter = n
	}
	// How long an import job spends in each of Submitted, Processing
	// and Queued (SharePoint takes hours; the emulator a second by default).
	dur("ENTRASYNC_SIM_IMPORT_STEP", &o.ImportStep)
	o.Throttle = getenv("ENTRASYNC_SIM_THROTTLE") == "1"
	return o, errors.Join(errs...)
}

func wrap(name string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", name, err)
}

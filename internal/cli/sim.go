package cli

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/sim"
)

func (a *app) simCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Run the Microsoft Graph emulator (for demos, tests and benchmarks)",
		Long: `sim runs entrasync's stateful Microsoft Graph emulator on loopback. It speaks
Graph v1.0 for users, devices, groups, memberships, delta and $batch, and
answers as Graph does (paging, errors, throttling), so the real Graph client
can be exercised without a tenant.`,
		Example: `  entrasync sim seed --users 1000 --groups 50 --members-per-group 20 --out tenant.json
  entrasync sim serve --state tenant.json`,
	}
	cmd.AddCommand(a.simServeCmd(), a.simSeedCmd(), a.simMembersCmd(), a.simEditCmd(true), a.simEditCmd(false), a.simSetUserCmd())
	return cmd
}

type simServeFlags struct {
	state, addr, authorityAddr, caFile string
	opts                               sim.Options
}

func (a *app) simServeCmd() *cobra.Command {
	var f simServeFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve a tenant state file as Microsoft Graph on loopback",
		Long: `serve loads a state file and serves it until interrupted, saving changes back
to the file atomically. It prints three lines on stdout:

  1. the Graph base URL (http://127.0.0.1:PORT/v1.0)
  2. the authority URL for azidentity (https://127.0.0.1:PORT/), served over TLS
  3. the file holding the authority's CA certificate, for clients to trust

SharePoint Online (sites, libraries, the tenant admin calls of the bulk
profile import) is served on the same address: pass its scheme and host as
--sharepoint-url, or let --graph-url imply it.

The emulator's own admin API is under /_sim/ on the Graph address:
GET /_sim/stats, POST /_sim/stats/reset, GET|PATCH /_sim/config, POST /_sim/save.`,
		Example: `  entrasync sim serve --state examples/contoso/tenant.json
  entrasync sim serve --state tenant.json --addr 127.0.0.1:8080 --throttle --fault-rate 0.05 --seed 1
  entrasync sim serve --state tenant.json --require-auth`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runSimServe(cmd, &f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.state, "state", "", "tenant state file (JSON); changes are saved back to it (required)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:0", "address for Graph (loopback; port 0 picks one)")
	fl.StringVar(&f.authorityAddr, "authority-addr", "127.0.0.1:0", "address for the TLS token authority")
	fl.StringVar(&f.caFile, "ca-file", "", "where to write the authority's CA certificate (default: STATE.ca.pem)")
	fl.BoolVar(&f.opts.RequireAuth, "require-auth", false, "answer 401 to Graph calls without a token from this emulator's authority")
	fl.DurationVar(&f.opts.Latency, "latency", 0, "latency added to every request")
	fl.DurationVar(&f.opts.Jitter, "jitter", 0, "random extra latency, up to this much")
	fl.BoolVar(&f.opts.Throttle, "throttle", false, "enforce Graph's documented token buckets (429 with Retry-After)")
	fl.DurationVar(&f.opts.ReplicationLag, "replication-lag", 0, "new objects answer 404 for this long")
	fl.Float64Var(&f.opts.FaultRate, "fault-rate", 0, "fraction of requests failing with 503, 500 or a reset")
	fl.Uint64Var(&f.opts.Seed, "seed", 1, "seed for faults and jitter, so a run can be repeated")
	fl.DurationVar(&f.opts.ImportStep, "import-step", time.Second, "how long a profile import job stays in each of Submitted, Processing and Queued")
	fl.IntVar(&f.opts.FailWritesAfter, "fail-writes-after", 0, "fail every write after this many with 500 (an interrupted apply)")
	_ = cmd.MarkFlagRequired("state")
	return cmd
}

func (a *app) runSimServe(cmd *cobra.Command, f *simServeFlags) error {
	if host, _, err := net.SplitHostPort(f.addr); err != nil || !net.ParseIP(host).IsLoopback() && host != "localhost" {
		return fmt.Errorf("--addr %s: the emulator only listens on loopback addresses", f.addr)
	}
	if h, held := sim.Held(f.state); held {
		return sim.HeldError{Path: f.state, Holder: h}
	}
	st, err := sim.LoadState(f.state)
	if err != nil {
		return err
	}
	f.opts.StatePath = f.state
	srv, err := sim.NewServer(st, f.opts)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	if f.caFile == "" {
		f.caFile = f.state + ".ca.pem"
	}
	auth, err := srv.StartAuthority(f.authorityAddr, f.caFile)
	if err != nil {
		ln.Close()
		return err
	}
	defer auth.Close()
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	graphURL := fmt.Sprintf("http://%s/v1.0", ln.Addr())
	auth.SetGraphRoot(fmt.Sprintf("http://%s/", ln.Addr()))
	release, err := sim.Hold(f.state, graphURL)
	if err != nil {
		_ = hs.Close()
		return err
	}
	defer release()
	fmt.Fprintf(a.stdio.Out, "%s\n%s\n%s\n", graphURL, auth.URL, f.caFile)

	select {
	case <-cmd.Context().Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	_ = hs.Close()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("saving %s: %w", f.state, err)
	}
	return nil
}

func (a *app) simSeedCmd() *cobra.Command {
	var o sim.SeedOptions
	var out string
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Write a large deterministic tenant state file",
		Long: `seed generates a tenant with the given numbers of users, groups and members
per group. The same flags always produce the same file, so benchmarks and
bug reports can name a tenant by its flags.`,
		Example: `  entrasync sim seed --users 100000 --groups 5000 --members-per-group 200 --seed 1 --out big.json`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.MembersPerGroup > o.Users {
				return fmt.Errorf("--members-per-group %d is more than --users %d", o.MembersPerGroup, o.Users)
			}
			if out == "" {
				return errors.New("--out is required")
			}
			if err := sim.SaveState(out, sim.Seed(o)); err != nil {
				return err
			}
			info, err := os.Stat(out)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(a.stdio.Out, "Wrote %s: %d users, %d groups, %d memberships, %d devices (%.1f MB).\n",
				out, o.Users, o.Groups, o.Groups*o.MembersPerGroup, o.Devices, float64(info.Size())/1e6)
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&o.Users, "users", 1000, "number of users")
	fl.IntVar(&o.Groups, "groups", 50, "number of groups")
	fl.IntVar(&o.MembersPerGroup, "members-per-group", 20, "members of each group")
	fl.IntVar(&o.Devices, "devices", 10, "number of devices")
	fl.Uint64Var(&o.Seed, "seed", 1, "generator seed")
	fl.StringVar(&o.Domain, "domain", "contoso.com", "domain of the user principal names")
	fl.StringVar(&out, "out", "", "state file to write (required)")
	return cmd
}

// simEditCmd changes a state file the way an administrator would in the
// portal, outside entrasync: demos and tests use it to show what
// incremental sync leaves alone.
func (a *app) simEditCmd(add bool) *cobra.Command {
	var state, group, member string
	var owner bool
	verb, name := "Remove", "remove-member"
	if add {
		verb, name = "Add", "add-member"
	}
	cmd := &cobra.Command{
		Use:     name,
		Short:   verb + " a group member in a state file, as a portal edit would",
		Example: "  entrasync sim " + name + " --state tenant.json --group vpn-users --member dave@contoso.com",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sim.Edit(state, func(st *sim.State) error { return sim.EditMember(st, group, member, add, owner) })
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "tenant state file (required)")
	cmd.Flags().StringVar(&group, "group", "", "the group's mailNickname (required)")
	cmd.Flags().StringVar(&member, "member", "", "the member's userPrincipalName (required)")
	cmd.Flags().BoolVar(&owner, "owner", false, "edit the group's owners instead of its members")
	for _, f := range []string{"state", "group", "member"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// simSetUserCmd changes a user property in a state file, as an HR system
// would: demos and tests use it to show computed sources being followed.
func (a *app) simSetUserCmd() *cobra.Command {
	var state, user string
	var set []string
	cmd := &cobra.Command{
		Use:     "set-user",
		Short:   "Set user properties in a state file, as an HR system would",
		Example: "  entrasync sim set-user --state tenant.json --user erin@contoso.com --set department=Sales",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sim.Edit(state, func(st *sim.State) error {
				for _, kv := range set {
					name, value, ok := strings.Cut(kv, "=")
					if !ok || name == "" {
						return fmt.Errorf("--set %q: want NAME=VALUE", kv)
					}
					if err := sim.SetUserProperty(st, user, name, value); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "tenant state file (required)")
	cmd.Flags().StringVar(&user, "user", "", "the user's userPrincipalName (required)")
	cmd.Flags().StringArrayVar(&set, "set", nil, "NAME=VALUE to set (repeatable; an empty VALUE clears it)")
	for _, f := range []string{"state", "user", "set"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

func (a *app) simMembersCmd() *cobra.Command {
	var state, group string
	cmd := &cobra.Command{
		Use:     "members",
		Short:   "List a group's members in a state file",
		Example: "  entrasync sim members --state tenant.json --group vpn-users",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := sim.LoadState(state)
			if err != nil {
				return err
			}
			names, err := sim.MemberNames(st, group)
			if err != nil {
				return err
			}
			for _, n := range names {
				fmt.Fprintln(a.stdio.Out, n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&state, "state", "", "tenant state file (required)")
	cmd.Flags().StringVar(&group, "group", "", "the group's mailNickname (required)")
	_ = cmd.MarkFlagRequired("state")
	_ = cmd.MarkFlagRequired("group")
	return cmd
}

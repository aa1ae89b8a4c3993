package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/entrasync/entrasync/internal/apply"
	"github.com/entrasync/entrasync/internal/plan"
	"github.com/entrasync/entrasync/internal/profiles"
	"github.com/entrasync/entrasync/internal/render"
)

type applyFlags struct {
	planFlags
	autoApprove      bool
	allowMassRemoval bool
	allowDirty       bool
	noWait           bool
	importPoll       time.Duration
	format           string
	lock             lockFlags
}

func (a *app) applyCmd() *cobra.Command {
	var f applyFlags
	cmd := &cobra.Command{
		Use:   "apply [plan.json]",
		Short: "Change the tenant to match the configuration",
		Long: `apply changes the tenant: create groups, wait until they are readable, owners,
member adds, member removes, deletes, and each group's marker last. A result
line per change says Success or Failed with Graph's error.

With a plan file it applies exactly that plan, after checking that the tenant
has not changed since the plan was made. Without one it plans first, shows
the plan and asks for confirmation unless --auto-approve.

A change that would remove more than 10 members and more than 20% of a group,
or empty it, stops apply before any write unless --allow-mass-removal.

Two applies of one configuration never run at once: apply takes a lock in the
tenant (an open extension on the organization) before it reads what it will
change, and another apply is refused, or waits with --lock-wait. A lock left
by an apply that was killed is taken over once its process is gone or its
lease (5 minutes) has run out.`,
		Example: `  entrasync apply --dir config --rev HEAD --tenant sim:examples/contoso/tenant.json
  entrasync plan --dir config --rev HEAD --out plan.json && entrasync apply plan.json
  entrasync apply --dir config --rev HEAD --full --auto-approve`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			file := ""
			if len(args) == 1 {
				file = args[0]
			}
			return a.runApply(cmd.Context(), &f, file)
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.autoApprove, "auto-approve", false, "apply without asking")
	cmd.Flags().BoolVar(&f.allowMassRemoval, "allow-mass-removal", false, "apply changes that trip the removal guard")
	cmd.Flags().BoolVar(&f.noWait, "no-wait", false, "return once profile import jobs are queued (entrasync status and the next plan follow them)")
	cmd.Flags().DurationVar(&f.importPoll, "import-poll", 2*time.Second, "first wait between reads of a profile import job's state, doubled up to a minute")
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text (the plan, then a line per change), or markdown (the outcome, for a pull-request comment)")
	cmd.Flags().DurationVar(&f.lock.wait, "lock-wait", 0, "wait this long for another apply of the same configuration to finish (default: refuse at once)")
	cmd.Flags().BoolVar(&f.lock.noLock, "no-lock", false, "apply without taking the configuration's lock in the tenant (only where applies already run one at a time)")
	cmd.Flags().BoolVar(&f.allowDirty, "allow-dirty", false, "apply a configuration with uncommitted changes (markers record HEAD; the uncommitted changes count as made by hand)")
	return cmd
}

func (a *app) runApply(ctx context.Context, f *applyFlags, file string) error {
	if err := oneOf("--format", f.format, "text", "markdown"); err != nil {
		return err
	}
	if f.format == "markdown" && file == "" && !f.autoApprove {
		return errors.New("--format markdown shows no plan to confirm: apply a saved plan, or pass --auto-approve")
	}
	if file != "" {
		a.beginSummary("apply", file)
	} else {
		a.beginSummary("apply", f.source.dir)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	hold := a.holdLock(f.lock, cancel)
	var pl *planned
	if file != "" {
		// A saved plan already fixed these; silently ignoring them would
		// let someone believe a --full or --prune took effect.
		if f.full || f.prune || len(f.targets) > 0 || f.rev != "" {
			return fmt.Errorf("--full, --prune, --target and --rev shape a plan; %s is already planned (run plan again with them)", file)
		}
		p, err := readPlan(file)
		if err != nil {
			return err
		}
		tenant, err := a.openTenant(ctx, &f.planFlags, p.Tenant)
		if err != nil {
			return err
		}
		release, err := hold(ctx, tenant, p.Tenant, p.Configuration)
		if err != nil {
			_ = tenant.Close()
			return err
		}
		tenant = tenant.closing(release)
		pl = &planned{plan: p, tenant: tenant}
		stale, err := apply.Stale(ctx, tenant.Backend, p)
		if err != nil {
			_ = tenant.Close()
			return fmt.Errorf("checking the plan against %s: %w", tenant.Describe, err)
		}
		if len(stale) > 0 {
			_ = tenant.Close()
			fmt.Fprintf(a.stdio.Err, "The saved plan is stale; the tenant changed after it was made:\n")
			for _, s := range stale {
				fmt.Fprintf(a.stdio.Err, "  %s\n", render.Clean(s))
			}
			fmt.Fprintf(a.stdio.Err, "Nothing was changed. Run plan again.\n")
			a.summarizeText("The saved plan is stale; the tenant changed after it was made. Nothing was changed. Run plan again.\n" + strings.Join(stale, "\n"))
			return &exitCode{code: ExitError}
		}
	} else {
		var err error
		if pl, err = a.makePlanHolding(ctx, &f.planFlags, hold); err != nil {
			return err
		}
	}
	defer pl.tenant.Close()
	p := pl.plan
	markdown := f.format == "markdown"
	if !markdown {
		if err := render.PlanText(a.stdio.Out, p, render.Style{Color: a.colour()}); err != nil {
			return err
		}
	}
	if p.Dirty && !f.allowDirty && p.HasChanges() {
		msg := "the configuration has uncommitted changes; commit them and apply again (or pass --allow-dirty). Nothing was changed."
		fmt.Fprintf(a.stdio.Err, "entrasync: %s\n", msg)
		a.summarizeText(msg)
		return &exitCode{code: ExitError}
	}
	if !p.HasChanges() {
		a.summarize(func(w io.Writer) error { return render.PlanMarkdown(w, p, "") })
		if markdown {
			return render.PlanMarkdown(a.stdio.Out, p, "")
		}
		return nil
	}
	if file == "" && !f.autoApprove {
		ok, err := a.confirm()
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(a.stdio.Out, "Apply cancelled; nothing was changed.")
			return &exitCode{code: ExitError}
		}
	}
	rep, err := apply.Run(ctx, p, pl.tenant.Backend, apply.Options{
		// Only the command line lifts a guard: never the plan file.
		AllowMassRemoval: f.allowMassRemoval,
		Progress:         a.progress("writes"),
		SharePoint:       pl.tenant.SharePoint,
		Imports:          profiles.RunOptions{NoWait: f.noWait, Poll: f.importPoll, MaxPoll: max(f.importPoll, time.Minute)},
	})
	var guard *apply.GuardError
	if errors.As(err, &guard) {
		fmt.Fprintf(a.stdio.Err, "entrasync: %s\nNothing was changed.\n", render.Clean(err.Error()))
		a.summarizeText(err.Error() + "\nNothing was changed.")
		return &exitCode{code: ExitError}
	}
	if err != nil {
		return err
	}
	if markdown || a.summary != nil {
		var md bytes.Buffer
		if err := render.ApplyMarkdown(&md, p, rep); err != nil {
			return err
		}
		a.summarize(func(w io.Writer) error { _, err := w.Write(md.Bytes()); return err })
		if markdown {
			_, err = a.stdio.Out.Write(md.Bytes())
		}
	}
	if !markdown {
		err = render.ApplyText(a.stdio.Out, rep)
	}
	if err != nil {
		return err
	}
	if cause := context.Cause(ctx); errors.Is(cause, errLockLost) {
		fmt.Fprintf(a.stdio.Err, "entrasync: %s; what was written stays, and a re-run continues\n", render.Clean(cause.Error()))
		return &exitCode{code: ExitError}
	}
	if rep.Failed() {
		return &exitCode{code: ExitError}
	}
	return nil
}

func readPlan(file string) (*plan.Plan, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	p, err := plan.Decode(data)
	switch {
	case errors.Is(err, plan.ErrEdited):
		return nil, fmt.Errorf("%s was %w; nothing was applied: run plan again", file, err)
	case err != nil:
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

// confirm asks on a terminal; elsewhere it refuses, so an unattended
// apply never proceeds without an explicit --auto-approve.
func (a *app) confirm() (bool, error) {
	if !isTerminal(a.stdio.In) {
		return false, errors.New("apply needs confirmation: run it on a terminal, or pass --auto-approve")
	}
	fmt.Fprint(a.stdio.Out, "\nDo you want to apply these changes? Only 'yes' is accepted: ")
	line, _ := bufio.NewReader(a.stdio.In).ReadString('\n')
	return strings.TrimSpace(line) == "yes", nil
}

// progress draws a bar on a terminal's stderr, and nothing elsewhere;
// unit names what it counts, for its rate.
func (a *app) progress(unit string) apply.Progress {
	if !isTerminal(a.stdio.Err) {
		return nil
	}
	return &bar{w: a.stdio.Err.(*os.File), unit: unit}
}

type bar struct {
	w    *os.File
	unit string
	b    *progressbar.ProgressBar
}

// Start draws a bar with the rate and the time left: the writer reports
// as each $batch is answered, so both follow what Graph actually does.
func (b *bar) Start(total int) {
	opts := []progressbar.Option{progressbar.OptionSetWriter(b.w), progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true), progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionSetWidth(30), progressbar.OptionClearOnFinish()}
	if b.unit != "" {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString(b.unit))
	}
	b.b = progressbar.NewOptions(total, opts...)
}
func (b *bar) Step(done int, phase string) {
	b.b.Describe(phase)
	_ = b.b.Set(done)
}
func (b *bar) Finish() { _ = b.b.Finish() }

package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// selection is what the migration's config says setup replicates.
func (m *migration) selection() core.Selection {
	sc := m.Cfg.Setup
	sel := core.Selection{Schemas: sc.Schemas, ReplicaIdentityFull: sc.ReplicaIdentityFull}
	for _, t := range sc.ExcludeTables {
		tn, _ := parseTableName(t) // checked when the config was loaded
		sel.ExcludeTables = append(sel.ExcludeTables, tn)
	}
	return sel
}

// roleOptions is what the migration's config says setup does with the roles and privileges.
func (m *migration) roleOptions() core.RoleOptions {
	sc := m.Cfg.Setup
	return core.RoleOptions{MapRoles: m.Cfg.Cutover.MapRoles, CreateRoles: sc.CreateRoles, Owners: sc.Owners, NoPrivileges: sc.NoPrivileges}
}

var checkIcons = map[string]string{core.CheckPass: ":white_check_mark:", core.CheckWarn: ":warning:", core.CheckFail: ":x:"}

func opPreflight(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.Preflight(ctx, core.PreflightOptions{Migration: r.mig.M, Selection: r.mig.selection(),
		RoleOptions: r.mig.roleOptions(), PgDump: r.b.cfg.PgDump, IndexesFirst: r.mig.Cfg.Setup.IndexesFirst, Jobs: r.mig.Cfg.Jobs,
		CopyByWorkers: r.mig.Cfg.Setup.CopyByWorkers, Observer: r.observer()})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	failed := len(res.Failed())
	if res.OK {
		fmt.Fprintf(&b, "Preflight of *%s*: every check passed or only warns (primary %s, replica %s).\n", r.req.cmd.Migration, res.PrimaryVersion, res.ReplicaVersion)
	} else {
		fmt.Fprintf(&b, "Preflight of *%s*: %d check(s) fail; fix them before `setup`.\n", r.req.cmd.Migration, failed)
	}
	for _, c := range res.Checks {
		fmt.Fprintf(&b, "%s *%s*: %s", checkIcons[c.Status], c.Name, c.Detail)
		if !c.Remedy.IsZero() && c.Status != core.CheckPass {
			b.WriteString(" _Fix:_ " + c.Remedy.Render(botSpeller{migration: r.req.cmd.Migration}))
		}
		b.WriteString("\n")
	}
	out := textOutcome(fmt.Sprintf("%d checks, %d failing", len(res.Checks), failed), b.String())
	out.Failed = !res.OK
	return out, nil
}

func opSetup(ctx context.Context, r *run) (*outcome, error) {
	sel := r.mig.selection()
	res, err := core.Setup(ctx, core.SetupOptions{Migration: r.mig.M, Selection: sel,
		RoleOptions:   r.mig.roleOptions(),
		PgDump:        r.b.cfg.PgDump,
		IndexesFirst:  r.mig.Cfg.Setup.IndexesFirst,
		SyncWorkers:   r.mig.Cfg.Setup.SyncWorkers,
		CopyByWorkers: r.mig.Cfg.Setup.CopyByWorkers,
		Execution:     r.execution()})
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	switch {
	case res.DryRun:
		fmt.Fprintf(&b, "Dry run of setup for *%s*: %d tables would replicate.\n%s", r.req.cmd.Migration, len(res.Tables), statementsText(res.Statements))
	case !res.Changed:
		fmt.Fprintf(&b, "*%s* is already set up: nothing to do (%d tables replicate).", r.req.cmd.Migration, len(res.Tables))
	default:
		fmt.Fprintf(&b, "Replication of *%s* is set up: %d tables", r.req.cmd.Migration, len(res.Tables))
		if res.SchemaImported {
			b.WriteString(", schema imported on the replica")
		}
		b.WriteString(". Follow it with `status " + r.req.cmd.Migration + "` or `wait " + r.req.cmd.Migration + "`.")
	}
	if n := len(res.Deferred); n > 0 && !res.DryRun {
		fmt.Fprintf(&b, "\n• %d secondary index(es) and constraint(s) left for after each table's copy: `wait %s` builds them.", n, r.req.cmd.Migration)
	}
	if res.Copied != nil {
		b.WriteString("\n• Copy: " + res.Copied.String())
	}
	if res.Transfer != nil {
		b.WriteString("\n• Transfer: " + res.Transfer.Why)
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(&b, "\n• skipped %s: %s", s.TableName, s.Reason)
	}
	writeRoles(&b, res.Roles, res.CreatedRoles)
	if sw := res.SyncWorkers; sw != nil {
		fmt.Fprintf(&b, "\nThe replica copies %d tables at once (max_sync_workers_per_subscription %d).", sw.AtOnce(), sw.SyncWorkers)
	}
	for _, w := range res.Warnings {
		b.WriteString("\n:warning: " + w)
	}
	summary := fmt.Sprintf("%d tables replicating", len(res.Tables))
	if res.DryRun {
		summary = fmt.Sprintf("dry run, %d statements", len(res.Statements))
	}
	return textOutcome(summary, b.String()), nil
}

func opWait(ctx context.Context, r *run) (*outcome, error) {
	// Like core's wait, the bot's has no limit of its own: the operation timeout bounds it.
	timeout := r.b.operationTimeout()
	if len(r.req.cmd.Args) == 1 {
		d, err := time.ParseDuration(r.req.cmd.Args[0])
		if err != nil || d <= 0 || d > r.b.operationTimeout() {
			return nil, fmt.Errorf("%q is not a timeout: write it like 30m or 2h, at most %s", r.req.cmd.Args[0], r.b.operationTimeout())
		}
		timeout = d
	}
	var lastNote time.Time
	st, err := core.Wait(ctx, core.WaitOptions{
		StatusOptions: core.StatusOptions{Migration: r.mig.M, MaxLag: r.mig.Cfg.MaxLagBytes, Observer: r.observer()},
		Timeout:       timeout, Interval: waitInterval, Jobs: r.mig.Cfg.Jobs,
		OnStatus: func(st *core.Status) {
			if time.Since(lastNote) < 30*time.Second {
				return
			}
			lastNote = time.Now()
			_ = r.b.store.sampleAdd(ctx, r.req.cmd.Migration, st)
			r.prog.note(fmt.Sprintf("%s: %s%s", verdicts[st.State], lagShort(st), progressShort(st)))
		},
	})
	if st != nil {
		_ = r.b.store.sampleAdd(ctx, r.req.cmd.Migration, st)
	}
	if errors.Is(err, core.ErrNotReady) && st != nil {
		trend, _ := r.b.store.samplesRecent(ctx, r.req.cmd.Migration, 24)
		out := textOutcome("not ready after "+timeout.String(), err.Error()+"\n"+statusText(r.req.cmd.Migration, st, trend))
		out.Failed = true
		return out, nil
	}
	if err != nil {
		return nil, err
	}
	return textOutcome("ready: "+lagShort(st), statusText(r.req.cmd.Migration, st, nil)), nil
}

// progressShort is the copy in bytes and the deferred indexes, for a progress note.
func progressShort(st *core.Status) string {
	s := ""
	if st.Copy != nil {
		s += "; copied " + st.Copy.String()
	}
	if st.Indexes.Pending() > 0 {
		s += "; indexes " + st.Indexes.String()
	}
	return s
}

func lagShort(st *core.Status) string {
	if st.LagBytes == nil {
		return "lag unknown"
	}
	return "lag " + core.FormatBytes(*st.LagBytes)
}

func opVerify(ctx context.Context, r *run) (*outcome, error) {
	res, err := core.Verify(ctx, core.VerifyOptions{Migration: r.mig.M, Observer: r.observer()})
	if err != nil && !errors.Is(err, core.ErrMismatch) && !errors.Is(err, core.ErrInconclusive) {
		return nil, err
	}
	var b strings.Builder
	if res.OK {
		fmt.Fprintf(&b, ":white_check_mark: Every table of *%s* matches: %d tables, %d rows.", r.req.cmd.Migration, len(res.Tables), res.Rows)
		writePrivileges(&b, res.Privileges)
		writeDefinitions(&b, res.Definitions)
		return textOutcome(fmt.Sprintf("%d tables match", len(res.Tables)), b.String()), nil
	}
	if res.Mismatches == 0 && res.Changing == 0 {
		fmt.Fprintf(&b, ":x: The data of *%s* matches (%d tables, %d rows), its privileges or its indexes and constraints do not.", r.req.cmd.Migration, len(res.Tables), res.Rows)
		writePrivileges(&b, res.Privileges)
		writeDefinitions(&b, res.Definitions)
		out := textOutcome(res.Beside()+" differ", b.String())
		out.Failed = true
		return out, nil
	}
	fmt.Fprintf(&b, ":x: %d of %d tables differ between primary and replica, %d kept changing at every point verify took:\n",
		res.Mismatches, len(res.Tables), res.Changing)
	shown := 0
	for _, t := range res.Tables {
		if t.Match || shown >= 20 {
			continue
		}
		shown++
		fmt.Fprintf(&b, "• %s: primary %d rows, replica %d rows", t.TableName, t.PrimaryRows, t.ReplicaRows)
		switch {
		case t.Error != "":
			b.WriteString(" (" + t.Error + ")")
		case t.Changing:
			b.WriteString(" (kept changing: not compared)")
		}
		b.WriteString("\n")
	}
	out := textOutcome(fmt.Sprintf("%d tables differ, %d not compared", res.Mismatches, res.Changing), b.String())
	out.Failed = true
	return out, nil
}

func opTeardown(ctx context.Context, r *run) (*outcome, error) {
	c := r.req.cmd
	res, err := core.Teardown(ctx, core.TeardownOptions{Migration: r.mig.M, Drop: c.Drop, Confirm: c.Drop,
		PgDump:    r.b.cfg.PgDump,
		Execution: r.execution()})
	if err != nil {
		return nil, err
	}
	return removalOutcome("teardown", "*"+c.Migration+"*", res.DryRun, res.Removed, res.Warnings, res.Statements), nil
}

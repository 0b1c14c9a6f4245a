package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
)

func (a *app) statusCommand() *cobra.Command {
	var s servers
	var maxLag bytesValue
	var asJSON, noSentinel bool
	var serve serveFlags
	cmd := &cobra.Command{
		Use:   "status --primary DSN --replica DSN",
		Short: "Report replication state: per-table sync, lag, a sentinel round trip, slot safety",
		Long: `Reports on the migration's replication: the verdict first (ready, catching up, broken),
then lag in bytes and time, the round trip of a sentinel row written to the primary, each
table's synchronisation state, the slot's WAL safety, the subscription's worker, and how the
replica's schema compares with the primary's: a column, table, index or enum value added on
the primary since setup is named, with what it does (a missing column stops replication at
the next change to its table) and what to do (pghandoff schema sync). Exits 0 when ready, 3
when not.

With --serve ADDR it keeps checking every --interval and serves the figures to Prometheus at
http://ADDR/metrics (see examples/prometheus-alerts.yml and examples/grafana-dashboard.json)
until stopped; each check writes a sentinel row to the primary unless --no-sentinel.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := a.migration(cmd, &s, primaryFlag, replicaFlag)
			if err != nil {
				return err
			}
			opts := core.StatusOptions{Migration: m, MaxLag: int64(maxLag), NoSentinel: noSentinel, Observer: a.silentObserver()}
			if serve.addr != "" {
				return a.serveStatus(cmd.Context(), serve, opts)
			}
			st, err := core.GetStatus(cmd.Context(), opts)
			if err = show(a, asJSON, st, err, renderStatus); err == nil && !st.Ready {
				return &exitError{code: exitNotReady}
			}
			return err
		},
	}
	s.addFlags(cmd, primaryFlag, replicaFlag)
	maxLagFlag(cmd, &maxLag)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&noSentinel, "no-sentinel", false, "do not write a sentinel row to the primary")
	serve.add(cmd)
	return cmd
}

var verdicts = map[string]string{
	core.StateReady:      "READY: the replica has caught up",
	core.StateCatchingUp: "CATCHING UP",
	core.StateBroken:     "BROKEN: replication needs attention",
	core.StateNotSetUp:   "NOT SET UP",
}

func renderStatus(w io.Writer, st *core.Status) {
	verdict := verdicts[st.State]
	if st.Ready && st.Phase == core.PhaseSwitched && st.Direction != "" && st.Direction != "primary → replica" {
		verdict = "READY to roll back: the old primary has caught up with the new one"
	}
	fmt.Fprintf(w, "Migration %s: %s\n", st.Name, verdict)
	if st.Phase != "" && st.Phase != core.PhaseReplicating {
		fmt.Fprintf(w, "  phase            %s since %s\n", st.Phase, st.PhaseAt.Format(time.RFC3339))
	}
	if st.Direction != "" {
		fmt.Fprintf(w, "  replication      %s\n", st.Direction)
	}
	printList(w, "Why not ready", st.Reasons)
	printList(w, "Warnings", st.Warnings)
	if st.State == core.StateNotSetUp {
		return
	}
	lag := "unknown"
	if st.LagBytes != nil {
		lag = core.FormatBytes(*st.LagBytes)
		if st.LagSeconds != nil {
			lag += fmt.Sprintf(" (%.1fs)", *st.LagSeconds)
		}
	}
	fmt.Fprintf(w, "  lag              %s, ready under %s\n", lag, core.FormatBytes(st.MaxLagBytes))
	if st.SentinelMS != nil {
		fmt.Fprintf(w, "  sentinel         arrived on the replica in %.1f ms\n", *st.SentinelMS)
	}
	if st.Slot != nil {
		safe := "unlimited"
		if st.Slot.SafeWALSizeBytes != nil {
			safe = core.FormatBytes(*st.Slot.SafeWALSizeBytes) + " before the primary may drop it"
		}
		fmt.Fprintf(w, "  slot             %s, active %t, WAL %s, %s\n", st.Slot.Name, st.Slot.Active, orNone(st.Slot.WALStatus), safe)
	}
	if sub := st.Subscription; sub != nil {
		errors := ""
		if sub.ApplyErrors != nil && *sub.ApplyErrors > 0 {
			errors = fmt.Sprintf(", %d apply errors", *sub.ApplyErrors)
		}
		fmt.Fprintf(w, "  subscription     enabled %t, apply worker running %t%s, copying %d table(s) at once (at most %d)\n",
			sub.Enabled, sub.WorkerRunning, errors, sub.Copying, sub.MaxCopying)
	}
	if st.Schema != nil {
		fmt.Fprintf(w, "  schema           %s\n", schemaLine(st.Schema))
	}
	for _, b := range st.BypassWrites {
		fmt.Fprintf(w, "  BYPASS           %s: %d writing statement(s) on the old primary, %s to %s\n", b.Table, b.Statements,
			b.First.Format(time.RFC3339), b.Last.Format(time.RFC3339))
	}
	fmt.Fprintf(w, "  versions         primary %s, replica %s\n", st.PrimaryVersion, st.ReplicaVersion)
	if st.Copy != nil {
		fmt.Fprintf(w, "  copy             %s\n", st.Copy)
	}
	renderIndexes(w, st.Indexes)
	fmt.Fprintf(w, "  tables           %d: %s\n", len(st.Tables), tableCounts(st.TableCounts))
	for _, t := range st.Tables {
		if t.State != "ready" {
			fmt.Fprintf(w, "    %-10s %s%s\n", t.State, t.TableName, tableDetail(t))
		}
	}
}

// schemaLine says in a line how the replica's schema compares with the primary's.
func schemaLine(s *core.SchemaStatus) string {
	if len(s.Changes) == 0 {
		return fmt.Sprintf("the replica holds the primary's (%d tables compared)", s.Tables)
	}
	return fmt.Sprintf("%d difference(s) with the primary's: %s lists them, %s applies what it can",
		len(s.Changes), cliSpeller{}.Invocation(core.Run(core.CmdSchemaDiff)), cliSpeller{}.Invocation(core.Run(core.CmdSchemaSync)))
}

// tableDetail is a table's copy or its index builds, after its name.
func tableDetail(t core.TableState) string {
	if p := t.Progress(); p != "" {
		return ": " + p
	}
	return ""
}

func tableCounts(counts map[string]int) string {
	var parts []string
	for _, state := range []string{"ready", core.TableIndexing, "sync", "copied", "copy", "init", "unknown"} {
		if n := counts[state]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, state))
		}
	}
	return orNone(strings.Join(parts, ", "))
}

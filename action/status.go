package action

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

func (j *job) statusOptions() core.StatusOptions {
	return core.StatusOptions{Migration: j.p.m, MaxLag: j.p.maxLag, Observer: j.observer()}
}

// runStatus reports on replication. Any verdict is a successful report: the workflow
// branches on the ready, state and lag-bytes outputs (see examples/status.yml).
func runStatus(ctx context.Context, j *job) (*outcome, error) {
	st, err := core.GetStatus(ctx, j.statusOptions())
	if st == nil {
		return nil, err
	}
	return statusOutcome(st), err
}

// runWait waits until replication is ready, building the indexes setup left for after the
// copy, printing a line whenever the picture changes (and at least every progressEvery), and
// fails the step on timeout.
func runWait(ctx context.Context, j *job) (*outcome, error) {
	j.w.infof("waiting until ready: lag under %s, all tables replicating; timeout %s", core.FormatBytes(cmp.Or(j.p.maxLag, core.DefaultMaxLag)), timeoutText(j.p.timeout))
	var last string
	var lastAt time.Time
	st, err := core.Wait(ctx, core.WaitOptions{StatusOptions: j.statusOptions(), Timeout: j.p.timeout, Interval: j.p.interval, Jobs: j.p.jobs,
		OnStatus: func(st *core.Status) {
			if key := st.Milestone(); key != last || time.Since(lastAt) >= progressEvery {
				j.w.infof("%s", progressLine(st))
				last, lastAt = key, time.Now()
			}
		}})
	if st == nil {
		return nil, err
	}
	return statusOutcome(st), err
}

// progressEvery: a wait that sees nothing change still shows it is alive.
const progressEvery = 30 * time.Second

func timeoutText(d time.Duration) string {
	if d == 0 {
		return "none (the job's timeout-minutes)"
	}
	return d.String()
}

// progressLine is one status in a line: the state, the lag, the tables, the copy in bytes
// and the deferred indexes. Wait prints one at each milestone (core's Status.Milestone),
// and at least every progressEvery with the copy's figures.
func progressLine(st *core.Status) string {
	parts := []string{st.State}
	if st.LagBytes != nil {
		parts = append(parts, "lag "+core.FormatBytes(*st.LagBytes))
	}
	if len(st.Tables) > 0 {
		parts = append(parts, fmt.Sprintf("%d/%d tables ready", st.TableCounts["ready"], len(st.Tables)))
	}
	if st.Copy != nil {
		parts = append(parts, "copied "+st.Copy.String())
	}
	if st.Indexes.Pending() > 0 {
		parts = append(parts, "indexes "+st.Indexes.String())
	}
	if sub := st.Subscription; sub != nil && sub.Copying > 0 {
		parts = append(parts, fmt.Sprintf("copying %d at once (at most %d)", sub.Copying, sub.MaxCopying))
	}
	if !st.Ready && len(st.Reasons) > 0 {
		parts = append(parts, st.Reasons[0])
	}
	return strings.Join(parts, ", ")
}

var stateHeadlines = map[string]struct{ icon, headline string }{
	core.StateReady:      {iconOK, "replication is ready"},
	core.StateCatchingUp: {iconWaiting, "replication is catching up"},
	core.StateBroken:     {iconFailed, "replication is broken"},
	core.StateNotSetUp:   {iconNotice, "the migration is not set up"},
}

// statusOutcome renders a status report: verdict and reasons, lag and slot, then the state
// of every table, those not ready first.
func statusOutcome(st *core.Status) *outcome {
	h, ok := stateHeadlines[st.State]
	if !ok {
		h = stateHeadlines[core.StateBroken]
		h.headline = "replication is " + st.State
	}
	out := &outcome{icon: h.icon, headline: h.headline, warnings: st.Warnings, report: st}
	out.set(outReady, boolText(st.Ready))
	out.set(outState, st.State)
	out.set(outLagBytes, optInt(st.LagBytes))
	out.set(outLagSeconds, optFloat(st.LagSeconds, 3))
	out.set(outTables, strconv.Itoa(len(st.Tables)))

	out.fact("State", code(st.State))
	if st.LagBytes != nil {
		out.fact("Lag", fmt.Sprintf("%s (%d bytes; ready under %s)", core.FormatBytes(*st.LagBytes), *st.LagBytes, core.FormatBytes(st.MaxLagBytes)))
	}
	if st.LagSeconds != nil {
		out.fact("Apply lag", fmt.Sprintf("%.3f s", *st.LagSeconds))
	}
	if st.SentinelMS != nil {
		out.fact("Sentinel round trip", fmt.Sprintf("%.0f ms", *st.SentinelMS))
	}
	if s := st.Slot; s != nil {
		out.fact("Slot", fmt.Sprintf("%s: WAL %s, active %t", code(s.Name), text(s.WALStatus), s.Active))
	}
	if s := st.Subscription; s != nil {
		out.fact("Subscription", fmt.Sprintf("%s: enabled %t, worker running %t, copying %d table(s) at once (at most %d)",
			code(s.Name), s.Enabled, s.WorkerRunning, s.Copying, s.MaxCopying))
	}
	if st.PrimaryVersion != "" || st.ReplicaVersion != "" {
		out.fact("Versions", text(fmt.Sprintf("PostgreSQL %s → %s", st.PrimaryVersion, st.ReplicaVersion)))
	}
	if st.Copy != nil {
		out.fact("Initial copy", text(st.Copy.String()))
	}
	indexesFacts(out, st.Indexes)
	if len(st.Reasons) > 0 {
		out.section("Why it is not ready", bullets(st.Reasons))
	}
	if st.Schema != nil {
		out.set(outDiffers, strconv.Itoa(len(st.Schema.Changes)))
		out.fact("Schema", text(fmt.Sprintf("%d differences with the primary's (%d tables compared)", len(st.Schema.Changes), st.Schema.Tables)))
		out.section("Schema differences, gravest first", schemaChanges(st.Schema.Changes, true))
	}
	out.section(fmt.Sprintf("Tables (%s)", countsText(st.TableCounts, len(st.Tables))), tableStates(st.Tables))
	return out
}

func countsText(counts map[string]int, total int) string {
	states := make([]string, 0, len(counts))
	for s := range counts {
		states = append(states, s)
	}
	sort.Strings(states)
	parts := []string{fmt.Sprintf("%d", total)}
	for _, s := range states {
		parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
	}
	return strings.Join(parts, ", ")
}

func tableStates(tables []core.TableState) string {
	if len(tables) == 0 {
		return ""
	}
	sorted := append([]core.TableState(nil), tables...)
	sort.SliceStable(sorted, func(a, b int) bool {
		return (sorted[a].State != "ready") && (sorted[b].State == "ready")
	})
	rows := make([][]string, len(sorted))
	for i, t := range sorted {
		rows[i] = []string{code(t.TableName.String()), text(t.State), text(t.Progress())}
	}
	return table([]string{"Table", "State", "Progress"}, rows)
}

func optInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

func optFloat(v *float64, prec int) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', prec, 64)
}

// indexesFacts says where the indexes setup left for after the copy stand, who builds them,
// and each failure as a problem with its error.
func indexesFacts(out *outcome, ix *core.IndexesStatus) {
	if ix == nil {
		return
	}
	out.fact("Indexes left for after the copy", text(ix.String()))
	if ix.Pending() > 0 {
		builder := "nobody: run the wait step to build them"
		if ix.Builder != nil {
			builder = text(ix.Builder.String())
		}
		out.fact("Building them", builder)
	}
	for _, f := range ix.Failed {
		out.warnings = append(out.warnings, fmt.Sprintf("building %s %s on %s failed (%d attempts): %s", f.Kind, f.Object, f.Table, f.Attempts, f.Error))
	}
}

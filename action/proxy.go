package action

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// runProxyCreate makes the proxy stand in for the primary; re-running it adds what is missing.
func runProxyCreate(ctx context.Context, j *job) (*outcome, error) {
	return rendered(proxyCreateOutcome)(core.ProxyCreate(ctx, core.ProxyCreateOptions{Migration: j.p.m, MapRoles: j.p.mapRoles,
		Execution: j.execution()}))
}

// proxyCreateOutcome renders what ProxyCreate did.
func proxyCreateOutcome(res *core.ProxyCreateResult, err error) *outcome {
	if res.Strategy == core.StrategyPgBouncer {
		return bouncerCreateOutcome(res, err)
	}
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	switch {
	case res.DryRun:
		out.headline = fmt.Sprintf("dry run: %d statements would make the proxy stand in for the primary", len(res.Statements))
	case res.Changed:
		out.headline = fmt.Sprintf("the proxy stands in for the primary: %d tables; point the application at it", len(res.Tables))
	default:
		out.headline = fmt.Sprintf("the proxy was already in place (%d tables): nothing to do", len(res.Tables))
	}
	out.set(outChanged, boolText(res.Changed && !res.DryRun))
	out.set(outTables, strconv.Itoa(len(res.Tables)))
	out.fact("Foreign server", code(res.Server)+" → "+code(res.PointsAt))
	out.fact("Roles mapped", codes(res.Roles))
	out.fact("Tables, views, sequences", fmt.Sprintf("%d, %d, %d", len(res.Tables), len(res.Views), len(res.Sequences)))
	if len(res.FDWOptions) > 0 {
		out.fact("postgres_fdw options", codes(keyValues(res.FDWOptions)))
	}
	if len(res.Skipped) > 0 {
		out.section("Left out", skippedTable(res.Skipped))
	}
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

// bouncerCreateOutcome renders what ProxyCreate did with PgBouncer: its checks, and the entry.
func bouncerCreateOutcome(res *core.ProxyCreateResult, _ error) *outcome {
	out := &outcome{icon: iconOK, warnings: res.Warnings, report: res}
	b := res.PgBouncer
	switch {
	case res.DryRun:
		out.headline = "dry run: PgBouncer's checks ran; the entry was not written"
	case b == nil || !b.OK:
		out.headline = "PgBouncer's entry was not written: a check failed"
	case res.Changed:
		out.headline = "PgBouncer's entry " + res.Server + " points at the primary: written and loaded"
	default:
		out.headline = "PgBouncer's entry " + res.Server + " already points at the primary: nothing to do"
	}
	out.set(outChanged, boolText(res.Changed && !res.DryRun))
	if b != nil {
		out.set(outPassed, boolText(b.OK))
		out.fact("PgBouncer", text(b.Version))
		out.fact("Entry", code(b.Entry.String()))
		if len(b.Roles) > 0 {
			out.fact("Application roles checked", codes(b.Roles))
		}
		checkSection(out, b.Checks)
	}
	if len(res.Settled) > 0 {
		out.section("Put right from an earlier run", bullets(res.Settled))
	}
	out.section("Statements", statements(res.Statements, res.DryRun))
	return out
}

// runProxyRemove removes everything proxy-create and cutover made.
func runProxyRemove(ctx context.Context, j *job) (*outcome, error) {
	return rendered(proxyRemoveOutcome)(core.ProxyRemove(ctx, core.ProxyRemoveOptions{Migration: j.p.m, Execution: j.execution()}))
}

// proxyRemoveOutcome renders what ProxyRemove did.
func proxyRemoveOutcome(res *core.ProxyRemoveResult, _ error) *outcome {
	out := removalOutcome(res.DryRun, res.Removed, res.Warnings, res.Statements, res)
	if len(res.Settled) > 0 {
		out.section("Put right from an earlier run", bullets(res.Settled))
	}
	if len(res.Kept) > 0 {
		out.section("Kept", bullets(res.Kept))
	}
	return out
}

func codes(items []string) string {
	parts := make([]string, len(items))
	for i, s := range items {
		parts[i] = code(s)
	}
	return strings.Join(parts, ", ")
}

func keyValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

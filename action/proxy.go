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
func proxyCreateOutcome(res *core.ProxyCreateResult, _ error) *outcome {
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

// runProxyRemove removes everything proxy-create and cutover made.
func runProxyRemove(ctx context.Context, j *job) (*outcome, error) {
	return rendered(proxyRemoveOutcome)(core.ProxyRemove(ctx, core.ProxyRemoveOptions{Migration: j.p.m, Execution: j.execution()}))
}

// proxyRemoveOutcome renders what ProxyRemove did.
func proxyRemoveOutcome(res *core.ProxyRemoveResult, _ error) *outcome {
	return removalOutcome(res.DryRun, res.Removed, res.Warnings, res.Statements, res)
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

package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// defaultOps maps every command that runs in the background to its operation.
func defaultOps() map[string]opFunc {
	return map[string]opFunc{
		"status": opStatus, "who": opWho, "audit": opAudit,
		"report": opReport, "lock": opLock, "unlock": opUnlock,
		"preflight": opPreflight, "setup": opSetup, "wait": opWait, "verify": opVerify, "teardown": opTeardown,
		"proxy create": opProxyCreate, "cutover": opCutover, "rollback": opRollback, "sequences": opSequences,
		"fence": opFence, "proxy remove": opProxyRemove,
		"schema diff": opSchemaDiff, "schema sync": opSchemaSync, "ddl": opDDL,
	}
}

// defaultPrechecks are checked again when a destructive command's button is clicked.
func defaultPrechecks() map[string]opFunc {
	return map[string]opFunc{"cutover": precheckSwitch, "rollback": precheckSwitch, "fence": precheckFence, "teardown": precheckNone,
		"ddl": precheckDDL}
}

func precheckNone(context.Context, *run) (*outcome, error) { return nil, nil }

// statusOf checks one migration, or shares a check of it with the requests around it (see
// shared), and returns recent lag samples for trends. Each check is sampled once. Alerts and
// the metrics job skip the sentinel row: they run every minute, and need no proof of
// delivery; they share checks among themselves.
func (b *Bot) statusOf(ctx context.Context, key string, obs core.Observer, noSentinel bool) (*core.Status, []sample, error) {
	m := b.migs[key]
	shareKey := key
	if noSentinel {
		shareKey += " " + quietCheck
	}
	st, _, err := b.statuses.get(ctx, shareKey, func() (*core.Status, error) {
		ctx, cancel := context.WithTimeout(b.work, b.operationTimeout())
		defer cancel()
		st, err := core.GetStatus(ctx, core.StatusOptions{Migration: m.M, MaxLag: m.Cfg.MaxLagBytes, NoSentinel: noSentinel, Observer: obs})
		b.metrics.Observe(key, st, err, b.clock.Now())
		if err == nil {
			if err := b.store.sampleAdd(ctx, key, st); err != nil {
				b.log.Warn("lag sample", "err", err)
			}
		}
		return st, err
	})
	if err != nil {
		return nil, nil, err
	}
	trend, err := b.store.samplesRecent(ctx, key, 24)
	if err != nil {
		b.log.Warn("lag samples", "err", err)
	}
	return st, trend, nil
}

// quietCheck marks the shared checks taken without a sentinel row.
const quietCheck = "(no sentinel)"

func opStatus(ctx context.Context, r *run) (*outcome, error) {
	keys := r.b.cfg.MigrationKeys()
	if r.req.cmd.Migration != "" {
		keys = []string{r.req.cmd.Migration}
	}
	var parts, verdictsSeen []string
	for _, key := range keys {
		st, trend, err := r.b.statusOf(ctx, key, r.observer(), false)
		if err != nil {
			parts = append(parts, fmt.Sprintf("*%s*: :x: %s", key, errorText(r.req.cmd, err)))
			verdictsSeen = append(verdictsSeen, key+": error")
			continue
		}
		parts = append(parts, statusText(key, st, trend))
		verdictsSeen = append(verdictsSeen, key+": "+st.State)
	}
	text := strings.Join(parts, "\n")
	return &outcome{Summary: strings.Join(verdictsSeen, ", "), Body: message{Text: text, Blocks: sectionBlocks(text)}, InChannel: true}, nil
}

// statementsText lists the statements a dry run would execute.
func statementsText(stmts []core.Statement) string {
	if len(stmts) == 0 {
		return "No statement would run: nothing to do."
	}
	var b strings.Builder
	b.WriteString("Statements it would run:\n```\n")
	for _, s := range stmts {
		fmt.Fprintf(&b, "-- %s\n%s;\n", s.Server, s.SQL)
	}
	b.WriteString("```")
	return truncate(b.String(), 3500)
}

func textOutcome(summary, text string) *outcome {
	return &outcome{Summary: summary, Body: message{Text: text, Blocks: sectionBlocks(text)}}
}

package bot

import (
	"context"
	"net/http"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/metrics"
)

// The bot serves /metrics from what it already checks: every status it takes (the alert
// checks every alerts.every, reports, commands) feeds the collector, and a job on the same
// cadence checks the migrations that have no alert channel and reads the last cutovers from
// the store. A scrape reads those and never touches a database.

func (b *Bot) metricsHandler() http.Handler { return metrics.Handler(b.metrics) }

// refreshMetrics checks the migrations no alert check covers (all of them when all is set,
// at start) and reads the last cutovers, which any replica may have run.
func (b *Bot) refreshMetrics(ctx context.Context, all bool) {
	for _, key := range b.cfg.MigrationKeys() {
		if !all && b.cfg.alertChannel(key) != "" {
			continue // checkAlerts takes its status on the same cadence
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		_, _, err := b.statusOf(cctx, key, core.Observer{Logger: b.log.With("migration", key)}, true)
		cancel()
		if err != nil {
			b.log.Warn("metrics: status", "migration", key, "err", err)
		}
	}
	cutovers, err := b.store.cutoversLast(ctx)
	if err != nil {
		b.log.Warn("metrics: cutovers", "err", err)
		return
	}
	for key, c := range cutovers {
		if _, ok := b.migs[key]; ok {
			b.metrics.ObserveCutover(key, c)
		}
	}
}

// recordCutover keeps a cutover that held writes (switched or rolled back) for the metrics.
func (b *Bot) recordCutover(ctx context.Context, r *run, res *core.CutoverResult) {
	if res == nil || res.DryRun || res.AlreadySwitched {
		return
	}
	c := metrics.Cutover{At: b.clock.Now(), PauseMS: res.PauseMS, Switched: res.Switched}
	b.metrics.ObserveCutover(r.req.cmd.Migration, c)
	if err := b.store.cutoverInsert(context.WithoutCancel(ctx), r.req.cmd.Migration, c.At, c, r.auditID); err != nil {
		b.log.Error("record cutover", "migration", r.req.cmd.Migration, "err", err)
	}
}

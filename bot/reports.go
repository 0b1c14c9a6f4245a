package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/robfig/cron/v3"
)

// reportText is a report on one migration: status, trend and ETA.
func (b *Bot) reportText(ctx context.Context, key string) (string, error) {
	st, trend, err := b.statusOf(ctx, key, core.Observer{Logger: b.log.With("migration", key)}, false)
	if err != nil {
		return "", err
	}
	return ":bar_chart: Report: " + statusText(key, st, trend), nil
}

// scheduledReport posts one firing of a schedule. Every replica runs the job; the store lets
// exactly one of them post it.
func (b *Bot) scheduledReport(ctx context.Context, key, channel string, sched cron.Schedule) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	slot := lastFire(sched, time.Now())
	posted, err := b.store.claimReport(ctx, key, channel, slot, b.clock.Now(), func() error {
		text, err := b.reportText(ctx, key)
		if err != nil {
			text = fmt.Sprintf(":x: Report on *%s*: %s", key, errorText(command{Name: "status", Migration: key}, err))
		}
		_, err = b.msg.post(ctx, channel, message{Text: text, Blocks: sectionBlocks(text)})
		return err
	})
	if err != nil {
		b.log.Error("scheduled report", "migration", key, "channel", channel, "err", err)
		return
	}
	b.log.Info("scheduled report", "migration", key, "channel", channel, "slot", slot, "posted_here", posted)
}

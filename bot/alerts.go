package bot

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// Alert kinds: one open incident at most per migration and kind.
const (
	alertLagBytes     = "lag_bytes"
	alertLagSeconds   = "lag_seconds"
	alertSlot         = "slot"
	alertSubscription = "subscription"
	alertUnreachable  = "unreachable"
	alertSchema       = "schema"
)

// checkAlerts checks every migration that has an alert channel, posts an alert when an
// incident starts and a follow-up when it ends: once each, across replicas.
func (b *Bot) checkAlerts(ctx context.Context) {
	for _, key := range b.cfg.MigrationKeys() {
		if ch := b.cfg.alertChannel(key); ch != "" {
			b.checkMigrationAlerts(ctx, key, ch)
		}
	}
	if err := b.store.samplesPrune(ctx, b.clock.Now().Add(-7*24*time.Hour)); err != nil {
		b.log.Warn("prune lag samples", "err", err)
	}
}

func (b *Bot) checkMigrationAlerts(ctx context.Context, key, channel string) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var active map[string]string
	st, _, err := b.statusOf(ctx, key, core.Observer{Logger: b.log.With("migration", key)}, true)
	if err != nil {
		active = map[string]string{alertUnreachable: "cannot check replication: " + err.Error()}
	} else {
		active = evaluate(st, b.cfg.thresholds(key))
		if detail := schemaAlert(key, st); detail != "" {
			active[alertSchema] = detail
		}
	}
	open, err := b.store.incidentsOpen(ctx, key)
	if err != nil {
		b.log.Error("alerts", "migration", key, "err", err)
		return
	}
	for kind, detail := range active {
		if slices.ContainsFunc(open, func(i incident) bool { return i.Kind == kind }) {
			continue
		}
		b.openIncident(ctx, key, kind, detail, channel)
	}
	for _, inc := range open {
		if _, still := active[inc.Kind]; !still {
			b.clearIncident(ctx, key, inc, st)
		}
	}
}

func (b *Bot) openIncident(ctx context.Context, key, kind, detail, channel string) {
	id, opened, err := b.store.incidentOpen(ctx, key, kind, b.msg.masker.Redact(detail), channel, b.clock.Now())
	if err != nil || !opened { // another replica opened it first
		if err != nil {
			b.log.Error("open incident", "err", err)
		}
		return
	}
	text := fmt.Sprintf(":rotating_light: *%s*: %s", key, detail)
	ts, err := b.msg.post(ctx, channel, message{Text: text, Blocks: sectionBlocks(text)})
	if err != nil {
		b.log.Error("post alert", "migration", key, "kind", kind, "err", err)
		return
	}
	if err := b.store.incidentMessage(ctx, id, ts); err != nil {
		b.log.Warn("incident message", "err", err)
	}
}

func (b *Bot) clearIncident(ctx context.Context, key string, inc incident, st *core.Status) {
	now := b.clock.Now()
	if ok, err := b.store.incidentClear(ctx, inc.ID, now); err != nil || !ok {
		return
	}
	text := fmt.Sprintf(":white_check_mark: *%s*: cleared after %s (%s).", key, humanDuration(now.Sub(inc.OpenedAt)), inc.Detail)
	if st != nil {
		text += " Now: " + verdicts[st.State] + ", " + lagShort(st) + "."
	}
	var err error
	if inc.MessageTS != "" {
		_, err = b.msg.reply(ctx, inc.Channel, inc.MessageTS, message{Text: text}, true)
	} else {
		_, err = b.msg.post(ctx, inc.Channel, message{Text: text})
	}
	if err != nil {
		b.log.Error("post alert follow-up", "migration", key, "err", err)
	}
}

// evaluate lists the thresholds a status crosses, with what to say about each.
func evaluate(st *core.Status, t Thresholds) map[string]string {
	out := map[string]string{}
	if st.State == core.StateNotSetUp {
		return out
	}
	if t.LagBytes > 0 && st.LagBytes != nil && *st.LagBytes > t.LagBytes {
		out[alertLagBytes] = fmt.Sprintf("replication lag is %s, above the %s alert threshold", core.FormatBytes(*st.LagBytes), core.FormatBytes(t.LagBytes))
	}
	if t.LagSeconds > 0 && st.LagSeconds != nil && *st.LagSeconds > t.LagSeconds {
		out[alertLagSeconds] = fmt.Sprintf("the replica is %s behind, above the %s alert threshold",
			humanDuration(time.Duration(*st.LagSeconds*float64(time.Second))), humanDuration(time.Duration(t.LagSeconds*float64(time.Second))))
	}
	statuses := t.SlotWALStatus
	if len(statuses) == 0 {
		statuses = []string{"unreserved", "lost"}
	}
	switch s := st.Slot; {
	case s == nil:
		out[alertSlot] = "the replication slot is missing on the primary: run setup again"
	case slices.Contains(statuses, s.WALStatus):
		out[alertSlot] = fmt.Sprintf("the slot's WAL is %s: the primary may drop WAL the replica still needs", s.WALStatus)
	case t.SafeWALSizeBytes > 0 && s.SafeWALSizeBytes != nil && *s.SafeWALSizeBytes < t.SafeWALSizeBytes:
		out[alertSlot] = fmt.Sprintf("only %s of WAL left before the slot is at risk (alert under %s)", core.FormatBytes(*s.SafeWALSizeBytes), core.FormatBytes(t.SafeWALSizeBytes))
	}
	switch s := st.Subscription; {
	case s == nil:
		out[alertSubscription] = "the subscription is missing on the replica: run setup again"
	case !s.Enabled:
		out[alertSubscription] = "the subscription is disabled on the replica: changes are not applied"
	case !s.WorkerRunning:
		out[alertSubscription] = "the replica's apply worker is not running: check the replica's log"
	}
	return out
}

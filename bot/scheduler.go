package bot

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// scheduler runs the report schedules (kept in the store, so they survive restarts and are
// shared by replicas), the alert checks, and a periodic re-read of the schedules.
type scheduler struct {
	b       *Bot
	cron    *cron.Cron
	mu      sync.Mutex
	entries map[string]scheduledEntry // by migration + channel
}

type scheduledEntry struct {
	id   cron.EntryID
	spec string
	tz   string
}

// cronLogger sends robfig/cron's messages (and recovered panics) to the bot's log.
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}

func newScheduler(b *Bot) *scheduler {
	logger := cronLogger{log: b.log}
	c := cron.New(cron.WithParser(cronParser), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	return &scheduler{b: b, cron: c, entries: map[string]scheduledEntry{}}
}

// start seeds the config's schedules into the store, loads every schedule, adds the alert
// and resync jobs, and starts the clock.
func (s *scheduler) start(ctx context.Context) error {
	b := s.b
	for _, r := range b.cfg.Reports.Schedules {
		loc, _ := b.cfg.location(r.Timezone)
		ch := r.Channel
		if ch == "" {
			ch = b.cfg.Migrations[r.Migration].Channel
		}
		if err := b.store.scheduleSeed(ctx, schedule{Migration: r.Migration, Channel: ch, Spec: r.Cron, Timezone: loc.String()}, b.clock.Now()); err != nil {
			return err
		}
	}
	every := b.cfg.Alerts.Every
	if every == "" {
		every = defaultAlertsEvery
	}
	if _, err := s.cron.AddFunc(every, func() { b.checkAlerts(b.work) }); err != nil {
		return fmt.Errorf("alerts.every: %w", err)
	}
	if _, err := s.cron.AddFunc(every, func() { b.refreshMetrics(b.work, false) }); err != nil {
		return err
	}
	b.goWork(func(ctx context.Context) { b.refreshMetrics(ctx, true) }) // /metrics has figures before the first tick
	if _, err := s.cron.AddFunc("@every 30s", func() { s.sync(b.work); b.sweepApprovals(b.work) }); err != nil {
		return err
	}
	s.sync(ctx)
	s.cron.Start()
	return nil
}

// stop stops the clock; the context ends when running jobs have finished.
func (s *scheduler) stop() context.Context { return s.cron.Stop() }

// sync makes the cron entries match the schedules in the store: another replica, or a
// command, may have changed them.
func (s *scheduler) sync(ctx context.Context) {
	list, err := s.b.store.scheduleList(ctx)
	if err != nil {
		s.b.log.Error("read schedules", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	want := map[string]schedule{}
	for _, sc := range list {
		if _, ok := s.b.migs[sc.Migration]; ok && sc.Spec != "" {
			want[sc.Migration+"\x00"+sc.Channel] = sc
		}
	}
	for key, e := range s.entries {
		if sc, ok := want[key]; !ok || sc.Spec != e.spec || sc.Timezone != e.tz {
			s.cron.Remove(e.id)
			delete(s.entries, key)
		}
	}
	for key, sc := range want {
		if _, ok := s.entries[key]; ok {
			continue
		}
		id, err := s.add(sc)
		if err != nil {
			s.b.log.Error("bad schedule in the store: skipped", "migration", sc.Migration, "channel", sc.Channel, "spec", sc.Spec, "err", err)
			continue
		}
		s.entries[key] = scheduledEntry{id: id, spec: sc.Spec, tz: sc.Timezone}
	}
}

func (s *scheduler) add(sc schedule) (cron.EntryID, error) {
	loc, err := time.LoadLocation(sc.Timezone)
	if err != nil {
		return 0, err
	}
	sched, err := parseSchedule(sc.Spec, loc)
	if err != nil {
		return 0, err
	}
	// Schedule wraps the job in the cron's chain: panic recovery and skip-if-still-running.
	job := cron.FuncJob(func() { s.b.scheduledReport(s.b.work, sc.Migration, sc.Channel, sched) })
	return s.cron.Schedule(sched, job), nil
}

package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"os/exec"
	"sync"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/metrics"
	"github.com/pghandoff/pghandoff/internal/redact"
)

// Bot is the Slack front end: it turns commands and button clicks into core operations and
// posts what they did, runs scheduled reports and alerts, and keeps its state in PostgreSQL.
type Bot struct {
	cfg   *Config
	migs  map[string]*migration
	store *store
	msg   *messenger
	auth  *authorizer
	clock Clock
	log   *slog.Logger
	ops   map[string]opFunc // by command name; tests replace some
	// prechecks run again on a confirmation click, before anything changes.
	prechecks map[string]opFunc

	// work is the context of operations and scheduled jobs: it outlives the request that
	// started them and ends only when a shutdown's grace period is over.
	work       context.Context
	cancelWork context.CancelFunc
	running    sync.WaitGroup
	sched      *scheduler
	metrics    *metrics.Collector // served at /metrics
	watchdog   func() *exec.Cmd   // the PgBouncer watchdog's command

	// Reads many requests share (see shared), and the limits that keep the bot light.
	statuses *shared[*core.Status]
	locks    *shared[*core.LockHolder]
	audits   *shared[[]auditEntry]
	limiter  *userLimiter
}

// deps are what the bot needs from outside; Run builds the real ones, tests fakes.
type deps struct {
	api      slackAPI
	http     *http.Client
	clock    Clock
	logger   *slog.Logger
	watchdog func() *exec.Cmd
}

func newBot(ctx context.Context, cfg *Config, res *resolved, d deps) (*Bot, error) {
	masker := redact.New(redact.DefaultMask)
	masker.Add(res.secrets...)
	log := slog.New(masker.Handler(d.logger.Handler()))
	st, err := openStore(ctx, res.stateDSN)
	if err != nil {
		return nil, err
	}
	b := &Bot{cfg: cfg, migs: res.migrations, store: st, clock: d.clock, log: log, watchdog: d.watchdog,
		msg:  &messenger{api: d.api, http: d.http, masker: masker, log: log},
		auth: &authorizer{cfg: cfg, groups: newGroupCache(d.api, d.clock)}}
	b.ops, b.prechecks = defaultOps(), defaultPrechecks()
	b.work, b.cancelWork = context.WithCancel(context.Background())
	b.sched = newScheduler(b)
	b.metrics = metrics.New()
	maxAge := cfg.Limits.StatusMaxAge.D(defaultStatusMaxAge)
	b.statuses, b.locks = newShared[*core.Status](maxAge), newShared[*core.LockHolder](maxAge)
	b.audits = newShared[[]auditEntry](0) // the audit log changes with every command: only share while reading it
	b.limiter = newUserLimiter(cfg.commandsPerMinute())
	return b, nil
}

// goWork runs f in the background as a unit of work that shutdown waits for.
func (b *Bot) goWork(f func(ctx context.Context)) {
	b.running.Add(1)
	go func() {
		defer b.running.Done()
		defer func() {
			if p := recover(); p != nil {
				b.log.Error("operation panicked", "panic", p)
			}
		}()
		f(b.work)
	}()
}

// shutdown stops the scheduler and waits for running operations and jobs, at most grace;
// then it cancels what is left and closes the store.
func (b *Bot) shutdown(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		<-b.sched.stop().Done()
		b.running.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		b.log.Warn("shutdown grace period over: cancelling running operations", "grace", grace.String())
		b.cancelWork()
		<-done
	}
	b.cancelWork()
	b.store.close()
}

func newID() string {
	var buf [12]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

// operationTimeout bounds one operation.
func (b *Bot) operationTimeout() time.Duration {
	return b.cfg.OperationTimeout.D(defaultOperationTimeout)
}

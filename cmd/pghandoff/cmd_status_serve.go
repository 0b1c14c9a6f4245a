package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/metrics"
)

// serveFlags are status's --serve and --interval: Prometheus metrics for teams without the
// Slack bot.
type serveFlags struct {
	addr        string
	interval    time.Duration
	connections int
}

func (f *serveFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "serve", "", "keep checking and serve Prometheus metrics at http://ADDR/metrics (e.g. :9187) until stopped")
	cmd.Flags().DurationVar(&f.interval, "interval", 30*time.Second, "with --serve: how often to check (a scrape never touches the databases)")
	cmd.Flags().IntVar(&f.connections, "connections", core.DefaultConnections, "with --serve: the most connections it holds at once on each server")
}

// serveStatus checks the migration every interval and serves the last result at /metrics
// until ctx ends (Ctrl-C, SIGTERM). A failed check is reported and retried: it shows in the
// metrics as pghandoff_up 0.
func (a *app) serveStatus(ctx context.Context, f serveFlags, opts core.StatusOptions) error {
	if f.interval <= 0 {
		return errors.New("--interval must be positive")
	}
	budget, err := core.NewBudget(f.connections)
	if err != nil {
		return err
	}
	opts.Client.Budget = budget
	name := opts.Name
	if name == "" {
		name = core.DefaultName
	}
	c := metrics.New()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", f.addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(c))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprintln(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	fmt.Fprintf(a.stderr, "serving metrics of migration %s at http://%s/metrics, checking every %s\n", name, ln.Addr(), f.interval)
	tick := time.NewTicker(f.interval)
	defer tick.Stop()
	for {
		st, err := core.GetStatus(ctx, opts)
		if ctx.Err() != nil {
			return nil // stopped: not a failure
		}
		c.Observe(name, st, err, time.Now())
		if err != nil {
			fmt.Fprintf(a.stderr, "warning: status: %v (checking again in %s)\n", err, f.interval)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
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
	jobs        int
}

func (f *serveFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.addr, "serve", "", "keep checking and serve Prometheus metrics at http://ADDR/metrics (e.g. :9187) until stopped")
	cmd.Flags().DurationVar(&f.interval, "interval", 30*time.Second, "with --serve: how often to check (a scrape never touches the databases)")
	cmd.Flags().IntVar(&f.connections, "connections", core.DefaultConnections, "with --serve: the most connections it holds at once on each server")
	cmd.Flags().IntVar(&f.jobs, "jobs", core.DefaultJobs, "with --serve: how many of the indexes and constraints left for after the copy to build at once (it builds them, as wait does, when nobody else is)")
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
	var building sync.WaitGroup
	defer building.Wait()
	builds, results := make(chan struct{}, 1), make(chan string, 1) // one build at a time from this process
	for {
		st, err := core.GetStatus(ctx, opts)
		if ctx.Err() != nil {
			return nil // stopped: not a failure
		}
		c.Observe(name, st, err, time.Now())
		if err != nil {
			fmt.Fprintf(a.stderr, "warning: status: %v (checking again in %s)\n", err, f.interval)
		} else if st.Indexes.Pending() > 0 && st.Indexes.Builder == nil {
			buildInBackground(ctx, &building, builds, results, core.BuildIndexesOptions{Migration: opts.Migration, Jobs: f.jobs, Interval: f.interval, Observer: opts.Observer})
		}
		select {
		case <-ctx.Done():
			return nil
		case msg := <-results:
			if msg != "" {
				fmt.Fprintln(a.stderr, msg)
			}
		case <-tick.C:
		}
	}
}

// buildInBackground builds the indexes setup left for after the copy while the metrics are
// served, unless this process builds them already (slot is taken); it says how it ended on
// results.
func buildInBackground(ctx context.Context, wg *sync.WaitGroup, slot chan struct{}, results chan<- string, opts core.BuildIndexesOptions) {
	select {
	case slot <- struct{}{}:
	default:
		return
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { <-slot }()
		res, err := core.BuildIndexes(ctx, opts)
		msg := ""
		switch {
		case err != nil && ctx.Err() == nil:
			msg = fmt.Sprintf("warning: building the indexes left for after the copy: %v", err)
		case err == nil && len(res.Built) > 0:
			msg = fmt.Sprintf("built %d index(es) and constraint(s) left for after the copy", len(res.Built))
		}
		select {
		case results <- msg: // never waits: the loop may have stopped reading
		default:
		}
	}()
}

// Package workload is an application writing through a connection string while pghandoff
// works underneath it: several clients insert ledger rows and increment counters, and every
// write the server acknowledged is recorded, so that afterwards nothing acknowledged can be
// missing, doubled or reordered without it being noticed. The demo, the tests and the
// benchmarks all run it.
package workload

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Schema is what the workload writes to: a ledger of rows keyed by a bigserial, and counters.
const Schema = `
CREATE TABLE public.ledger (id bigserial PRIMARY KEY, client int NOT NULL, n int NOT NULL,
    at timestamptz NOT NULL DEFAULT now(), UNIQUE (client, n));
CREATE TABLE public.counters (id int PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
INSERT INTO public.counters SELECT g, 0 FROM generate_series(1, 8) g;`

const counters = 8

// Workload is several clients writing; see Start.
type Workload struct {
	clients int

	mu         sync.Mutex
	inserts    []Insert
	increments map[int]int64 // counter → acknowledged increments
	retries    int
	failures   []error
	timing     // every write's latency: see timing.go

	// stopping ends the clients between writes: cancelling a write in flight would leave its
	// fate unknown (committed, but not acknowledged).
	stopping atomic.Bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

// Insert is one acknowledged ledger row.
type Insert struct {
	Client, N      int
	ID             int64
	Started, Acked time.Time
}

// Start connects clients to dsn and starts them writing. The last client writes in explicit
// transactions that hold a row of each table, so that a cutover's locks must wait for them.
func Start(ctx context.Context, dsn string, clients int) (*Workload, error) {
	w := &Workload{clients: clients, increments: map[int]int64{}, timing: timing{inflight: map[int]Write{}}}
	ctx, w.cancel = context.WithCancel(context.Background())
	conns := make([]*pgx.Conn, clients)
	for c := range conns {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			for _, open := range conns[:c] {
				open.Close(context.Background())
			}
			w.cancel()
			return nil, fmt.Errorf("workload client %d: %w", c, err)
		}
		conns[c] = conn
	}
	for c, conn := range conns {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer conn.Close(context.Background())
			w.client(ctx, conn, c)
		}()
	}
	return w, nil
}

func (w *Workload) client(ctx context.Context, conn *pgx.Conn, c int) {
	for n := 1; !w.stopping.Load(); n++ {
		counter := 1 + (c+n)%counters
		var err error
		if c == w.clients-1 && w.clients > 1 {
			err = w.timed(c, "transaction", func() error { return w.transaction(ctx, conn, c, n, counter) })
		} else if err = w.timed(c, "insert", func() error { return w.insert(ctx, conn, c, n) }); err == nil {
			err = w.timed(c, "increment", func() error { return w.increment(ctx, conn, counter) })
		}
		if err != nil && ctx.Err() == nil {
			w.mu.Lock()
			w.failures = append(w.failures, fmt.Errorf("client %d write %d: %w", c, n, err))
			w.mu.Unlock()
			return
		}
	}
}

func (w *Workload) insert(ctx context.Context, conn *pgx.Conn, c, n int) error {
	return w.retrySerialization(ctx, func() error {
		started := time.Now()
		var id int64
		if err := conn.QueryRow(ctx, `INSERT INTO public.ledger (client, n) VALUES ($1, $2) RETURNING id`, c, n).Scan(&id); err != nil {
			return err
		}
		w.ackInsert(Insert{Client: c, N: n, ID: id, Started: started, Acked: time.Now()})
		return nil
	})
}

func (w *Workload) increment(ctx context.Context, conn *pgx.Conn, counter int) error {
	return w.retrySerialization(ctx, func() error {
		tag, err := conn.Exec(ctx, `UPDATE public.counters SET hits = hits + 1 WHERE id = $1`, counter)
		if err != nil {
			return err
		}
		if tag.RowsAffected() != 1 {
			return fmt.Errorf("counter %d: %d rows updated", counter, tag.RowsAffected())
		}
		w.ackIncrement(counter)
		return nil
	})
}

func (w *Workload) transaction(ctx context.Context, conn *pgx.Conn, c, n, counter int) error {
	return w.retrySerialization(ctx, func() error {
		started := time.Now()
		tx, err := conn.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(context.Background())
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO public.ledger (client, n) VALUES ($1, $2) RETURNING id`, c, n).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE public.counters SET hits = hits + 1 WHERE id = $1`, counter); err != nil {
			return err
		}
		if err := tx.Commit(ctx); err != nil {
			return err
		}
		w.ackInsert(Insert{Client: c, N: n, ID: id, Started: started, Acked: time.Now()})
		w.ackIncrement(counter)
		return nil
	})
}

// retrySerialization retries a write that failed with a serialization error, as an
// application behind postgres_fdw (which runs remote transactions at REPEATABLE READ) must:
// nothing of it was committed.
func (w *Workload) retrySerialization(ctx context.Context, write func() error) error {
	for {
		err := write()
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "40001" || ctx.Err() != nil {
			return err
		}
		w.mu.Lock()
		w.retries++
		w.mu.Unlock()
	}
}

func (w *Workload) ackInsert(a Insert) {
	w.mu.Lock()
	w.inserts = append(w.inserts, a)
	w.mu.Unlock()
}

func (w *Workload) ackIncrement(counter int) {
	w.mu.Lock()
	w.increments[counter]++
	w.mu.Unlock()
}

// Acked is the number of inserts acknowledged so far.
func (w *Workload) Acked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inserts)
}

// Failures are the writes that failed with something other than a serialization error.
func (w *Workload) Failures() []error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]error(nil), w.failures...)
}

// WaitAcked waits until n more inserts have been acknowledged.
func (w *Workload) WaitAcked(ctx context.Context, n int) error {
	target := w.Acked() + n
	for w.Acked() < target {
		if f := w.Failures(); len(f) > 0 {
			return fmt.Errorf("the workload stopped: %w", errors.Join(f...))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the workload stalled at %d inserts: %w", w.Acked(), ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

// Stop ends every client after its current write.
func (w *Workload) Stop() {
	w.stopping.Store(true)
	w.wg.Wait()
	w.cancel()
}

// StopWithin ends every client after its current write, waiting at most d for the writes in
// flight. A write still unanswered then is cancelled: its fate is unknown, and it is
// reported as a failure, with how long it had waited.
func (w *Workload) StopWithin(d time.Duration) {
	w.stopping.Store(true)
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		w.mu.Lock()
		for _, wr := range w.inflight {
			w.failures = append(w.failures, fmt.Errorf("client %d's %s was still unanswered after %s when the workload stopped",
				wr.Client, wr.Kind, wr.Latency().Round(time.Millisecond)))
		}
		w.mu.Unlock()
		w.cancel()
		<-done
	}
	w.cancel()
}

// Inserts returns the acknowledged inserts.
func (w *Workload) Inserts() []Insert {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Insert(nil), w.inserts...)
}

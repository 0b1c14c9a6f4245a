package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// workloadSchema is what the write workload writes to: a ledger whose rows the clients
// insert (keys from a bigserial), and counters they increment concurrently.
const workloadSchema = `
CREATE TABLE public.ledger (id bigserial PRIMARY KEY, client int NOT NULL, n int NOT NULL,
    at timestamptz NOT NULL DEFAULT now(), UNIQUE (client, n));
CREATE TABLE public.counters (id int PRIMARY KEY, hits bigint NOT NULL DEFAULT 0);
INSERT INTO public.counters SELECT g, 0 FROM generate_series(1, 8) g;`

// workload is several clients writing through the proxy, recording every acknowledged write.
type workload struct {
	dsn     string
	clients int

	mu         sync.Mutex
	inserts    []ackedInsert
	increments map[int]int64 // counter → acknowledged increments
	retries    int           // serialization failures retried (postgres_fdw's REPEATABLE READ)
	failures   []error       // anything else: a write whose fate is unknown

	// stopping ends the clients between writes: cancelling a write in flight would leave
	// its fate unknown (committed, but not acknowledged).
	stopping atomic.Bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

type ackedInsert struct {
	client, n      int
	id             int64
	started, acked time.Time
}

func startWorkload(t *testing.T, dsn string, clients int) *workload {
	t.Helper()
	w := &workload{dsn: dsn, clients: clients, increments: map[int]int64{}}
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = cancel
	for c := 0; c < clients; c++ {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		w.wg.Add(1)
		go func(c int) {
			defer w.wg.Done()
			defer conn.Close(context.Background())
			w.client(ctx, conn, c)
		}(c)
	}
	t.Cleanup(w.stop)
	return w
}

// client alternates single-statement writes with, for the last client, explicit
// transactions holding a row of each table (so cutover's locks must wait for them).
func (w *workload) client(ctx context.Context, conn *pgx.Conn, c int) {
	for n := 1; !w.stopping.Load(); n++ {
		counter := 1 + (c+n)%8
		var err error
		if c == w.clients-1 && w.clients > 1 {
			err = w.transaction(ctx, conn, c, n, counter)
		} else {
			err = w.insert(ctx, conn, c, n)
			if err == nil {
				err = w.increment(ctx, conn, counter)
			}
		}
		if err != nil && ctx.Err() == nil {
			w.mu.Lock()
			w.failures = append(w.failures, fmt.Errorf("client %d write %d: %w", c, n, err))
			w.mu.Unlock()
			return
		}
	}
}

func (w *workload) insert(ctx context.Context, conn *pgx.Conn, c, n int) error {
	return retrySerialization(ctx, w, func() error {
		started := time.Now()
		var id int64
		if err := conn.QueryRow(ctx, `INSERT INTO public.ledger (client, n) VALUES ($1, $2) RETURNING id`, c, n).Scan(&id); err != nil {
			return err
		}
		w.ackInsert(ackedInsert{client: c, n: n, id: id, started: started, acked: time.Now()})
		return nil
	})
}

func (w *workload) increment(ctx context.Context, conn *pgx.Conn, counter int) error {
	return retrySerialization(ctx, w, func() error {
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

func (w *workload) transaction(ctx context.Context, conn *pgx.Conn, c, n, counter int) error {
	return retrySerialization(ctx, w, func() error {
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
		w.ackInsert(ackedInsert{client: c, n: n, id: id, started: started, acked: time.Now()})
		w.ackIncrement(counter)
		return nil
	})
}

// retrySerialization retries a write that failed with a serialization error, as an
// application behind postgres_fdw must: nothing of it was committed.
func retrySerialization(ctx context.Context, w *workload, write func() error) error {
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

func (w *workload) ackInsert(a ackedInsert) {
	w.mu.Lock()
	w.inserts = append(w.inserts, a)
	w.mu.Unlock()
}

func (w *workload) ackIncrement(counter int) {
	w.mu.Lock()
	w.increments[counter]++
	w.mu.Unlock()
}

// acked is the number of acknowledged inserts so far.
func (w *workload) acked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.inserts)
}

// waitAcked waits until n more inserts have been acknowledged.
func (w *workload) waitAcked(t *testing.T, n int) {
	t.Helper()
	target := w.acked() + n
	deadline := time.Now().Add(time.Minute)
	for w.acked() < target {
		if time.Now().After(deadline) {
			t.Fatalf("the workload stalled: %d inserts acknowledged, failures %v", w.acked(), w.failures)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *workload) stop() {
	w.stopping.Store(true)
	w.wg.Wait()
	w.cancel()
}

// check verifies, on the server now holding the data, that every acknowledged write is there
// exactly once and nothing else is; that every counter equals its acknowledged increments;
// and, when split is set, that every insert begun after split got a key above every insert
// acknowledged before it.
func (w *workload) check(t *testing.T, conn *pgx.Conn, split time.Time) {
	t.Helper()
	w.stop()
	if len(w.failures) > 0 {
		t.Fatalf("%d writes failed: %v", len(w.failures), w.failures)
	}
	ctx := context.Background()
	rows, err := conn.Query(ctx, `SELECT client, n, id FROM public.ledger`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[[2]int]int64{}
	for rows.Next() {
		var c, n int
		var id int64
		if err := rows.Scan(&c, &n, &id); err != nil {
			t.Fatal(err)
		}
		stored[[2]int{c, n}] = id
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	if len(stored) != len(w.inserts) {
		t.Errorf("%d rows stored, %d inserts acknowledged", len(stored), len(w.inserts))
	}
	var maxBefore, minAfter int64 = 0, 1 << 62
	for _, a := range w.inserts {
		id, ok := stored[[2]int{a.client, a.n}]
		if !ok || id != a.id {
			t.Fatalf("acknowledged insert %+v: stored id %d, present %v", a, id, ok)
		}
		if a.acked.Before(split) && a.id > maxBefore {
			maxBefore = a.id
		}
		if !split.IsZero() && a.started.After(split) && a.id < minAfter {
			minAfter = a.id
		}
	}
	if !split.IsZero() && minAfter <= maxBefore {
		t.Fatalf("an insert after cutover got key %d, not above %d acknowledged before", minAfter, maxBefore)
	}
	for counter := 1; counter <= 8; counter++ {
		var hits int64
		if err := conn.QueryRow(ctx, `SELECT hits FROM public.counters WHERE id = $1`, counter).Scan(&hits); err != nil {
			t.Fatal(err)
		}
		if hits != w.increments[counter] {
			t.Fatalf("counter %d is %d, %d increments acknowledged", counter, hits, w.increments[counter])
		}
	}
	t.Logf("workload: %d inserts, %d serialization retries", len(w.inserts), w.retries)
}

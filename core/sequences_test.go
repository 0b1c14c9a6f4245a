package core_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// sequencesSchema has the sequences a real database has: serial and identity columns in a
// mixed-case schema, a descending sequence, a smallint one close to its end, one never used.
const sequencesSchema = `
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order" (id serial PRIMARY KEY, n int);
CREATE TABLE public.item (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY);
CREATE SEQUENCE public.countdown INCREMENT -1 START -1 MINVALUE -1000000000 MAXVALUE -1;
CREATE SEQUENCE public.tiny AS smallint MAXVALUE 30000;
CREATE SEQUENCE public.unused;
INSERT INTO "Sales"."Order" (n) SELECT g FROM generate_series(1, 50) g;
INSERT INTO public.item DEFAULT VALUES;
SELECT nextval('public.countdown') FROM generate_series(1, 5);
SELECT setval('public.tiny', 29000);`

// seqNext is what nextval would return next, read without consuming anything.
func (e *env) seqNext(onReplica bool, seq string) int64 {
	e.t.Helper()
	return e.queryInt(onReplica, `SELECT CASE WHEN is_called THEN last_value + (SELECT seqincrement FROM pg_sequence WHERE seqrelid = '`+seq+`'::regclass) ELSE last_value END FROM `+seq)
}

// Sequences watches every sequence at once without consuming values, moves each ahead on
// the replica by its observed rate, never backwards, and refuses, changing nothing, to take
// one past its maximum.
func TestSequences(t *testing.T) {
	forEachPair(t, func(t *testing.T, e *env) {
		e.execPrimary(sequencesSchema)
		if _, err := core.Setup(ctxFor(t, time.Minute), e.setupOptions()); err != nil {
			t.Fatalf("setup: %v", err)
		}
		e.execReplica(`SELECT setval('public.countdown', -500000)`) // the replica is ahead already
		opts := core.SequencesOptions{Migration: e.m, Window: time.Second, Skip: 60, Execution: core.Execution{Observer: core.Observer{Logger: testLogger(t)}}}

		// A steady writer on the primary: about 100 orders a second.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := e.pair.Primary.Connect(context.Background(), e.primaryDB)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close(context.Background())
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
					_, _ = conn.Exec(context.Background(), `INSERT INTO "Sales"."Order" (n) VALUES (0)`)
				}
			}
		}()
		defer func() { close(stop); wg.Wait() }()

		// public.tiny uses no values, but 60s of "Sales"."Order" are fine; make tiny busy too,
		// past what its range allows over 60 seconds.
		e.execPrimary(`SELECT nextval('public.tiny') FROM generate_series(1, 10)`)
		// Busy while sequences watches, however late a loaded machine starts its window: 200
		// values drawn one at a time from the moment it says it is watching, far past what
		// tiny's range allows over 60 seconds and far within what it has left (990).
		watching, busy := make(chan struct{}), make(chan struct{})
		var once sync.Once
		watched := opts
		watched.Observer.Progress = func(ev core.Event) {
			if strings.HasPrefix(ev.Message, "watching") {
				once.Do(func() { close(watching) })
			}
		}
		conn, err := e.pair.Primary.Connect(ctxFor(t, time.Minute), e.primaryDB)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		go func() {
			defer close(busy)
			<-watching
			for range 200 {
				if _, err := conn.Exec(context.Background(), `SELECT nextval('public.tiny')`); err != nil {
					return
				}
			}
		}()
		before := e.seqNext(true, `"Sales"."Order_id_seq"`)
		_, err = core.Sequences(ctxFor(t, time.Minute), watched)
		once.Do(func() { close(watching) })
		<-busy
		if !errors.Is(err, core.ErrRefused) || !contains([]string{err.Error()}, `"public"."tiny"`) {
			t.Fatalf("sequences with tiny about to overflow: got %v, want a refusal naming it", err)
		}
		if e.seqNext(true, `"Sales"."Order_id_seq"`) != before {
			t.Fatal("a refused run changed a sequence")
		}

		e.execReplica(`ALTER SEQUENCE public.tiny AS int MAXVALUE 2000000000`)
		e.execPrimary(`ALTER SEQUENCE public.tiny AS int MAXVALUE 2000000000`)
		dry := opts
		dry.DryRun = true
		if res, err := core.Sequences(ctxFor(t, time.Minute), dry); err != nil || res.Changed == 0 || e.seqNext(true, `"Sales"."Order_id_seq"`) != before {
			t.Fatalf("dry run: %v, %+v", err, res)
		}
		res, err := core.Sequences(ctxFor(t, time.Minute), opts)
		if err != nil {
			t.Fatalf("sequences: %v (%s)", err, core.Hint(err))
		}
		if res.WindowMS < 1000 || res.WindowMS > 5000 {
			t.Errorf("window %.0f ms: one window for all sequences, not one each", res.WindowMS)
		}
		got := map[string]core.SequenceSet{}
		for _, s := range res.Sequences {
			got[s.Schema+"."+s.Name] = s
		}
		order := got["Sales.Order_id_seq"]
		primaryNext := e.seqNext(false, `"Sales"."Order_id_seq"`)
		if !order.Changed || order.RatePerSecond < 10 || order.Next < order.PrimaryNext+int64(order.RatePerSecond*50) || order.Next <= primaryNext {
			t.Errorf("\"Sales\".\"Order_id_seq\": %+v (primary now at %d)", order, primaryNext)
		}
		if n := e.seqNext(true, `"Sales"."Order_id_seq"`); n != order.Next {
			t.Errorf("the replica's sequence hands out %d next, the result says %d", n, order.Next)
		}
		if cd := got["public.countdown"]; cd.Changed || e.seqNext(true, "public.countdown") != -500001 {
			t.Errorf("countdown moved backwards: %+v", cd)
		}
		if id := got["public.item_id_seq"]; id.Next < 2 {
			t.Errorf("identity sequence not moved: %+v", id)
		}
		if _, ok := got["public.unused"]; !ok || e.queryInt(false, `SELECT count(*) FROM pg_sequences WHERE sequencename = 'unused' AND last_value IS NULL`) != 1 {
			t.Error("reading the sequences consumed a value of the unused one, or skipped it")
		}
		again, err := core.Sequences(ctxFor(t, time.Minute), core.SequencesOptions{Migration: e.m, Window: 100 * time.Millisecond, Skip: 1})
		if err != nil || e.seqNext(true, `"Sales"."Order_id_seq"`) != order.Next {
			t.Fatalf("a second run with a smaller skip moved a sequence back: %v %+v", err, again)
		}
	})
}

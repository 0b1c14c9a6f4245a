package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/metrics/metricstest"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// lockedBuffer is a writer a test reads while a command still writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// status --serve, on a migration replicating between real clusters: /metrics holds what
// status --json reports, no password appears anywhere, and Ctrl-C ends it with exit 0.
func TestStatusServe(t *testing.T) {
	t.Parallel()
	pair := pgtest.Pairs(t)[0]
	primaryDB, replicaDB := pgtest.Database(t, pair.Primary), pgtest.Database(t, pair.Replica)
	if err := pair.Primary.Exec(context.Background(), primaryDB, `CREATE TABLE "Order" (id int PRIMARY KEY); CREATE TABLE line (id int PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	pgDumpDir, err := pgtest.ClientBinDir(15)
	if err != nil {
		t.Fatal(err)
	}
	primary, replica := pair.Primary.DSN(primaryDB), pair.Replica.DSN(replicaDB)
	c := &cli{t: t, env: map[string]string{"PGHANDOFF_PRIMARY": primary, "PGHANDOFF_REPLICA": replica}}
	c.expect(exitOK, "setup", "--name", primaryDB, "--pg-dump="+filepath.Join(pgDumpDir, "pg_dump"))
	c.expect(exitOK, "wait", "--name", primaryDB, "--timeout", "2m", "--interval", "200ms")

	ctx, stop := context.WithCancel(context.Background())
	var stdout, stderr lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"status", "--name", primaryDB, "--max-lag", "64MB", "--serve", "127.0.0.1:0", "--interval", "200ms"},
			&stdout, &stderr, func(k string) string { return c.env[k] })
	}()
	addr := waitForAddr(t, &stderr)
	url := "http://" + addr + "/metrics"
	l := `{migration="` + primaryDB + `"}`
	var s metricstest.Samples
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if s = metricstest.Scrape(t, url); s[`pghandoff_ready`+l] == 1 && s[`pghandoff_sentinel_round_trip_seconds`+l] > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within a minute; stderr:\n%s", stderr.String())
		}
	}
	out, _ := c.expect(exitOK, "status", "--json", "--name", primaryDB, "--max-lag", "64MB")
	var st core.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	with := func(label, value string) string {
		return `{migration="` + primaryDB + `",` + label + `="` + value + `"}`
	}
	for series, want := range map[string]float64{
		"pghandoff_up" + l: 1, "pghandoff_state" + with("state", st.State): 1, "pghandoff_max_lag_bytes" + l: 64 << 20,
		"pghandoff_tables" + with("state", "ready"):                         float64(st.TableCounts["ready"]),
		"pghandoff_slot_wal_status" + with("wal_status", st.Slot.WALStatus): 1, "pghandoff_slot_active" + l: 1,
		"pghandoff_subscription_worker_running" + l: 1,
	} {
		if got := s.Get(t, series); got != want {
			t.Errorf("%s = %v, want %v (status --json: %s)", series, got, want, out)
		}
	}
	if lag := s.Get(t, "pghandoff_lag_bytes"+l); lag < 0 || lag > 64<<20 {
		t.Errorf("lag %v bytes, yet ready", lag)
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	stop()
	select {
	case code := <-done:
		if code != exitOK {
			t.Fatalf("status --serve ended with exit %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("status --serve did not stop on cancel")
	}
	everything := string(page) + stdout.String() + stderr.String() + c.all.String()
	for _, secret := range []string{pair.Primary.Password, pair.Replica.Password} {
		if strings.Contains(everything, secret) {
			t.Fatal("a password appeared in the output or the metrics")
		}
	}
	c.expect(exitOK, "teardown", "--name", primaryDB)
}

var servingAt = regexp.MustCompile(`at http://(\S+)/metrics`)

func waitForAddr(t *testing.T, stderr *lockedBuffer) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := servingAt.FindStringSubmatch(stderr.String()); m != nil {
			return m[1]
		}
	}
	t.Fatalf("status --serve did not say where it serves:\n%s", stderr.String())
	return ""
}

package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgcluster"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// A busy channel, as issue 12 found it: hundreds of signed status commands from several
// senders at once, at a bot watching a live migration on real clusters. The bot holds at most
// its budget of connections on each server at any moment, answers every command without an
// error, and writes far fewer sentinel rows than it answers: commands share checks.
func TestStatusBurst(t *testing.T) {
	env := newBurstEnv(t, "")
	res := env.run(t, 300, 8)
	t.Logf("%s", res)
	if res.peak[rolePrimaryDB] > core.DefaultConnections || res.peak[roleReplicaDB] > core.DefaultConnections {
		t.Errorf("the bot held %d connections on the primary and %d on the replica at once; its budget is %d", res.peak[rolePrimaryDB], res.peak[roleReplicaDB], core.DefaultConnections)
	}
	if res.peak[rolePrimaryDB] == 0 {
		t.Errorf("the sampler never saw the bot on the primary: it measured nothing")
	}
	if res.answered != res.statuses {
		t.Errorf("%d of %d status commands were answered", res.answered, res.statuses)
	}
	for _, e := range res.errors {
		t.Errorf("an answer is an error: %s", e)
	}
	if res.sentinelRows*10 > res.statuses {
		t.Errorf("%d status commands wrote %d sentinel rows: they should share checks", res.statuses, res.sentinelRows)
	}
}

// BenchmarkStatusBurst measures a burst of 300 status commands (with a help among every four)
// sent one at a time and from 8 senders at once: acknowledgement latency, the time until the
// last answer, the bot's peak connections per server and the sentinel rows it wrote. With
// reuse=off a status is reused only by the requests that came while it was computed
// (status_max_age 1ms): the connection budget, not the reuse, keeps the bot light. See
// BENCHMARKS.md.
func BenchmarkStatusBurst(b *testing.B) {
	for _, reuse := range []struct{ name, config string }{{"on", ""}, {"off", "  status_max_age: 1ms\n"}} {
		env := newBurstEnv(b, reuse.config)
		for _, senders := range []int{1, 8} {
			b.Run(fmt.Sprintf("reuse=%s/senders=%d", reuse.name, senders), func(b *testing.B) {
				var res burstResult
				for range b.N {
					res = env.run(b, 300, senders)
				}
				b.ReportMetric(res.percentile("status", 50), "status-ack-p50-ms")
				b.ReportMetric(res.percentile("status", 99), "status-ack-p99-ms")
				b.ReportMetric(res.percentile("help", 50), "help-ack-p50-ms")
				b.ReportMetric(res.percentile("help", 99), "help-ack-p99-ms")
				b.ReportMetric(res.lastAnswer.Seconds(), "last-answer-s")
				b.ReportMetric(float64(res.peak[rolePrimaryDB]), "peak-primary-conns")
				b.ReportMetric(float64(res.peak[roleReplicaDB]), "peak-replica-conns")
				b.ReportMetric(float64(res.sentinelRows), "sentinel-rows")
				b.Logf("%s", res)
			})
		}
	}
}

const (
	rolePrimaryDB = "primary"
	roleReplicaDB = "replica"
)

// burstEnv is a bot watching a migration that is set up and caught up.
type burstEnv struct {
	h                    *harness
	pair                 pgtest.Pair
	primaryDB, replicaDB string
}

// newBurstEnv starts the bot with limits (YAML lines under `limits:`, indented by two spaces)
// and no rate limit to speak of.
func newBurstEnv(t testing.TB, limits string) *burstEnv {
	pair := pgtest.Pairs(t)[0]
	e := &burstEnv{pair: pair, primaryDB: pgtest.Database(t, pair.Primary), replicaDB: pgtest.Database(t, pair.Replica)}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := pair.Primary.Exec(ctx, e.primaryDB, `CREATE SCHEMA "Billing"; CREATE TABLE "Billing"."Order" (id bigserial PRIMARY KEY, note text);
		INSERT INTO "Billing"."Order" (note) SELECT 'row ' || g FROM generate_series(1, 1000) g`); err != nil {
		t.Fatal(err)
	}
	bin, err := pgcluster.ClientBinDir(15)
	if err != nil {
		t.Fatal(err)
	}
	m, err := core.NewMigration(e.primaryDB, map[core.Option]string{core.OptPrimary: pair.Primary.DSN(e.primaryDB), core.OptReplica: pair.Replica.DSN(e.replicaDB)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.Setup(ctx, core.SetupOptions{Migration: m, PgDump: filepath.Join(bin, "pg_dump")}); err != nil {
		t.Fatal(err)
	}
	if _, err := core.Wait(ctx, core.WaitOptions{StatusOptions: core.StatusOptions{Migration: m}, Interval: 200 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STATE_DSN": stateDB(t), "P": pair.Primary.DSN(e.primaryDB), "R": pair.Replica.DSN(e.replicaDB)}
	migs := "  orders:\n    name: " + e.primaryDB + "\n    primary: {env: P}\n    replica: {env: R}\n"
	e.h = startBot(t, harnessOpts{config: testConfig(migs, "limits:\n  commands_per_minute: 1000000\n"+limits), env: env})
	return e
}

// burstResult is what one burst measured.
type burstResult struct {
	statuses, answered int
	acks               map[string][]time.Duration // by command
	queued             int                        // acknowledgements that said the command was queued
	lastAnswer         time.Duration              // from the first command to the last answer
	peak               map[string]int             // the bot's connections on each server at once, at most
	sentinelRows       int
	errors             []string
}

func (r burstResult) percentile(command string, p int) float64 {
	d := slices.Clone(r.acks[command])
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[(len(d)-1)*p/100].Microseconds()) / 1000
}

func (r burstResult) String() string {
	return fmt.Sprintf("%d status commands, %d answered, %d acknowledged as queued; ack p50/p99: status %.1f/%.1f ms, help %.1f/%.1f ms; last answer after %s; peak bot connections: primary %d, replica %d; %d sentinel rows",
		r.statuses, r.answered, r.queued, r.percentile("status", 50), r.percentile("status", 99), r.percentile("help", 50), r.percentile("help", 99),
		r.lastAnswer.Round(time.Millisecond), r.peak[rolePrimaryDB], r.peak[roleReplicaDB], r.sentinelRows)
}

// run sends statuses status commands from senders at once, a help among every four, and
// waits for every answer while sampling the bot's connections on both servers.
func (e *burstEnv) run(t testing.TB, statuses, senders int) burstResult {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := burstResult{statuses: statuses, acks: map[string][]time.Duration{}, peak: map[string]int{}}
	e.h.bot.forgetAnswers("") // each burst starts with no answer to reuse
	rowsBefore := e.sentinelRows(t)
	sampled := e.sample(ctx, t, &res)

	var mu sync.Mutex
	var urls []string
	start := time.Now()
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := fmt.Sprintf("U0SEND%d", s)
			for i := s; i < statuses; i += senders {
				if i%4 == 0 {
					_, _, took, err := e.send(user, "help")
					mu.Lock()
					res.acks["help"] = append(res.acks["help"], took)
					mu.Unlock()
					if err != nil {
						t.Error(err)
						return
					}
				}
				text, responseURL, took, err := e.send(user, "status orders")
				mu.Lock()
				res.acks["status"] = append(res.acks["status"], took)
				urls = append(urls, responseURL)
				if strings.Contains(text, "Queued") {
					res.queued++
				}
				mu.Unlock()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		res.answered, res.errors = 0, nil
		for _, u := range urls {
			answers := e.h.slack.responses(u)
			if len(answers) > 0 {
				res.answered++
			}
			for _, a := range answers {
				if strings.Contains(a, ":x:") || strings.Contains(a, "too many clients") || !strings.Contains(a, "*orders*") {
					res.errors = append(res.errors, truncate(a, 300))
				}
			}
		}
		if res.answered == len(urls) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	res.lastAnswer = time.Since(start)
	cancel()
	<-sampled
	res.sentinelRows = e.sentinelRows(t) - rowsBefore
	return res
}

// send posts one signed command and returns the acknowledgement, the response URL it gave,
// and how long the acknowledgement took.
func (e *burstEnv) send(user, text string) (string, string, time.Duration, error) {
	rid := nextResponseID()
	responseURL := e.h.slack.responseURL(rid)
	form := url.Values{"command": {"/pghandoff"}, "text": {text}, "team_id": {testTeam}, "user_id": {user},
		"channel_id": {testChannel}, "response_url": {responseURL}, "trigger_id": {"trig"}}
	body := form.Encode()
	req, _ := http.NewRequest(http.MethodPost, "http://"+e.h.addr+"/slack/commands", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	now := time.Now()
	req.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("X-Slack-Signature", sign(testSecret, now.Unix(), body))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", responseURL, time.Since(start), err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return "", responseURL, took, fmt.Errorf("%s: HTTP %d %s", text, resp.StatusCode, raw)
	}
	var rep struct{ Text string }
	_ = json.Unmarshal(raw, &rep)
	return rep.Text, responseURL, took, nil
}

// sample counts the bot's connections to each server's migration database until ctx ends,
// keeping the most seen at once.
func (e *burstEnv) sample(ctx context.Context, t testing.TB, res *burstResult) <-chan struct{} {
	done := make(chan struct{})
	servers := []struct {
		role    string
		cluster *pgtest.Cluster
		db      string
	}{{rolePrimaryDB, e.pair.Primary, e.primaryDB}, {roleReplicaDB, e.pair.Replica, e.replicaDB}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, s := range servers {
		conn, err := s.cluster.Connect(context.Background(), "postgres")
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close(context.Background())
			for ctx.Err() == nil {
				var n int
				if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'pghandoff bot%'`, s.db).Scan(&n); err != nil {
					return
				}
				mu.Lock()
				res.peak[s.role] = max(res.peak[s.role], n)
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	go func() { wg.Wait(); close(done) }()
	return done
}

func (e *burstEnv) sentinelRows(t testing.TB) int {
	conn, err := e.pair.Primary.Connect(context.Background(), e.primaryDB)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), fmt.Sprintf(`SELECT count(*) FROM public.%q WHERE status = 'pghandoff status'`, e.primaryDB)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

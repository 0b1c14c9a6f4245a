// Package metrics exposes what pghandoff knows of each migration to Prometheus: lag, the
// sentinel's round trip, tables by state, the slot's WAL safety, readiness and the last
// cutover's pause. The bot and `pghandoff status --serve` feed it the core.Status results
// they take on their own cadence; a scrape only reads the last ones and never touches a
// database, however often Prometheus asks.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pghandoff/pghandoff/core"
)

// Collector holds the last check of each migration and renders it at each scrape. It is a
// prometheus.Collector of const metrics, so that a table state or WAL status that is gone
// leaves no stale series behind.
type Collector struct {
	mu         sync.Mutex
	migrations map[string]*snapshot
}

// snapshot is what is known of one migration.
type snapshot struct {
	status     *core.Status // the last successful check; nil after a failed one
	checkedAt  time.Time    // the last check, successful or not
	sentinelMS float64      // the last sentinel round trip measured, which not every check does
	sentinelAt time.Time
	cutover    *Cutover
}

// Cutover is the last cutover of a migration.
type Cutover struct {
	At       time.Time
	PauseMS  float64 // how long the application's writes were held
	Switched bool    // false: it rolled back, traffic stayed on the old primary
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns an empty Collector.
func New() *Collector { return &Collector{migrations: map[string]*snapshot{}} }

func (c *Collector) get(migration string) *snapshot {
	s := c.migrations[migration]
	if s == nil {
		s = &snapshot{}
		c.migrations[migration] = s
	}
	return s
}

// Observe records one status check of a migration, taken at `at`. A failed check (err set,
// st nil) keeps only pghandoff_up at 0: values from an older check would be stale.
func (c *Collector) Observe(migration string, st *core.Status, err error, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.get(migration)
	s.checkedAt = at
	if err != nil || st == nil {
		s.status = nil
		return
	}
	s.status = st
	if st.SentinelMS != nil {
		s.sentinelMS, s.sentinelAt = *st.SentinelMS, at
	}
}

// ObserveCutover records the last cutover of a migration.
func (c *Collector) ObserveCutover(migration string, cut Cutover) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.get(migration).cutover = &cut
}

// Describe sends the descriptions of every metric Collect can send.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect renders the last observations.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, s := range c.migrations {
		collectSnapshot(ch, name, s)
	}
}

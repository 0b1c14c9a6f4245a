package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func collectSnapshot(ch chan<- prometheus.Metric, name string, s *snapshot) {
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{name}, labels...)...)
	}
	if c := s.cutover; c != nil {
		gauge(descPause, c.PauseMS/1000)
		gauge(descSwitched, boolean(c.Switched))
		gauge(descCutoverAt, unix(c.At))
	}
	if s.checkedAt.IsZero() {
		return // a cutover known, no check yet
	}
	gauge(descChecked, unix(s.checkedAt))
	st := s.status
	gauge(descUp, boolean(st != nil))
	if st == nil {
		return
	}
	gauge(descReady, boolean(st.Ready))
	for _, state := range states {
		gauge(descState, boolean(st.State == state), state)
	}
	gauge(descMaxLag, float64(st.MaxLagBytes))
	if st.LagBytes != nil {
		gauge(descLagBytes, float64(*st.LagBytes))
	}
	if st.LagSeconds != nil {
		gauge(descLagSeconds, *st.LagSeconds)
	}
	if !s.sentinelAt.IsZero() {
		gauge(descSentinel, s.sentinelMS/1000)
		gauge(descSentinelAt, unix(s.sentinelAt))
	}
	for _, state := range tableStates {
		gauge(descTables, float64(st.TableCounts[state]), state)
	}
	if slot := st.Slot; slot != nil {
		for _, w := range walStatuses {
			gauge(descWALStatus, boolean(slot.WALStatus == w), w)
		}
		gauge(descSlotActive, boolean(slot.Active))
		if slot.SafeWALSizeBytes != nil {
			gauge(descSafeWAL, float64(*slot.SafeWALSizeBytes))
		}
	}
	if sub := st.Subscription; sub != nil {
		gauge(descSubWorker, boolean(sub.Enabled && sub.WorkerRunning))
	}
}

func boolean(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pghandoff/pghandoff/internal/version"
)

// Handler serves /metrics from a registry of its own (not the global default one, which any
// imported package could fill): the migrations' metrics, the build, and the process's and Go
// runtime's own.
func Handler(c *Collector) http.Handler {
	reg := prometheus.NewRegistry()
	v := version.Get()
	build := prometheus.MustNewConstMetric(descBuild, prometheus.GaugeValue, 1, v.Version, v.Commit, v.GoVersion)
	reg.MustRegister(c, constCollector{build},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// constCollector serves fixed metrics.
type constCollector []prometheus.Metric

func (c constCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c {
		ch <- m.Desc()
	}
}

func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

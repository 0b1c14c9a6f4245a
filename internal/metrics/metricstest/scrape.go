// Package metricstest reads a /metrics page the way Prometheus does, for tests.
package metricstest

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Samples are the values of a scrape, by series: `name{label="value",...}` with the labels
// sorted, or the bare name for a series without labels.
type Samples map[string]float64

// Scrape GETs url and parses the text exposition format with Prometheus's own parser.
func Scrape(t testing.TB, url string) Samples {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: HTTP %d %s", url, resp.StatusCode, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	out := Samples{}
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			sort.Strings(labels)
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			switch {
			case m.GetGauge() != nil:
				out[key] = m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				out[key] = m.GetCounter().GetValue()
			case m.GetUntyped() != nil:
				out[key] = m.GetUntyped().GetValue()
			}
		}
	}
	return out
}

// Get returns one series' value, failing the test when it is absent.
func (s Samples) Get(t testing.TB, series string) float64 {
	t.Helper()
	v, ok := s[series]
	if !ok {
		var have []string
		for k := range s {
			if strings.HasPrefix(k, "pghandoff_") {
				have = append(have, k)
			}
		}
		sort.Strings(have)
		t.Fatalf("no series %s; pghandoff's series:\n%s", series, strings.Join(have, "\n"))
	}
	return v
}

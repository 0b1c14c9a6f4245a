package workload

import (
	"testing"
	"time"
)

func TestLongestCountsUnansweredWritesUntilNow(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	writes := []Write{
		{Client: 0, Kind: "insert", Started: at(0), Ended: at(30)},
		{Client: 1, Kind: "increment", Started: at(10), Ended: at(2510), Failed: true},
		{Client: 2, Kind: "insert", Started: at(100), Ended: at(400)},
	}
	if got := longest(writes, at(3000)); got.Client != 1 || got.Latency() != 2500*time.Millisecond {
		t.Fatalf("longest answered: %+v", got)
	}
	waiting := append(writes, Write{Client: 3, Kind: "transaction", Started: at(200)})
	if got := longest(waiting, at(3000)); got.Client != 3 || got.Latency() != 2800*time.Millisecond {
		t.Fatalf("longest with one unanswered: %+v (%s)", got, got.Latency())
	}
	if got := longest(nil, at(0)); !got.Started.IsZero() || got.Latency() != 0 {
		t.Fatalf("no writes: %+v", got)
	}
}

package workload

import "time"

// Write is one write of a client, timed from its first attempt (serialization failures are
// retried within it) to its answer.
type Write struct {
	Client  int       `json:"client"`
	Kind    string    `json:"kind"` // insert, increment or transaction
	Started time.Time `json:"started"`
	Ended   time.Time `json:"ended"` // zero while it waits for its answer
	Failed  bool      `json:"failed,omitempty"`
}

// Latency is how long the client waited for the write's answer: until now when none came yet.
func (wr Write) Latency() time.Duration {
	switch {
	case wr.Started.IsZero():
		return 0
	case wr.Ended.IsZero():
		return time.Since(wr.Started)
	}
	return wr.Ended.Sub(wr.Started)
}

// timing records the writes of every client. Its fields are guarded by Workload.mu.
type timing struct {
	writes   []Write       // acknowledged
	failed   []Write       // answered with an error
	inflight map[int]Write // client → its unanswered write
}

// timed runs one write of client c and records how long its answer took.
func (w *Workload) timed(c int, kind string, write func() error) error {
	rec := Write{Client: c, Kind: kind, Started: time.Now()}
	w.mu.Lock()
	w.inflight[c] = rec
	w.mu.Unlock()
	err := write()
	rec.Ended, rec.Failed = time.Now(), err != nil
	w.mu.Lock()
	delete(w.inflight, c)
	if err == nil {
		w.writes = append(w.writes, rec)
	} else {
		w.failed = append(w.failed, rec)
	}
	w.mu.Unlock()
	return err
}

// Writes returns every acknowledged write with its timing.
func (w *Workload) Writes() []Write {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Write(nil), w.writes...)
}

// Stall is the longest the application waited for an answer: the slowest write, answered or
// failed, or the one still waiting. It is the zero Write before any write.
func (w *Workload) Stall() Write {
	w.mu.Lock()
	defer w.mu.Unlock()
	all := append(append([]Write(nil), w.writes...), w.failed...)
	for _, wr := range w.inflight {
		all = append(all, wr)
	}
	return longest(all, time.Now())
}

// longest is the write of all that waited longest, counting unanswered ones until now.
func longest(all []Write, now time.Time) Write {
	var worst Write
	var most time.Duration = -1
	for _, wr := range all {
		end := wr.Ended
		if end.IsZero() {
			end = now
		}
		if d := end.Sub(wr.Started); d > most {
			worst, most = wr, d
		}
	}
	if !worst.Started.IsZero() && worst.Ended.IsZero() {
		worst.Ended = now // frozen at the time of asking
	}
	return worst
}

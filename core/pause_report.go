package core

import (
	"fmt"
	"strings"
)

// Split says the pause's steps and what each took, in order: "locks 12.0 ms, sentinel 3.1 ms
// (catch-up 2.0 ms), sequences 4.2 ms, switch 1.9 ms". Through PgBouncer the hold is its
// PAUSE; the turnaround shows only with the failsafe.
func (p PauseReport) Split() string {
	hold := "locks"
	if p.Strategy == StrategyPgBouncer {
		hold = "PAUSE"
	}
	parts := []string{fmt.Sprintf("%s %.1f ms", hold, p.LockMS), fmt.Sprintf("sentinel %.1f ms (catch-up %.1f ms)", p.SentinelMS, p.CatchUpMS)}
	if p.TurnaroundMS > 0 {
		parts = append(parts, fmt.Sprintf("turnaround %.1f ms", p.TurnaroundMS))
	}
	parts = append(parts, fmt.Sprintf("sequences %.1f ms", p.SequencesMS), fmt.Sprintf("switch %.1f ms", p.SwitchMS))
	return strings.Join(parts, ", ")
}

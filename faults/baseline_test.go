//go:build faults

package faults

import "testing"

// Without a fault, both kinds of cutover keep every property: the control for every
// scenario below.
func TestNoFault(t *testing.T) {
	for _, failsafe := range []bool{false, true} {
		t.Run(map[bool]string{false: "cutover", true: "cutover_failsafe"}[failsafe], func(t *testing.T) {
			e := newEnv(t)
			e.migrate("")
			e.startApp()
			e.must(cutoverArgs(failsafe)...)
			e.checkAll()
		})
	}
}

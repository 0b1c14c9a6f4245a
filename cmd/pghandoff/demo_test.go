package main

import (
	"regexp"
	"strings"
	"testing"
)

// The demo, as `make demo` runs it: a whole migration under a write workload, no lost write,
// and nothing left behind.
func TestDemo(t *testing.T) {
	for _, strategy := range []string{"proxy", "pgbouncer"} {
		t.Run(strategy, func(t *testing.T) {
			c := &cli{t: t}
			stdout, _ := c.expect(exitOK, "demo", "--clients", "4", "--strategy", strategy)
			for _, want := range []string{"[9/9] proxy remove and teardown", "nothing of pghandoff is left", "lost writes             0",
				"traffic through         " + strategy} {
				if !strings.Contains(stdout, want) {
					t.Fatalf("demo output lacks %q:\n%s", want, stdout)
				}
			}
			if !regexp.MustCompile(`cutover pause +[0-9.]+ ms`).MatchString(stdout) {
				t.Fatalf("no pause in the summary:\n%s", stdout)
			}
		})
	}
}

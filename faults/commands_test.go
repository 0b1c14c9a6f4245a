//go:build faults

package faults

import (
	"fmt"
	"strings"
	"testing"
)

// wait on a migration that was never set up fails at once, with the remedy, instead of
// polling "not set up: run setup" until its timeout (issue 9, item 11). Its timeout here is
// long against one check, short against the suite; a wait that polls shows as several
// checks and exit 3.
func TestWaitOnAMigrationNeverSetUp(t *testing.T) {
	e := newEnv(t)
	o := e.run("wait", "--timeout", "5s", "--interval", "250ms")
	checks := 0
	for _, line := range strings.Split(o.res.Stderr, "\n") {
		if strings.Contains(line, "not_set_up") {
			checks++ // one progress line per check
		}
	}
	if o.res.Code == 0 || checks > 1 || !strings.Contains(o.res.Stderr, "setup") {
		t.Errorf("WAIT: %s after %d checks of a migration never set up; it should fail at once and say to run setup\n%s",
			o, checks, tail(o.res.Stderr, 3))
	}
	e.checkAll()
}

// verify while the application writes (issue 9, item 7): what it reports must hold at one
// point of the data, not compare the primary now with a replica a few transactions behind.
// Replication is healthy here: any difference it reports is false.
func TestVerifyUnderLoad(t *testing.T) {
	e := newEnv(t)
	e.migrate("")
	e.startApp()
	o := e.run("verify")
	if o.res.Code != 0 {
		var differ []string
		tables, _ := o.field("tables").([]any)
		for _, v := range tables {
			if t, ok := v.(map[string]any); ok && t["match"] == false {
				differ = append(differ, fmt.Sprintf("%v.%v (primary %v rows, replica %v)", t["schema"], t["name"], t["primary_rows"], t["replica_rows"]))
			}
		}
		t.Errorf("VERIFY: %s under load, with healthy replication, reported differences: %s\n%s\n%s", o, strings.Join(differ, "; "), tail(o.res.Stdout, 30), tail(o.res.Stderr, 10))
	}
	e.must(cutoverArgs(false)...)
	e.checkAll()
}

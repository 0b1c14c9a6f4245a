//go:build faults

package faults

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/internal/workload"
)

// jobsSchema adds to the workload's a table that a job writes to straight on the primary,
// bypassing the proxy.
const jobsSchema = workload.Schema + `
CREATE TABLE public.jobs (id bigserial PRIMARY KEY, note text NOT NULL);`

// A job that bypasses the proxy writes on the old primary after a failsafe cutover: its
// writes never reach the new primary, and cutover and status must say so (issue 9, item 6).
// They warn, or give a reason, that names the table.
func TestWritesBypassingTheProxy(t *testing.T) {
	e := newEnv(t)
	e.migrate(jobsSchema)
	e.startApp()
	e.must(cutoverArgs(true)...)
	e.primary.exec(t, `INSERT INTO public.jobs (note) VALUES ('nightly job, straight on the old primary')`)
	for _, o := range []*outcome{e.run(cutoverArgs(true)...), e.run("status")} {
		if !warnsAbout(o, "jobs") {
			t.Errorf("BYPASS: %s says nothing of the write on the old primary's public.jobs after the switch; its warnings and reasons: %q",
				o, warningsOf(o))
		}
	}
	e.checkAll()
}

// After a failsafe cutover, status must not advise re-enabling the forward subscription:
// with the failsafe running, that makes replication loop (issue 9, item 4).
func TestStatusAfterFailsafeCutover(t *testing.T) {
	e := newEnv(t)
	e.migrate("")
	e.startApp()
	e.must(cutoverArgs(true)...)
	o := e.run("status")
	enable := regexp.MustCompile(`(?i)ALTER SUBSCRIPTION\s+\S+\s+ENABLE`)
	if advice := enable.FindString(strings.Join(append(warningsOf(o), o.res.Stderr), "\n")); advice != "" {
		t.Errorf("ADVICE: after a failsafe cutover, %s advises %q (state %v): replication would then run both ways; its reasons: %q",
			o, advice, o.field("state"), warningsOf(o))
	}
	e.checkAll()
}

// warnsAbout reports whether a command's warnings or reasons (in its JSON result, or warning
// lines on stderr) name what.
func warnsAbout(o *outcome, what string) bool {
	for _, w := range warningsOf(o) {
		if strings.Contains(w, what) {
			return true
		}
	}
	return false
}

func warningsOf(o *outcome) []string {
	var out []string
	for _, key := range []string{"warnings", "reasons"} {
		list, _ := o.field(key).([]any)
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
	}
	for _, line := range strings.Split(o.res.Stderr, "\n") {
		if strings.HasPrefix(line, "warning:") {
			out = append(out, line)
		}
	}
	return out
}

package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// Off a terminal, wait prints a line at each milestone, not at each new byte count; the
// line and the status show the copy in bytes and the table indexing with its build.
func TestProgressOffATerminal(t *testing.T) {
	pct := 40.0
	build := core.IndexBuild{Table: core.TableName{Schema: "public", Name: "line"}, Index: "line_qty", Phase: "building index: scanning table", Percent: &pct}
	st := &core.Status{Name: "m", State: core.StateCatchingUp, CheckedAt: time.Now(), TableCounts: map[string]int{"copy": 1, core.TableIndexing: 1},
		Tables: []core.TableState{{TableName: core.TableName{Schema: "public", Name: "big"}, State: "copy", Copy: &core.CopyProgress{BytesDone: 1 << 20, BytesTotal: 4 << 20}},
			{TableName: build.Table, State: core.TableIndexing, IndexesPending: 1, Building: []core.IndexBuild{build}}},
		Copy: &core.CopyProgress{BytesDone: 1 << 20, BytesTotal: 4 << 20}, Indexes: &core.IndexesStatus{Deferred: 2, Built: 1, Building: []core.IndexBuild{build}}}
	var out bytes.Buffer
	p := newProgressPrinter(&out, &out)
	p.show(st)
	st.Copy.BytesDone = 2 << 20
	p.show(st)
	st.Indexes.Built = 2
	p.show(st)
	p.end()
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "copied 1.0 MiB of 4.0 MiB (25%)") ||
		!strings.Contains(lines[0], "indexes 1 of 2 built; building line_qty on \"public\".\"line\" (scanning table, 40%)") {
		t.Fatalf("progress off a terminal:\n%s", out.String())
	}
	out.Reset()
	renderStatus(&out, st)
	for _, want := range []string{"copy             2.0 MiB of 4.0 MiB (50%)", `indexing   "public"."line": building line_qty`, "tables           2: 1 indexing, 1 copy"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("status lacks %q:\n%s", want, out.String())
		}
	}
}

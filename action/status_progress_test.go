package action

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
)

// The summary of status and wait shows the copy in bytes, the deferred indexes and who
// builds them, and each table's progress; wait's log line shows them too.
func TestStatusShowsCopyAndIndexing(t *testing.T) {
	eta := 30.0
	st := &core.Status{State: core.StateCatchingUp, TableCounts: map[string]int{core.TableIndexing: 1},
		Tables: []core.TableState{{TableName: core.TableName{Schema: "s", Name: "t"}, State: core.TableIndexing, IndexesPending: 3}},
		Copy:   &core.CopyProgress{BytesDone: 3 << 30, BytesTotal: 4 << 30, ETASeconds: &eta},
		Indexes: &core.IndexesStatus{Deferred: 4, Built: 1, Failed: []core.DeferredFailure{{
			DeferredObject: core.DeferredObject{Kind: core.KindIndex, Object: "t_v", Table: core.TableName{Schema: "s", Name: "t"}}, Attempts: 2, Error: "out of disk"}}}}
	out := statusOutcome(st)
	md := fmt.Sprint(out.facts, out.sections, out.warnings)
	for _, want := range []string{"3.0 GiB of 4.0 GiB (75%), about 30s left", "1 of 4 built; 1 failed", "nobody: run the wait step",
		"3 index(es) or constraint(s) to build", "out of disk"} {
		if !strings.Contains(md, want) {
			t.Errorf("the status outcome lacks %q:\n%s", want, md)
		}
	}
	if line := progressLine(st); !strings.Contains(line, "copied 3.0 GiB of 4.0 GiB") || !strings.Contains(line, "indexes 1 of 4 built") {
		t.Errorf("wait's line: %s", line)
	}
}

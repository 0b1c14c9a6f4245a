package bot

import (
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/core"
)

// A status report shows the copy in bytes and the deferred indexes, who builds them, each
// table's progress, and an ETA that speaks of the copy and the indexes.
func TestStatusTextShowsCopyAndIndexing(t *testing.T) {
	eta, rate := 90.0, 1048576.0
	holder := &core.LockHolder{PID: 42, ApplicationName: "pghandoff cli wait", User: "postgres"}
	st := &core.Status{State: core.StateCatchingUp, TableCounts: map[string]int{"copy": 1},
		Tables:  []core.TableState{{TableName: core.TableName{Schema: "public", Name: "big"}, State: "copy", Copy: &core.CopyProgress{BytesDone: 10 << 20, BytesTotal: 100 << 20}}},
		Copy:    &core.CopyProgress{BytesDone: 10 << 20, BytesTotal: 100 << 20, BytesPerSecond: &rate, ETASeconds: &eta},
		Indexes: &core.IndexesStatus{Deferred: 5, Builder: holder}}
	text := statusText("orders", st, nil)
	for _, want := range []string{"• Initial copy: 10.0 MiB of 100.0 MiB (10%), 1.0 MiB/s, about 1m30s left",
		"• Indexes left for after the copy: 0 of 5 built; built by \"pghandoff cli wait\" (pid 42",
		"\"public\".\"big\" (copy: 10.0 MiB of 100.0 MiB (10%))", "ETA: the initial copy ends in about"} {
		if !strings.Contains(text, want) {
			t.Errorf("status text lacks %q:\n%s", want, text)
		}
	}
}

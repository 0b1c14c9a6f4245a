package core

import (
	"encoding/json"
	"testing"
)

// The words every front end shows for the copy and the index builds, and what counts as a
// milestone: a new byte count is not one, an index built is.
func TestProgressText(t *testing.T) {
	var st Status
	if err := json.Unmarshal([]byte(`{"state": "catching_up", "reasons": ["2 tables not ready"],
		"tables": [{"schema": "public", "name": "big", "state": "copy", "copy": {"bytes_done": 1048576, "bytes_total": 4194304, "bytes_per_second": 524288, "eta_seconds": 6}},
			{"schema": "Billing", "name": "Order", "state": "indexing", "indexes_pending": 2, "building": [{"table": {"schema": "Billing", "name": "Order"}, "index": "\"by customer\"", "phase": "building index: scanning table", "percent": 40}]}],
		"copy": {"bytes_done": 1048576, "bytes_total": 4194304, "bytes_per_second": 524288, "eta_seconds": 6},
		"indexes": {"deferred": 3, "built": 1, "building": [{"table": {"schema": "Billing", "name": "Order"}, "index": "\"by customer\"", "phase": "building index: scanning table", "percent": 40}]}}`), &st); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{
		{st.Copy.String(), "1.0 MiB of 4.0 MiB (25%), 512.0 KiB/s, about 6s left"},
		{st.Indexes.String(), `1 of 3 built; building "by customer" on "Billing"."Order" (scanning table, 40%)`},
		{st.Tables[0].Progress(), "1.0 MiB of 4.0 MiB (25%), 512.0 KiB/s, about 6s left"},
		{st.Tables[1].Progress(), `building "by customer" on "Billing"."Order" (scanning table, 40%)`},
		{(TableState{}).Progress(), ""},
	} {
		if c[0] != c[1] {
			t.Errorf("got %q, want %q", c[0], c[1])
		}
	}
	before := st.Milestone()
	st.Copy.BytesDone, st.Reasons = 2097152, []string{"3 tables not ready"}
	if st.Milestone() != before {
		t.Errorf("more bytes copied made a milestone: %q, then %q", before, st.Milestone())
	}
	st.Indexes.Built++
	if st.Milestone() == before {
		t.Errorf("an index built made no milestone")
	}
}

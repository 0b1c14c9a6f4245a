package faultnet

import "testing"

func TestQueryOfMessages(t *testing.T) {
	parse := typed('P', []byte("stmt1\x00COMMIT\x00\x00\x00"))
	cases := []struct {
		raw  []byte
		want string
	}{
		{query("COMMIT"), "COMMIT"},
		{parse, "COMMIT"},
		{typed('B', []byte("\x00\x00")), ""},
	}
	for _, c := range cases {
		m := Message{Type: c.raw[0], Raw: c.raw}
		if got := m.Query(); got != c.want {
			t.Errorf("Query of %q = %q, want %q", c.raw, got, c.want)
		}
	}
}

func TestEndsTransaction(t *testing.T) {
	cases := map[string]bool{
		"COMMIT":                            true,
		"commit":                            true,
		" COMMIT ;":                         true,
		"END":                               true,
		"SET LOCAL synchronous_commit = on": false,
		"BEGIN; SET LOCAL synchronous_commit = on; INSERT INTO t VALUES (1); COMMIT": true,
		"COMMIT AND CHAIN": true,
		"ROLLBACK":         false,
		"SELECT 'COMMIT'":  false,
		"":                 false,
	}
	for sql, want := range cases {
		if got := EndsTransaction(Message{Type: 'Q', Raw: query(sql)}); got != want {
			t.Errorf("EndsTransaction(%q) = %t, want %t", sql, got, want)
		}
	}
}

package core

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
)

//go:embed sql/binary_types.sql
var binaryTypesSQL string

// Transfer is how the subscription carries rows, decided from both servers' versions: in
// binary, which from PostgreSQL 16 covers the initial copy too (smaller and cheaper to
// parse than text), and large transactions streamed before they commit, applied by parallel
// workers from 16 on.
type Transfer struct {
	Binary    bool   `json:"binary"`
	Streaming string `json:"streaming"` // parallel, on, or "" (off)
	Why       string `json:"why"`       // for people: what decided it
}

// decideTransfer picks the subscription's transfer options for the tables.
func decideTransfer(ctx context.Context, primary, replica *server, tables []TableName) (Transfer, error) {
	low := min(primary.major(), replica.major())
	var t Transfer
	switch {
	case low >= 16:
		t.Streaming = "parallel"
	case low >= 14:
		t.Streaming = "on"
	}
	if low < 16 {
		t.Why = fmt.Sprintf("text copy: binary copies need PostgreSQL 16 on both servers (PostgreSQL %s → %s)", primary.versionString(), replica.versionString())
		return t, nil
	}
	names := make([]string, len(tables))
	for i, tbl := range tables {
		names[i] = tbl.String()
	}
	textOnly, err := primary.queryStrings(ctx, binaryTypesSQL, names)
	if err != nil {
		return t, wrapRole(primary, "read which column types have a binary form", err)
	}
	if len(textOnly) > 0 {
		t.Why = "text copy: these column types have no binary form: " + strings.Join(firstN(textOnly, 10), ", ")
		return t, nil
	}
	t.Binary, t.Why = true, "binary copy and changes: both servers run PostgreSQL 16 or newer"
	return t, nil
}

// options are the subscription's WITH options for the transfer.
func (t Transfer) options() []string {
	var out []string
	if t.Binary {
		out = append(out, "binary = true")
	}
	if t.Streaming != "" {
		out = append(out, "streaming = "+t.Streaming)
	}
	return out
}

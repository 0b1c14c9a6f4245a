//go:build faults

package faults

import (
	"fmt"
	"os"
	"testing"

	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/procctl"
)

// pghandoffBin is the binary under test, built once for the whole suite.
var pghandoffBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pghandoff-faults-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// Built without -race: the pause's timing is part of what the suite measures.
	pghandoffBin, err = procctl.Build("github.com/pghandoff/pghandoff/cmd/pghandoff", dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

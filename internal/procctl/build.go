// Package procctl runs a program under test as a separate process and controls it the way
// the field does: it watches its stderr line by line, and kills (SIGKILL), freezes (SIGSTOP)
// and thaws (SIGCONT) it at a chosen moment. The fault tests run pghandoff with it.
package procctl

import (
	"fmt"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// Build compiles the main package pkg (an import path) into dir and returns the binary's
// path. Tests call it once, from TestMain.
func Build(pkg, dir string) (string, error) {
	bin := filepath.Join(dir, path.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build %s: %w: %s", pkg, err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

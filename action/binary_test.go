package action_test

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The image runs `pghandoff action` (ENTRYPOINT ["pghandoff"], action.yml's args): build the
// binary and run it as the runner would, in a process of its own with only the runner's
// environment.
func TestBinaryEntryPoint(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "pghandoff")
	build := exec.Command("go", "build", "-o", bin, "./cmd/pghandoff")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	e := newEnv(t)
	e.exec(e.primary, e.primaryDB, `CREATE TABLE t (id int PRIMARY KEY)`)
	e.step(map[string]string{"command": "setup"}).expectOK()

	run := func(inputs map[string]string) (*runner, int) {
		r := newRunner(t, inputs)
		cmd := exec.Command(bin, "action")
		for k, v := range r.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			t.Fatal(err)
		}
		r.code = cmd.ProcessState.ExitCode()
		t.Logf("pghandoff action (exit %d):\n%s\nstderr:\n%s", r.code, r.stdout.String(), r.stderr.String())
		r.assertNoSecret(e.secrets()...)
		return r, r.code
	}
	r, code := run(map[string]string{"command": "wait", "timeout": "2m", "primary": e.primaryDSN, "replica": e.replicaDSN, "name": e.name})
	if code != 0 || r.outputs()["ready"] != "true" || !strings.HasPrefix(r.summary(), "### ✅ pghandoff wait") {
		t.Fatalf("exit %d, outputs %v", code, r.outputs())
	}
	r.assertMasked(e.secrets()...)
	r, code = run(map[string]string{"command": "wait", "timeout": "soon", "primary": e.primaryDSN, "replica": e.replicaDSN})
	if code != 1 {
		t.Fatalf("bad input: exit %d", code)
	}
	r.expectInputError("timeout")
}

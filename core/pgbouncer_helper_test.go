package core_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// The watchdog tests run the test binary itself as other processes: the watchdog (what
// pghandoff's hidden subcommand does), a pauser (start a watchdog, PAUSE, carry on) and a
// cutover, so that the process that paused can be killed or frozen.
const helperEnv = "PGHANDOFF_TEST_HELPER"

// TestBouncerHelperProcess does nothing in a test run: it is the entry point of those
// processes, chosen by PGHANDOFF_TEST_HELPER.
func TestBouncerHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "watchdog":
		if err := core.RunBouncerWatchdog(context.Background(), os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "pauser":
		if err := runPauser(os.Stdin, os.Stdout); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	case "cutover":
		if err := runCutover(os.Stdin); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// cutoverOrder is what the cutover process is told on its standard input.
type cutoverOrder struct {
	Name, Primary, Replica, Admin, Config string
	MaxPause                              time.Duration
}

// runCutover cuts over through PgBouncer, its watchdog another helper process.
func runCutover(in io.Reader) error {
	var o cutoverOrder
	if err := json.NewDecoder(in).Decode(&o); err != nil {
		return err
	}
	m := core.Migration{Name: o.Name, Primary: core.MustParseDSN(o.Primary), Replica: core.MustParseDSN(o.Replica),
		PgBouncer: core.PgBouncer{Admin: core.MustParseDSN(o.Admin), Config: o.Config}}
	_, err := core.Cutover(context.Background(), core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: m,
		MaxPause: o.MaxPause, Watchdog: func() *exec.Cmd { return helperCommand("watchdog") }}})
	return err
}

// helperCommand runs the test binary as one of the helper processes.
func helperCommand(role string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestBouncerHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+role)
	return cmd
}

// pauserOrder is what the pauser is told on its standard input (secrets stay off the
// command line).
type pauserOrder struct {
	Admin, Database, File string
	Limit                 time.Duration
}

// runPauser starts a watchdog, has it pause the database, says "paused" and waits for its
// input to end; it never releases the pause itself.
func runPauser(in io.Reader, out io.Writer) error {
	var o pauserOrder
	if err := json.NewDecoder(in).Decode(&o); err != nil {
		return err
	}
	ctx := context.Background()
	admin := core.MustParseDSN(o.Admin)
	w, err := core.StartBouncerWatchdog(ctx, helperCommand("watchdog"),
		core.BouncerWatchdogOptions{Admin: admin, Database: o.Database, File: o.File, Limit: o.Limit})
	if err != nil {
		return err
	}
	if err := w.Pause(ctx); err != nil {
		return err
	}
	fmt.Fprintf(out, "paused %d\n", w.Pid())
	_, _ = io.Copy(io.Discard, in)
	return nil
}

// pauser is a running pauser process.
type pauser struct {
	cmd         *exec.Cmd
	watchdogPid int
}

// startPauser starts a pauser against e's database and waits until it has paused it.
func (e *bouncerEnv) startPauser(limit time.Duration) *pauser {
	e.t.Helper()
	cmd := helperCommand("pauser")
	in, err := cmd.StdinPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := json.NewEncoder(in).Encode(pauserOrder{Admin: e.b.AdminDSN(), Database: e.db, File: e.b.Include, Limit: limit}); err != nil {
		e.t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	p := &pauser{cmd: cmd}
	if _, scanErr := fmt.Sscanf(line, "paused %d", &p.watchdogPid); err != nil || scanErr != nil {
		e.t.Fatalf("the pauser did not pause: %q %v\n%s", strings.TrimSpace(line), err, e.b.Log())
	}
	return p
}

// state reads the entry from PgBouncer and the file, on a fresh admin connection.
func (e *bouncerEnv) state() core.BouncerState {
	e.t.Helper()
	b := e.bouncer()
	defer b.Close()
	st, err := core.ReadBouncerState(ctxFor(e.t, time.Minute), b, e.db, e.b.Include)
	if err != nil {
		e.t.Fatal(err)
	}
	return st
}

// startWatchdog starts a watchdog process for the entry, killed when the test ends.
func (e *bouncerEnv) startWatchdog(limit time.Duration) *core.BouncerWatchdog {
	e.t.Helper()
	w, err := core.StartBouncerWatchdog(ctxFor(e.t, time.Minute), helperCommand("watchdog"),
		core.BouncerWatchdogOptions{Admin: e.admin, Database: e.db, File: e.b.Include, Limit: limit})
	if err != nil {
		e.t.Fatalf("%v\n%s", err, e.b.Log())
	}
	e.t.Cleanup(w.Kill)
	return w
}

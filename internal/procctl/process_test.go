package procctl

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func start(t *testing.T, script string) *Process {
	t.Helper()
	p, err := Start("/bin/sh", []string{"-c", script}, []string{"PROCCTL_TEST=yes"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Kill(); <-p.Exited() })
	return p
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestResultOfAnExit(t *testing.T) {
	p := start(t, `echo "one $PROCCTL_TEST" >&2; echo two >&2; echo out; exit 3`)
	r, err := p.Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 3 || r.Signal != 0 || r.Stdout != "out\n" || r.Stderr != "one yes\ntwo" {
		t.Fatalf("result %+v", r)
	}
	if _, err := p.WaitLine(ctx(t), "two"); err != nil {
		t.Fatalf("a line already seen: %v", err)
	}
	if _, err := p.WaitLine(ctx(t), "three"); !errors.Is(err, ErrExited) {
		t.Fatalf("a line that never comes: %v", err)
	}
}

// A hook kills the process at its line: what it would have printed next never comes.
func TestKillAtALine(t *testing.T) {
	p := start(t, `echo before >&2; echo ready >&2; sleep 30; echo after >&2`)
	p.OnLine("ready", func(string) { p.Kill() })
	r, err := p.Wait(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	if r.Signal != syscall.SIGKILL || r.Code != -1 || strings.Contains(r.Stderr, "after") {
		t.Fatalf("result %+v", r)
	}
}

// A frozen process is stopped (state T) until thawed.
func TestFreezeAndThaw(t *testing.T) {
	p := start(t, `echo ready >&2; exec sleep 30`)
	if _, err := p.WaitLine(ctx(t), "ready"); err != nil {
		t.Fatal(err)
	}
	if err := p.Freeze(); err != nil {
		t.Fatal(err)
	}
	waitState(t, p, func(s string) bool { return s == "T" })
	if err := p.Thaw(); err != nil {
		t.Fatal(err)
	}
	waitState(t, p, func(s string) bool { return s != "T" })
	p.Kill()
	if r, _ := p.Wait(ctx(t)); r.Signal != syscall.SIGKILL {
		t.Fatalf("result %+v", r)
	}
	if err := p.Thaw(); !errors.Is(err, ErrExited) {
		t.Fatalf("signal after the end: %v", err)
	}
}

// Wait gives up at its context and kills the process.
func TestWaitKillsAtItsDeadline(t *testing.T) {
	p := start(t, `exec sleep 30`)
	c, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := p.Wait(c)
	if err == nil || r.Signal != syscall.SIGKILL {
		t.Fatalf("wait: %v, %+v", err, r)
	}
}

// waitState polls the process's scheduler state (the third field of /proc/PID/stat).
func waitState(t *testing.T, p *Process, ok func(string) bool) {
	t.Helper()
	c := ctx(t)
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
		if err != nil {
			t.Fatal(err)
		}
		_, rest, _ := strings.Cut(string(b), ") ")
		if state, _, _ := strings.Cut(rest, " "); ok(state) {
			return
		}
		select {
		case <-c.Done():
			t.Fatalf("process state stayed %q", rest[:1])
		case <-time.After(10 * time.Millisecond):
		}
	}
}

package procctl

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// Process is a running program, its stderr read line by line as it comes.
type Process struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer

	mu      sync.Mutex
	lines   []string
	hooks   []hook
	newLine chan struct{} // closed and replaced at every stderr line
	stderr  chan struct{} // closed once stderr reached its end
	exited  chan struct{} // closed once the process was reaped
	result  Result
}

// hook runs action, once, at the first stderr line containing match.
type hook struct {
	match  string
	action func(line string)
}

// Result is how a process ended.
type Result struct {
	Code   int            // exit code; -1 when a signal ended it
	Signal syscall.Signal // the signal that ended it, or 0
	Stdout string
	Stderr string
}

// Start runs path with args and env (added to this process's environment) in a process
// group of its own, so that signals reach its children too.
func Start(path string, args, env []string) (*Process, error) {
	p := &Process{newLine: make(chan struct{}), stderr: make(chan struct{}), exited: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout = &p.stdout
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	go p.readStderr(errPipe)
	go p.reap()
	return p, nil
}

// OnLine runs action at the first stderr line containing match, from the goroutine reading
// stderr: the process blocks once the pipe fills while action runs, so it must be quick (a
// signal, a channel send). A line already seen does not fire it.
func (p *Process) OnLine(match string, action func(line string)) {
	p.mu.Lock()
	p.hooks = append(p.hooks, hook{match: match, action: action})
	p.mu.Unlock()
}

func (p *Process) readStderr(r io.Reader) {
	defer close(p.stderr)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		p.lines = append(p.lines, line)
		close(p.newLine)
		p.newLine = make(chan struct{})
		var fire []func(string)
		kept := p.hooks[:0]
		for _, h := range p.hooks {
			if strings.Contains(line, h.match) {
				fire = append(fire, h.action)
			} else {
				kept = append(kept, h)
			}
		}
		p.hooks = kept
		p.mu.Unlock()
		for _, action := range fire {
			action(line)
		}
	}
	_, _ = io.Copy(io.Discard, r)
}

func (p *Process) reap() {
	<-p.stderr // Wait closes the pipe: read it to its end first
	err := p.cmd.Wait()
	p.mu.Lock()
	p.result.Code = p.cmd.ProcessState.ExitCode()
	if ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		p.result.Signal = ws.Signal()
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) && p.result.Code == 0 {
		p.result.Code = -1
	}
	p.result.Stdout = p.stdout.String()
	p.result.Stderr = strings.Join(p.lines, "\n")
	p.mu.Unlock()
	close(p.exited)
}

// ErrExited: the process ended before the line came.
var ErrExited = errors.New("the process exited")

// WaitLine waits for a stderr line containing match, including one already seen, and
// returns it.
func (p *Process) WaitLine(ctx context.Context, match string) (string, error) {
	seen := 0
	for {
		p.mu.Lock()
		lines, next := p.lines[seen:], p.newLine
		seen = len(p.lines)
		p.mu.Unlock()
		for _, line := range lines {
			if strings.Contains(line, match) {
				return line, nil
			}
		}
		select {
		case <-next:
		case <-p.stderr:
			if p.hasLine(match, seen) {
				continue
			}
			return "", fmt.Errorf("waiting for %q: %w", match, ErrExited)
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %q: %w", match, ctx.Err())
		}
	}
}

func (p *Process) hasLine(match string, from int) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, line := range p.lines[from:] {
		if strings.Contains(line, match) {
			return true
		}
	}
	return false
}

// Lines is every stderr line so far.
func (p *Process) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// Exited is closed once the process has ended.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Wait waits for the process to end, or for ctx: then it kills the process and reports that.
func (p *Process) Wait(ctx context.Context) (Result, error) {
	select {
	case <-p.exited:
	case <-ctx.Done():
		p.Kill()
		<-p.exited
		return p.Result(), fmt.Errorf("the process did not end: %w", ctx.Err())
	}
	return p.Result(), nil
}

// Result is how the process ended; zero before it has.
func (p *Process) Result() Result {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.result
}

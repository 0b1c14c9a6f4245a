package procctl

import (
	"fmt"
	"syscall"
)

// Kill ends the process group at once (SIGKILL), as a crash or an OOM killer would, without
// letting it clean up. A frozen process dies too.
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL) }

// Freeze stops the process group (SIGSTOP): its connections stay open and it answers nothing,
// like a process swapped out, a paused VM or a debugger's breakpoint.
func (p *Process) Freeze() error { return p.signal(syscall.SIGSTOP) }

// Thaw resumes a frozen process group (SIGCONT).
func (p *Process) Thaw() error { return p.signal(syscall.SIGCONT) }

func (p *Process) signal(sig syscall.Signal) error {
	select {
	case <-p.exited:
		return ErrExited
	default:
	}
	if err := syscall.Kill(-p.cmd.Process.Pid, sig); err != nil {
		return fmt.Errorf("signal %s: %w", sig, err)
	}
	return nil
}

package action

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"

	"github.com/pghandoff/pghandoff/internal/redact"
)

// Options is what the process gives the Action: its environment and its output streams.
// The package reads nothing else, so tests run it in-process with a simulated runner.
type Options struct {
	// Getenv reads the runner's environment (INPUT_*, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
	// RUNNER_DEBUG); os.Getenv in the CLI.
	Getenv func(string) string
	// Stdout receives the log and the workflow commands; Stderr the diagnostics log.
	Stdout, Stderr io.Writer
	// Logger, when set, receives core's structured log, secrets redacted. When nil, the
	// Action logs warnings (everything when RUNNER_DEBUG=1) as text on Stderr.
	Logger *slog.Logger
	// Watchdog makes the command of the PgBouncer watchdog process, for cutover and rollback
	// through PgBouncer (core.SwitchOptions.Watchdog): the CLI's binary runs it.
	Watchdog func() *exec.Cmd
}

// Exit codes of Run.
const (
	ExitOK     = 0
	ExitFailed = 1 // invalid inputs, a failed or refused operation, a verdict that fails the step
)

// Run runs the migration step the workflow's inputs describe and returns the process exit
// code. Secrets are masked before anything else is printed; inputs are all checked before
// any database is touched.
func Run(ctx context.Context, opts Options) (code int) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	stdout, stderr := orDiscard(opts.Stdout), orDiscard(opts.Stderr)
	red := redact.New("***")
	w := newWorkflow(getenv, stdout, red)
	defer func() {
		// go-githubactions panics when it cannot write; a step must fail, not crash.
		if r := recover(); r != nil {
			fmt.Fprintln(red.Writer(stderr), "pghandoff action: internal error:", r)
			code = ExitFailed
		}
	}()

	conns := readConnections(w) // masks every connection string first
	var errs []error
	cmd, err := lookupCommand(w.input(inCommand))
	if err != nil {
		errs = append(errs, err)
	}
	var p *params
	if cmd != nil {
		var perrs []error
		p, perrs = parseInputs(w, cmd, conns)
		errs = append(errs, perrs...)
	}
	if len(errs) > 0 {
		reportInputErrors(w, errs)
		return ExitFailed
	}
	j := &job{p: p, w: w, logger: newLogger(opts.Logger, getenv, stderr, red), watchdog: opts.Watchdog}
	return j.execute(ctx, cmd)
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

// newLogger wraps the caller's logger, or makes one on stderr, so that every record is
// redacted.
func newLogger(l *slog.Logger, getenv func(string) string, stderr io.Writer, red *redact.Redactor) *slog.Logger {
	if l == nil {
		level := slog.LevelWarn
		if getenv("RUNNER_DEBUG") == "1" {
			level = slog.LevelDebug
		}
		l = slog.New(slog.NewTextHandler(red.Writer(stderr), &slog.HandlerOptions{Level: level}))
	}
	return slog.New(red.Handler(l.Handler()))
}

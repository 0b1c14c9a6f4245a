package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/redact"
)

// Exit codes, documented in the root command's help and the README.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitNotReady = 3
)

// app is what every subcommand shares: where output goes, the environment, and the secrets
// to mask in everything it prints.
type app struct {
	stdout, stderr io.Writer // secrets masked
	// rawStdout and rawStderr are the process's own: the Action must print ::add-mask::
	// lines with the secret in them, for the runner to learn what to mask.
	rawStdout, rawStderr io.Writer
	getenv               func(string) string
	secrets              *redact.Redactor
	verbose              bool
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	secrets := redact.New(redact.DefaultMask)
	a := &app{stdout: secrets.Writer(stdout), stderr: secrets.Writer(stderr), rawStdout: stdout, rawStderr: stderr,
		getenv: getenv, secrets: secrets}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	err := root.ExecuteContext(ctx)
	return a.exitCode(err)
}

// exitCode reports err the way a person at a terminal can act on, and maps it to an exit code.
func (a *app) exitCode(err error) int {
	var usage *usageError
	var exit *exitError
	switch {
	case err == nil:
		return exitOK
	case len(core.InvalidOptions(err)) > 0 && !errors.As(err, &usage):
		for _, invalid := range core.InvalidOptions(err) {
			fmt.Fprintf(a.stderr, "error: %s\n", invalid.Render(cliSpeller{}))
		}
		return exitUsage
	case errors.As(err, &exit):
		return exit.code
	case errors.As(err, &usage) && usage.brief:
		fmt.Fprintf(a.stderr, "error: %v\nRun '%s --help' for the commands and flags.\n", usage.err, usage.cmd.CommandPath())
		return exitUsage
	case errors.As(err, &usage):
		// Run bare, a command explains itself, as the seed scripts do.
		if usage.cmd.Flags().NFlag() == 0 && usage.cmd.Long != "" {
			fmt.Fprintf(a.stderr, "%s\n\n", usage.cmd.Long)
		}
		fmt.Fprintf(a.stderr, "error: %s\n\n%s", usageText(usage.err), usage.cmd.UsageString())
		return exitUsage
	}
	fmt.Fprintf(a.stderr, "error: %v\n", err)
	if h := hint(err); h != "" {
		fmt.Fprintf(a.stderr, "Try: %s\n", h)
	}
	if errors.Is(err, core.ErrNotReady) {
		return exitNotReady
	}
	return exitFailed
}

// usageText says a usage error, naming options as this CLI's flags.
func usageText(err error) string {
	invalid := core.InvalidOptions(err)
	if len(invalid) == 0 {
		return err.Error()
	}
	lines := make([]string, len(invalid))
	for i, e := range invalid {
		lines[i] = e.Render(cliSpeller{})
	}
	return strings.Join(lines, "\n       ")
}

// usageError is a command line that cannot be run as given.
type usageError struct {
	cmd   *cobra.Command
	err   error
	brief bool // say what was wrong and where help is, without the whole usage
}

func (e *usageError) Error() string { return e.err.Error() }

var errMissingConfig = errors.New("missing --config")

// exitError ends the command with a code after its output has said why.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// observer shows core's progress on stderr: warnings and steps always, each SQL statement with
// --verbose.
func (a *app) observer() core.Observer {
	obs := core.Observer{Progress: func(e core.Event) {
		switch {
		case e.Warning:
			fmt.Fprintf(a.stderr, "warning: %s\n", e.Message)
		case e.SQL != "" && !a.verbose:
		case e.Server != "":
			fmt.Fprintf(a.stderr, "%s: %s\n", e.Server, e.Message)
		default:
			fmt.Fprintln(a.stderr, e.Message)
		}
	}}
	if a.verbose {
		obs.Logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return obs
}

// silentObserver shows progress only with --verbose: for commands whose result says it all.
func (a *app) silentObserver() core.Observer {
	if a.verbose {
		return a.observer()
	}
	return core.Observer{}
}

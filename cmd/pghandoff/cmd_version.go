package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/version"
)

// versionReport is what `pghandoff version` prints: the build, and the PostgreSQL client
// tools setup would use (pg_dump must be at least as new as the primary).
type versionReport struct {
	version.Info
	PgDump        string `json:"pg_dump"`                   // the path setup uses unless --pg-dump says otherwise
	PgDumpVersion string `json:"pg_dump_version,omitempty"` // its --version line
	PgDumpError   string `json:"pg_dump_error,omitempty"`   // why it could not be run
}

func (a *app) versionCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show pghandoff's version and commit, and the pg_dump it would use",
		Long: `Shows the version and commit pghandoff was built from, the Go toolchain and platform, and
the pg_dump that setup would use with its version (pg_dump must be at least as new as the
primary). The same as pghandoff --version.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rep := readVersion(cmd.Context())
			return show(a, asJSON, &rep, nil, renderVersion)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

func readVersion(ctx context.Context) versionReport {
	rep := versionReport{Info: version.Get(), PgDump: core.FindPgDump()}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, rep.PgDump, "--version").Output()
	if err != nil {
		rep.PgDumpError = fmt.Sprintf("cannot run it (%v): install the PostgreSQL client tools, e.g. apt-get install postgresql-client", err)
	} else {
		rep.PgDumpVersion = strings.TrimSpace(string(out))
	}
	return rep
}

func renderVersion(w io.Writer, rep *versionReport) {
	fmt.Fprintf(w, "pghandoff %s\n", rep.Version)
	if rep.Commit != "" {
		modified := ""
		if rep.Modified {
			modified = ", with uncommitted changes"
		}
		fmt.Fprintf(w, "  commit   %s %s%s\n", rep.Commit, rep.Time, modified)
	}
	fmt.Fprintf(w, "  go       %s %s\n", rep.GoVersion, rep.Platform)
	if rep.PgDumpError != "" {
		fmt.Fprintf(w, "  pg_dump  %s: %s\n", rep.PgDump, rep.PgDumpError)
	} else {
		fmt.Fprintf(w, "  pg_dump  %s (%s)\n", rep.PgDumpVersion, rep.PgDump)
	}
}

// unknownCommand refuses arguments to the root command: a misspelt command, with cobra's
// suggestions of what was meant.
func unknownCommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q", args[0])
	cmd.SuggestionsMinimumDistance = 2
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf(" (did you mean %s?)", strings.Join(s, ", "))
	}
	return &usageError{cmd: cmd, err: errors.New(msg), brief: true}
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// printStatements lists statements grouped by server, for --dry-run.
func printStatements(w io.Writer, statements []core.Statement) {
	if len(statements) == 0 {
		fmt.Fprintln(w, "-- nothing to do")
		return
	}
	server := ""
	for _, s := range statements {
		if s.Server != server {
			server = s.Server
			fmt.Fprintf(w, "-- on the %s:\n", server)
		}
		fmt.Fprintf(w, "%s;\n", strings.TrimSpace(s.SQL))
	}
}

func printList(w io.Writer, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, item := range items {
		fmt.Fprintf(w, "  - %s\n", item)
	}
}

func tableNames(tables []core.TableName) []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.String()
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// show prints a command's result, as JSON or as text, even when the command failed part way:
// what it did is part of the answer. It returns err, or the error of printing.
func show[T any](a *app, asJSON bool, res *T, err error, render func(io.Writer, *T)) error {
	if res == nil {
		return err
	}
	if asJSON {
		if jerr := printJSON(a.stdout, res); err == nil {
			err = jerr
		}
	} else {
		render(a.stdout, res)
	}
	return err
}

// printDryRun prints the statements a dry run of what would run, and reports whether it was
// a dry run: the caller then prints nothing else.
func printDryRun(w io.Writer, dryRun bool, what string, statements []core.Statement) bool {
	if dryRun {
		fmt.Fprintf(w, "Dry run: %s would run these statements (nothing was changed):\n", what)
		printStatements(w, statements)
	}
	return dryRun
}

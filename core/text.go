package core

import (
	"fmt"
	"strings"
)

// Small helpers that turn lists into text for messages, and text into shorter text.

// tableList is tables' quoted names, comma-separated.
func tableList(tables []TableName) string {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.String()
	}
	return strings.Join(names, ", ")
}

// dedupe drops empty and repeated strings, in place, keeping the first of each.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// names is tables' quoted names.
func names(tables []TableName) []string {
	out := make([]string, len(tables))
	for i, t := range tables {
		out[i] = t.String()
	}
	return out
}

// joinList is the first n items joined with "; ", and how many more there are.
func joinList(items []string, n int) string {
	out := ""
	for i, s := range firstN(items, n) {
		if i > 0 {
			out += "; "
		}
		out += s
	}
	if len(items) > n {
		out += fmt.Sprintf("; and %d more", len(items)-n)
	}
	return out
}

// firstLine is the first line of a statement, for progress messages.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// abbreviate folds white space and cuts s to n bytes, for errors that quote a statement.
func abbreviate(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n] + " ..."
	}
	return s
}

// firstN is the first n elements of s, or all of them.
func firstN[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// joinReasons is a status's reasons in one line.
func joinReasons(reasons []string) string {
	if len(reasons) == 0 {
		return "no reason given"
	}
	out := reasons[0]
	for _, r := range reasons[1:] {
		out += "; " + r
	}
	return out
}

package action

import (
	"fmt"
	"strings"
)

// Markdown for the step summary. Everything that came from a database (table names, server
// messages) goes through text or code, so it cannot break the layout or inject markup.

// maxRows bounds every table of the summary: a database with thousands of tables must not
// push the summary past the runner's 1 MiB limit. The report output holds the full list.
const maxRows = 500

var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "<", "&lt;", ">", "&gt;",
	"#", `\#`, "&", "&amp;", "~", `\~`, "\r", " ", "\n", " ",
)

// text escapes s for Markdown prose or a table cell.
func text(s string) string { return mdEscaper.Replace(s) }

// code is s as an inline code span, whatever backticks it holds.
func code(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	fence := strings.Repeat("`", longestRun(s, '`')+1)
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") || s == "" {
		pad = " "
	}
	return fence + pad + s + pad + fence
}

// codeBlock is a fenced block that s cannot close early.
func codeBlock(lang, s string) string {
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	return fence + lang + "\n" + strings.TrimRight(s, "\n") + "\n" + fence + "\n"
}

func longestRun(s string, c byte) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// table renders a GitHub-flavoured Markdown table. Cells are Markdown already (from text or
// code); a '|' in them is escaped, which GitHub honours inside code spans too.
func table(header []string, rows [][]string) string {
	var b strings.Builder
	row := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + strings.ReplaceAll(c, "|", `\|`) + " |")
		}
		b.WriteString("\n")
	}
	row(header)
	sep := make([]string, len(header))
	for i := range sep {
		sep[i] = "---"
	}
	row(sep)
	for i, r := range rows {
		if i == maxRows {
			fmt.Fprintf(&b, "\n_… and %d more (see the `report` output)_\n", len(rows)-maxRows)
			break
		}
		row(r)
	}
	return b.String()
}

// bullets renders a list of plain-text items.
func bullets(items []string) string {
	var b strings.Builder
	for i, it := range items {
		if i == maxRows {
			fmt.Fprintf(&b, "- … and %d more\n", len(items)-maxRows)
			break
		}
		b.WriteString("- " + text(it) + "\n")
	}
	return b.String()
}

// details folds a long section away.
func details(summary, body string) string {
	return "<details><summary>" + text(summary) + "</summary>\n\n" + body + "\n</details>\n"
}

package core

import "strings"

// splitScript splits a SQL script such as pg_dump writes into its statements, without their
// final semicolons. It understands what pg_dump emits: comments, quoted strings and
// identifiers, dollar-quoted bodies, and psql meta-commands (\connect, \restrict), which it
// drops because they are not SQL.
func splitScript(script string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	atStatementStart := func() bool { return strings.TrimSpace(cur.String()) == "" }
	for i := 0; i < len(script); {
		c := script[i]
		switch {
		case c == '\\' && atStatementStart():
			i = skipLine(script, i) // a psql meta-command
			cur.Reset()
			continue
		case c == '-' && strings.HasPrefix(script[i:], "--"):
			i = skipLine(script, i)
			cur.WriteByte('\n')
			continue
		case c == '/' && strings.HasPrefix(script[i:], "/*"):
			end := skipBlockComment(script, i)
			cur.WriteByte(' ')
			i = end
			continue
		case c == '\'' || c == '"':
			end := skipQuoted(script, i, c)
			cur.WriteString(script[i:end])
			i = end
			continue
		case c == '$':
			if tag, ok := dollarTag(script[i:]); ok {
				end := strings.Index(script[i+len(tag):], tag)
				if end < 0 {
					end = len(script) - i - len(tag)
				} else {
					end += len(tag)
				}
				cur.WriteString(script[i : i+len(tag)+end])
				i += len(tag) + end
				continue
			}
		case c == ';':
			flush()
			i++
			continue
		}
		cur.WriteByte(c)
		i++
	}
	flush()
	return out
}

func skipLine(s string, i int) int {
	if j := strings.IndexByte(s[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(s)
}

// skipBlockComment returns the index after the comment starting at i; they nest.
func skipBlockComment(s string, i int) int {
	depth := 0
	for i < len(s) {
		switch {
		case strings.HasPrefix(s[i:], "/*"):
			depth++
			i += 2
		case strings.HasPrefix(s[i:], "*/"):
			depth--
			i += 2
			if depth == 0 {
				return i
			}
		default:
			i++
		}
	}
	return len(s)
}

// skipQuoted returns the index after the quoted text starting at i; a doubled quote is part of
// the text. pg_dump doubles quotes inside escape strings (E-strings) too.
func skipQuoted(s string, i int, q byte) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == q {
			if j+1 < len(s) && s[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(s)
}

// dollarTag returns the opening $tag$ at the start of s, if it is one.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
		if !letter && !(j > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}

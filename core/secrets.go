package core

import (
	"net/url"
	"regexp"
	"strings"
)

// keywordPassword finds password=... in a keyword/value connection string.
var keywordPassword = regexp.MustCompile(`(?i)(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']+)`)

// ConnectionSecrets lists every form in which a connection string's secrets could appear in
// text: the whole string, and its password as given, URL-encoded, conninfo-quoted and
// decoded. It works on a string that does not parse too, so that a malformed one is masked
// before anything reports on it. Every front end masks these before it prints anything.
func ConnectionSecrets(raw string) []string {
	out := append([]string{raw}, guessPasswords(raw)...)
	if d, err := ParseDSN(raw); err == nil {
		out = append(out, d.Secrets()...)
	}
	return dedupe(out)
}

// guessPasswords finds what looks like a password in a connection string that may not
// parse: the DSN's own parser would say nothing of one it refuses.
func guessPasswords(raw string) []string {
	var out []string
	add := func(p string) {
		if p != "" {
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
			if u, err := url.PathUnescape(p); err == nil && u != p {
				out = append(out, u)
			}
		}
	}
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		p, _ := u.User.Password()
		add(p)
	}
	// url.Parse refuses some strings libpq accepts (several hosts, odd characters): take
	// what stands between the first ':' after the scheme and the last '@'.
	if i := strings.Index(raw, "://"); i >= 0 {
		rest := raw[i+3:]
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if c := strings.Index(rest[:at], ":"); c >= 0 {
				add(rest[c+1 : at])
			}
		}
	}
	for _, m := range keywordPassword.FindAllStringSubmatch(raw, -1) {
		v := m[1]
		add(v)
		if len(v) >= 2 && v[0] == '\'' {
			add(strings.NewReplacer(`\\`, `\`, `\'`, `'`).Replace(v[1 : len(v)-1]))
		}
	}
	// Also any password=... query parameter of a URL.
	if u, err := url.Parse(raw); err == nil {
		for k, vs := range u.Query() {
			if strings.EqualFold(k, "password") {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	return out
}

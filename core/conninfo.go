package core

import (
	"errors"
	"net/url"

	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// connSettings returns the keywords written in a connection string, as libpq reads them, so
// that TLS and connection options reach the libpq clients pghandoff configures (pgx keeps
// them only in a form those clients cannot use). pgx has already accepted the string.
func connSettings(s string) (map[string]string, error) {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		return urlSettings(s)
	}
	return keywordSettings(s)
}

func urlSettings(s string) (map[string]string, error) {
	out := map[string]string{}
	_, query, found := strings.Cut(s, "?")
	if !found {
		return out, nil
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return nil, errors.New("malformed query parameters")
	}
	for k, v := range values {
		out[canonicalKeyword(k)] = v[len(v)-1]
	}
	if out["ssl"] == "true" && out["sslmode"] == "" {
		out["sslmode"] = "require"
	}
	return out, nil
}

// keywordSettings reads `key=value key='quoted \' value'` pairs the way libpq does.
func keywordSettings(s string) (map[string]string, error) {
	out := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t\n\r\v\f")
		if s == "" {
			return out, nil
		}
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return nil, errors.New("expected key=value")
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t\n\r\v\f")
		var value strings.Builder
		quoted := strings.HasPrefix(s, "'")
		if quoted {
			s = s[1:]
		}
		i := 0
		for ; i < len(s); i++ {
			ch := s[i]
			if quoted && ch == '\'' {
				i++
				break
			}
			if !quoted && strings.IndexByte(" \t\n\r\v\f", ch) >= 0 {
				break
			}
			if ch == '\\' && i+1 < len(s) {
				i++
				ch = s[i]
			}
			value.WriteByte(ch)
		}
		s = s[i:]
		out[canonicalKeyword(key)] = value.String()
	}
}

func canonicalKeyword(k string) string {
	if k == "database" {
		return "dbname"
	}
	return k
}

// describeParseError names what is wrong with a connection string without quoting it: the
// string may hold a password, and pgx can only mask it on a best-effort basis.
func describeParseError(err error) string {
	var parseErr *pgconn.ParseConfigError
	if !errors.As(err, &parseErr) || parseErr.Unwrap() == nil {
		return "unreadable"
	}
	inner := parseErr.Unwrap()
	var urlErr *url.Error
	if errors.As(inner, &urlErr) {
		inner = urlErr.Err
	}
	msg := inner.Error()
	if strings.Contains(msg, "@") || strings.Contains(msg, "password") {
		return "unreadable"
	}
	return msg
}

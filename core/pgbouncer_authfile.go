package core

import (
	"fmt"
	"os"
	"strings"
)

// readAuthFile reads PgBouncer's auth_file: `"user" "secret"` per line, a quote doubled,
// ';' starting a comment. The secrets never leave this file's checks.
func readAuthFile(path string) (map[string]string, error) {
	if path == "" {
		return nil, fmt.Errorf("PgBouncer has no auth_file")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == ';' {
			continue
		}
		user, rest, ok := authFileField(line)
		if !ok {
			continue
		}
		if secret, _, ok := authFileField(strings.TrimSpace(rest)); ok {
			out[user] = secret
		}
	}
	return out, nil
}

func authFileField(s string) (field, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '"' {
			b.WriteByte(s[i])
		} else if i+1 < len(s) && s[i+1] == '"' {
			b.WriteByte('"')
			i++
		} else {
			return b.String(), s[i+1:], true
		}
	}
	return "", "", false
}

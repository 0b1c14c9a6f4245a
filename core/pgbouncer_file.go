package core

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// The file pghandoff owns is a fragment of PgBouncer's configuration that the main one
// %includes. It starts with its own [databases] header, so that its entries are databases
// wherever the include line sits; the main configuration should include it at the end of
// its [databases] section or at the end of the file (whatever follows the include line is
// read as [databases] too). PgBouncer reads the include path as written, relative to its
// working directory, so the include line must give an absolute path.

const bouncerFileHeader = "# Written by pghandoff: the database entries it switches between servers.\n" +
	"# It holds passwords: keep it readable by PgBouncer alone.\n[databases]\n"

// ReadBouncerFile reads the database entries of a PgBouncer configuration file. A file that
// does not exist has none. Passwords are read too: never show the result's Password.
func ReadBouncerFile(path string) ([]BouncerEntry, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read PgBouncer file: %w", err)
	}
	var out []BouncerEntry
	for i, line := range strings.Split(string(data), "\n") {
		name, value, ok, err := iniLine(line)
		if err != nil {
			return nil, fmt.Errorf("read PgBouncer file %s line %d: %w", path, i+1, err)
		}
		if !ok {
			continue
		}
		e, err := parseBouncerEntry(name, value)
		if err != nil {
			return nil, fmt.Errorf("read PgBouncer file %s line %d: %w", path, i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

// WriteBouncerEntry writes e into the file at path, atomically: the entry of the same name
// is replaced (its other keywords kept unless e sets them), the file's other lines are kept
// as they are, and a file that does not exist is created with mode 0600. PgBouncer reads the
// file only on RELOAD, and then sees the old file or the new one, never a part of either.
func WriteBouncerEntry(path string, e BouncerEntry) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("read PgBouncer file: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(data) == 0 {
		lines = strings.Split(strings.TrimSuffix(bouncerFileHeader, "\n"), "\n")
	}
	replaced := false
	for i, l := range lines {
		name, value, ok, _ := iniLine(l)
		if !ok || name != e.Name {
			continue
		}
		if old, err := parseBouncerEntry(name, value); err == nil {
			e.Extra = mergeExtra(old.Extra, e.Extra)
		}
		if lines[i], err = e.line(); err != nil {
			return err
		}
		replaced = true
	}
	if !replaced {
		line, err := e.line()
		if err != nil {
			return err
		}
		lines = append(lines, line)
	}
	return writeFileAtomic(path, []byte(strings.Join(lines, "\n")+"\n"))
}

// iniLine reads one line of PgBouncer's ini format (libusual's cfparser): `key = value`,
// the key bare or between single quotes, the value the rest of the line. Comments, section
// headers and blank lines report ok false; an %include in pghandoff's file is an error.
func iniLine(line string) (key, value string, ok bool, err error) {
	line = strings.TrimSpace(line)
	switch {
	case line == "", line[0] == '#', line[0] == ';', line[0] == '[':
		return "", "", false, nil
	case strings.HasPrefix(line, "%include"):
		return "", "", false, errors.New("pghandoff's file must not %include others")
	case line[0] == '\'':
		end := strings.IndexByte(line[1:], '\'')
		if end < 1 {
			return "", "", false, errors.New("unterminated quoted name")
		}
		key, line = line[1:end+1], line[end+2:]
	default:
		end := strings.IndexFunc(line, func(r rune) bool { return !strings.ContainsRune("_.-*", r) && !isAlnum(r) })
		if end < 0 {
			return "", "", false, errors.New("expected name = connection string")
		}
		key, line = line[:end], line[end:]
	}
	rest := strings.TrimLeft(line, " \t")
	if !strings.HasPrefix(rest, "=") {
		return "", "", false, fmt.Errorf("expected = after %q", key)
	}
	return key, strings.TrimSpace(rest[1:]), true, nil
}

func isAlnum(r rune) bool {
	return (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// parseBouncerEntry reads an entry's connection string the way PgBouncer does (src/loader.c
// cstr_get_pair): pairs separated by spaces, a value bare up to the next space or between
// single quotes with a quote doubled; no backslash escapes.
func parseBouncerEntry(name, connstr string) (BouncerEntry, error) {
	e := BouncerEntry{Name: name, Port: 5432, DBName: name, Extra: map[string]string{}}
	s := connstr
	for {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		end := strings.IndexAny(s, "= ")
		if end <= 0 {
			return e, fmt.Errorf("entry %s: expected keyword=value", name)
		}
		key, after := s[:end], strings.TrimLeft(s[end:], " ")
		if !strings.HasPrefix(after, "=") {
			return e, fmt.Errorf("entry %s: expected = after %s", name, key)
		}
		value, rest, err := cstrValue(strings.TrimLeft(after[1:], " "))
		if err != nil {
			return e, fmt.Errorf("entry %s, keyword %s: %w", name, key, err)
		}
		s = rest
		if err := e.set(key, value); err != nil {
			return e, err
		}
	}
	return e, nil
}

func cstrValue(s string) (value, rest string, err error) {
	if !strings.HasPrefix(s, "'") {
		end := strings.IndexByte(s, ' ')
		if end < 0 {
			end = len(s)
		}
		if end == 0 {
			return "", "", errors.New("empty value")
		}
		return s[:end], s[end:], nil
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", errors.New("unterminated quoted value")
}

func (e *BouncerEntry) set(key, value string) error {
	switch key {
	case "host":
		e.Host = value
	case "port":
		e.Port = atoi(value)
		if e.Port == 0 {
			return fmt.Errorf("entry %s: invalid port", e.Name)
		}
	case "dbname":
		e.DBName = value
	case "user":
		e.User = value
	case "password":
		e.Password = value
	default:
		e.Extra[key] = value
	}
	return nil
}

// mergeExtra keeps the old entry's other keywords, overridden by the new entry's.
func mergeExtra(old, new map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range old {
		out[k] = v
	}
	for k, v := range new {
		out[k] = v
	}
	return out
}

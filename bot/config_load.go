package bot

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ConfigError is a bad setting: where it is and what is wrong with it.
type ConfigError struct {
	File string
	Line int // 0 when the setting is missing altogether
	Path string
	Msg  string
}

func (e *ConfigError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if e.Path != "" {
		return fmt.Sprintf("%s: %s: %s", where, e.Path, e.Msg)
	}
	return fmt.Sprintf("%s: %s", where, e.Msg)
}

// LoadConfig reads and checks a config file. Errors give the file, the line and the reason.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bot config: %w", err)
	}
	return ParseConfig(path, data)
}

// ParseConfig parses a config file's content; file names it in errors.
func ParseConfig(file string, data []byte) (*Config, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ConfigError{File: file, Msg: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	if len(root.Content) == 0 {
		return nil, &ConfigError{File: file, Msg: "the file is empty"}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var cfg Config
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, decodeError(file, err)
	}
	cfg.root, cfg.file = &root, file
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// decodeError turns the YAML library's "line N: reason" messages into a ConfigError.
func decodeError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if v, err := strconv.Atoi(n); err == nil {
				line, msg = v, after
			}
		}
	}
	msg = strings.ReplaceAll(msg, "in type bot.", "in ")
	return &ConfigError{File: file, Line: line, Msg: msg}
}

// UnmarshalYAML reads "15m"-style durations.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil || v < 0 {
		return fmt.Errorf("line %d: %q is not a duration: write it like 90s, 15m or 2h", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// UnmarshalYAML refuses a secret written in the file, without repeating it.
func (s *SecretRef) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a connection string is never written in the config: give {env: VARIABLE} or {file: PATH}", n.Line)
	}
	type plain SecretRef
	var p plain
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if v.Kind != yaml.ScalarNode {
			return fmt.Errorf("line %d: %s must be a string", v.Line, k.Value)
		}
		switch k.Value {
		case "env":
			p.Env = v.Value
		case "file":
			p.File = v.Value
		default:
			return fmt.Errorf("line %d: unknown key %q: give env or file", k.Line, k.Value)
		}
	}
	*s = SecretRef(p)
	return nil
}

// IsZero reports whether no secret was named.
func (s SecretRef) IsZero() bool { return s.Env == "" && s.File == "" }

// lineOf finds the line of the setting at path (mapping keys and sequence indexes), or of
// its nearest parent that exists.
func (c *Config) lineOf(path ...string) int {
	node, line := c.root, 0
	if node != nil && node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	for _, key := range path {
		next := child(node, key)
		if next == nil {
			return line
		}
		node, line = next, next.Line
	}
	return line
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				return n.Content[i+1]
			}
		}
	case yaml.SequenceNode:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(n.Content) {
			return n.Content[i]
		}
	}
	return nil
}

// errAt builds a ConfigError for the setting at path.
func (c *Config) errAt(msg string, path ...string) error {
	return &ConfigError{File: c.file, Line: c.lineOf(path...), Path: strings.Join(path, "."), Msg: msg}
}

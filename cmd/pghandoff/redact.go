package main

import (
	"io"
	"sort"
	"strings"
	"sync"
)

// redactor masks every secret it has been told about in everything written through it: the
// last line of defence behind core's own care, so that no password reaches a terminal or a
// CI log even if some library quotes a connection string.
type redactor struct {
	mu      sync.Mutex
	secrets []string
}

const mask = "********"

// add registers secrets; the longest are masked first, so no fragment of one survives.
func (r *redactor) add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) >= 3 {
			r.secrets = append(r.secrets, s)
		}
	}
	sort.Slice(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

func (r *redactor) redact(s string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, mask)
	}
	return s
}

func (r *redactor) wrap(w io.Writer) io.Writer { return &redactingWriter{r: r, w: w} }

type redactingWriter struct {
	r *redactor
	w io.Writer
}

func (w *redactingWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

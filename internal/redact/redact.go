// Package redact removes secrets from text on its way out: the last line of defence behind
// the care core takes, so that no password reaches a terminal, a CI log, a Slack message or
// a log line even if some library quotes a connection string. The CLI, the Action and the
// bot all write through it.
package redact

import (
	"encoding/json"
	"io"
	"sort"
	"strings"
	"sync"
)

// DefaultMask replaces each secret.
const DefaultMask = "********"

// minLen is the shortest secret masked: a one- or two-letter password would mask half of
// every message, and hides nothing anyway.
const minLen = 3

// Redactor replaces every secret it has been told about. The zero value masks with
// DefaultMask; a nil *Redactor passes text through.
type Redactor struct {
	mu      sync.RWMutex
	mask    string
	secrets []string // longest first, so that a secret containing another is replaced whole
}

// New returns a Redactor that writes mask in place of each secret.
func New(mask string) *Redactor { return &Redactor{mask: mask} }

// Add registers secrets, and the forms they take inside JSON (Slack blocks, JSON reports).
func (r *Redactor) Add(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		forms := []string{s}
		if q, err := json.Marshal(s); err == nil {
			forms = append(forms, strings.Trim(string(q), `"`))
		}
		for _, f := range forms {
			if len(f) >= minLen && !contains(r.secrets, f) {
				r.secrets = append(r.secrets, f)
			}
		}
	}
	sort.SliceStable(r.secrets, func(i, j int) bool { return len(r.secrets[i]) > len(r.secrets[j]) })
}

// Known reports whether s is a registered secret.
func (r *Redactor) Known(s string) bool {
	if r == nil {
		return false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	return contains(r.secrets, s)
}

// Redact returns s with every secret masked.
func (r *Redactor) Redact(s string) string {
	if r == nil {
		return s
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	mask := r.mask
	if mask == "" {
		mask = DefaultMask
	}
	for _, secret := range r.secrets {
		s = strings.ReplaceAll(s, secret, mask)
	}
	return s
}

// Writer redacts each Write to w. Its callers write whole lines or messages in one call, so a
// secret is never split across two writes.
func (r *Redactor) Writer(w io.Writer) io.Writer { return writer{r: r, w: w} }

type writer struct {
	r *Redactor
	w io.Writer
}

func (w writer) Write(p []byte) (int, error) {
	if _, err := io.WriteString(w.w, w.r.Redact(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

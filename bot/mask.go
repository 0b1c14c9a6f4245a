package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"
)

// masker replaces every known secret in text. Everything the bot sends to Slack or writes
// to its log goes through it, whatever the code that built the text meant to include.
type masker struct{ r *strings.Replacer }

const maskedText = "********"

func newMasker(secrets []string) *masker {
	var all []string
	for _, s := range secrets {
		if len(s) < 4 { // a one-letter password would mask half of every message
			continue
		}
		all = append(all, s)
		if q, err := json.Marshal(s); err == nil { // as it appears inside JSON (blocks)
			all = append(all, strings.Trim(string(q), `"`))
		}
	}
	// Longest first, so a whole connection string is masked before its password.
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	pairs := make([]string, 0, 2*len(all))
	for _, s := range all {
		pairs = append(pairs, s, maskedText)
	}
	return &masker{r: strings.NewReplacer(pairs...)}
}

func (m *masker) mask(s string) string {
	if m == nil || m.r == nil {
		return s
	}
	return m.r.Replace(s)
}

// maskHandler masks secrets in log messages and string attributes.
type maskHandler struct {
	next slog.Handler
	m    *masker
}

func (h maskHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

func (h maskHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.m.mask(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.maskAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h maskHandler) maskAttr(a slog.Attr) slog.Attr {
	switch a.Value.Kind() {
	case slog.KindGroup:
		attrs := a.Value.Group()
		masked := make([]any, len(attrs))
		for i, g := range attrs {
			masked[i] = h.maskAttr(g)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindString:
		return slog.String(a.Key, h.m.mask(a.Value.String()))
	default:
		if a.Value.Kind() == slog.KindAny {
			if err, ok := a.Value.Any().(error); ok {
				return slog.String(a.Key, h.m.mask(err.Error()))
			}
		}
		return a
	}
}

func (h maskHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		masked[i] = h.maskAttr(a)
	}
	return maskHandler{next: h.next.WithAttrs(masked), m: h.m}
}

func (h maskHandler) WithGroup(name string) slog.Handler {
	return maskHandler{next: h.next.WithGroup(name), m: h.m}
}

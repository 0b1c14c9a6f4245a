package core

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// byteUnits are multiples of 1024, whatever the spelling: lag thresholds are WAL sizes, and
// PostgreSQL counts those in binary units.
var byteUnits = map[string]int64{"": 1, "b": 1, "kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20,
	"mib": 1 << 20, "gb": 1 << 30, "gib": 1 << 30, "tb": 1 << 40, "tib": 1 << 40}

// ParseBytes reads a byte count as people write one: 1048576, 512kB, 16MB, 1GiB.
func ParseBytes(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(s)
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	unit, ok := byteUnits[strings.TrimSpace(s[i:])]
	if err != nil || !ok || n > (1<<62)/unit {
		return 0, fmt.Errorf("%q is not a size: use a number of bytes, optionally with a unit, e.g. 1048576, 512kB or 16MB", v)
	}
	return n * unit, nil
}

// FormatBytes writes a byte count for people, in the units ParseBytes reads: 1.5 MiB.
func FormatBytes(n int64) string {
	const unit = 1024
	if n < unit && n > -unit {
		return fmt.Sprintf("%d B", n)
	}
	v, suffix := float64(n), "KMGTPE"
	i := -1
	for (v >= unit || v <= -unit) && i < len(suffix)-1 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, suffix[i])
}

// FormatBytesExact writes a byte count in the largest binary unit that divides it, exactly,
// in a form ParseBytes reads back: 1MiB, 512kiB, 1000.
func FormatBytesExact(n int64) string {
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"kiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// FormatDuration writes d as people write one in a config file: 5m rather than 5m0s.
func FormatDuration(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

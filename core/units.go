package core

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultMargin is how many values cutover moves each sequence past the old primary's, for
// writers that reach the old primary without the proxy. Every front end offers it as its
// default.
const DefaultMargin int64 = 1000

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

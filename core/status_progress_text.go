package core

import (
	"fmt"
	"strings"
	"time"
)

// Plain words for the copy's and the index builds' progress, the same in every front end.

// String says how far a copy is: "312.0 MiB of 1.2 GiB (26%), 45.0 MiB/s, about 20s left".
func (p *CopyProgress) String() string {
	if p == nil {
		return ""
	}
	s := fmt.Sprintf("%s of %s", FormatBytes(p.BytesDone), FormatBytes(p.BytesTotal))
	if p.BytesTotal > 0 {
		s += fmt.Sprintf(" (%.0f%%)", 100*float64(p.BytesDone)/float64(p.BytesTotal))
	}
	if p.BytesPerSecond != nil {
		s += fmt.Sprintf(", %s/s", FormatBytes(int64(*p.BytesPerSecond)))
	}
	if p.ETASeconds != nil {
		s += ", about " + (time.Duration(*p.ETASeconds) * time.Second).Round(time.Second).String() + " left"
	}
	return s
}

// String says what a build is at: `"by customer" on "Billing"."Order" (scanning table, 40%)`.
func (b IndexBuild) String() string {
	name := b.Index
	if name == "" {
		name = "an index"
	}
	s := fmt.Sprintf("%s on %s (%s", name, b.Table, strings.TrimPrefix(b.Phase, "building index: "))
	if b.Percent != nil {
		s += fmt.Sprintf(", %.0f%%", *b.Percent)
	}
	return s + ")"
}

// String says where the deferred indexes stand: "3 of 8 built; building ...".
func (s *IndexesStatus) String() string {
	if s == nil {
		return ""
	}
	out := fmt.Sprintf("%d of %d built", s.Built, s.Deferred)
	if len(s.Building) > 0 {
		builds := make([]string, len(s.Building))
		for i, b := range s.Building {
			builds[i] = b.String()
		}
		out += "; building " + strings.Join(builds, ", ")
	}
	if len(s.Failed) > 0 {
		out += fmt.Sprintf("; %d failed", len(s.Failed))
	}
	return out
}

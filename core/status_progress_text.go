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

// Progress says where one table's copy or index builds are, "" when neither is under way:
// "12.0 MiB of 40.0 MiB (30%)", "building ...", "2 indexes or constraints to build".
func (t TableState) Progress() string {
	switch {
	case t.Copy != nil:
		return t.Copy.String()
	case len(t.Building) > 0:
		return "building " + t.Building[0].String()
	case t.IndexesPending > 0:
		return fmt.Sprintf("%d index(es) or constraint(s) to build", t.IndexesPending)
	}
	return ""
}

// Milestone is what a progress log counts as a change: the verdict, the tables' states, the
// indexes built and building, and the first reason without its figures; not each new byte
// count, which a line rewritten in place shows instead.
func (st *Status) Milestone() string {
	states := make([]string, 0, len(st.Tables))
	for _, t := range st.Tables {
		states = append(states, t.State)
	}
	built, building := 0, []string{}
	if st.Indexes != nil {
		built = st.Indexes.Built
		for _, b := range st.Indexes.Building {
			building = append(building, b.Index)
		}
	}
	reason := ""
	if len(st.Reasons) > 0 {
		reason = strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return -1
			}
			return r
		}, st.Reasons[0])
	}
	return fmt.Sprintf("%s|%s|%d|%s|%s", st.State, strings.Join(states, ","), built, strings.Join(building, ","), reason)
}

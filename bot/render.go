package bot

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/slack-go/slack"
)

// sectionBlocks is text as one or more mrkdwn sections (Slack allows 3000 characters each).
func sectionBlocks(text string) []slack.Block {
	var out []slack.Block
	for len(text) > 0 {
		n := min(len(text), 2900)
		out = append(out, slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text[:n], false, false), nil, nil))
		text = text[n:]
	}
	return out
}

// slackTime shows a time in each reader's own time zone, with a UTC fallback.
func slackTime(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

func humanDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}

var verdicts = map[string]string{
	core.StateReady:      ":large_green_circle: ready",
	core.StateCatchingUp: ":large_yellow_circle: catching up",
	core.StateBroken:     ":red_circle: broken",
	core.StateNotSetUp:   ":white_circle: not set up",
}

// statusText renders a status report: verdict, lag, tables, slot safety, trend and ETA.
func statusText(key string, st *core.Status, trend []sample) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%s*: %s\n", key, verdicts[st.State])
	if st.State == core.StateNotSetUp {
		b.WriteString(strings.Join(st.Reasons, "\n"))
		return b.String()
	}
	lag := "unknown"
	if st.LagBytes != nil {
		lag = fmt.Sprintf("%s (%d bytes)", core.FormatBytes(*st.LagBytes), *st.LagBytes)
	}
	if st.LagSeconds != nil {
		lag += fmt.Sprintf(", %s behind", humanDuration(time.Duration(*st.LagSeconds*float64(time.Second))))
	}
	if st.Phase != "" && st.Phase != core.PhaseReplicating {
		fmt.Fprintf(&b, "• Phase: %s since %s\n", st.Phase, slackTime(st.PhaseAt))
	}
	if st.Direction != "" {
		fmt.Fprintf(&b, "• Replication: %s\n", st.Direction)
	}
	fmt.Fprintf(&b, "• Lag: %s\n", lag)
	if st.SentinelMS != nil {
		fmt.Fprintf(&b, "• Sentinel round trip: %.0f ms\n", *st.SentinelMS)
	}
	b.WriteString("• Tables: " + tablesLine(st) + "\n")
	writeProgress(&b, st)
	b.WriteString("• Slot: " + slotLine(st) + "\n")
	b.WriteString(schemaLine(key, st.Schema))
	if spark := sparkline(trend); spark != "" {
		fmt.Fprintf(&b, "• Trend (last %d checks): `%s`\n", len(trend), spark)
	}
	fmt.Fprintf(&b, "• ETA: %s\n", eta(st, trend))
	if age := sharedAge(st.CheckedAt); age != "" {
		fmt.Fprintf(&b, "• Checked %s ago: a recent check, shared with other requests\n", age)
	}
	for _, r := range st.Reasons {
		b.WriteString("> " + r + "\n")
	}
	for _, w := range st.Warnings {
		b.WriteString(":warning: " + w + "\n")
	}
	return b.String()
}

// sharedAge says how old a shared answer is, when it is old enough to matter; "" otherwise.
func sharedAge(at time.Time) string {
	age := time.Since(at)
	if at.IsZero() || age < time.Second {
		return ""
	}
	return humanDuration(age.Round(time.Second))
}

// ageNote is sharedAge in parentheses, to end a line.
func ageNote(at time.Time) string {
	if age := sharedAge(at); age != "" {
		return " (checked " + age + " ago, shared with other requests)"
	}
	return ""
}

func tablesLine(st *core.Status) string {
	ready := st.TableCounts["ready"]
	line := fmt.Sprintf("%d of %d ready", ready, len(st.Tables))
	if sub := st.Subscription; sub != nil && sub.Copying > 0 {
		line += fmt.Sprintf(", copying %d at once (at most %d)", sub.Copying, sub.MaxCopying)
	}
	var waiting []string
	for _, t := range st.Tables {
		if t.State == "ready" {
			continue
		}
		if p := t.Progress(); p != "" {
			waiting = append(waiting, fmt.Sprintf("%s (%s: %s)", t.TableName, t.State, p))
		} else {
			waiting = append(waiting, fmt.Sprintf("%s (%s)", t.TableName, t.State))
		}
	}
	if len(waiting) > 0 {
		more := ""
		if len(waiting) > 10 {
			more = fmt.Sprintf(" and %d more", len(waiting)-10)
			waiting = waiting[:10]
		}
		line += "; not ready: " + strings.Join(waiting, ", ") + more
	}
	return line
}

func slotLine(st *core.Status) string {
	if st.Slot == nil {
		return "missing"
	}
	s := st.Slot
	icon := ":white_check_mark:"
	if !s.Safe() {
		icon = ":rotating_light:"
	}
	line := fmt.Sprintf("%s WAL %s", icon, s.WALStatus)
	if s.SafeWALSizeBytes != nil {
		line += fmt.Sprintf(", %s more WAL before the slot is at risk", core.FormatBytes(*s.SafeWALSizeBytes))
	}
	if !s.Active {
		line += ", not active"
	}
	return line
}

// sparkline draws the lag samples as block characters, scaled to their maximum.
func sparkline(trend []sample) string {
	bars := []rune("▁▂▃▄▅▆▇█")
	var vals []int64
	for _, s := range trend {
		if s.LagBytes != nil {
			vals = append(vals, *s.LagBytes)
		}
	}
	if len(vals) < 2 {
		return ""
	}
	var top int64
	for _, v := range vals {
		top = max(top, v)
	}
	out := make([]rune, len(vals))
	for i, v := range vals {
		idx := 0
		if top > 0 {
			idx = int(math.Round(float64(v) / float64(top) * float64(len(bars)-1)))
		}
		out[i] = bars[idx]
	}
	return string(out)
}

// eta estimates when the lag reaches the ready threshold, from how fast it fell over the
// recent samples.
func eta(st *core.Status, trend []sample) string {
	switch {
	case st.Ready:
		return "ready now"
	case st.State == core.StateBroken:
		return "none: replication needs attention first"
	case st.Copy != nil && st.Copy.ETASeconds != nil:
		return "the initial copy ends in about " + humanDuration(time.Duration(*st.Copy.ETASeconds)*time.Second) + ", then its indexes are built"
	case st.Subscription != nil && st.TableCounts["ready"]+st.TableCounts[core.TableIndexing] < len(st.Tables):
		return "after the initial copy finishes"
	case st.Indexes.Pending() > 0:
		return "once the indexes left for after the copy are built"
	case st.LagBytes == nil:
		return "unknown"
	}
	first, last, ok := trendEnds(trend)
	if !ok || !last.At.After(first.At) {
		return "unknown (not enough history yet)"
	}
	rate := float64(*first.LagBytes-*last.LagBytes) / last.At.Sub(first.At).Seconds() // bytes/s caught up
	if rate <= 0 {
		return "not converging: lag is not falling"
	}
	remaining := float64(*st.LagBytes - st.MaxLagBytes)
	if remaining <= 0 {
		return "any moment"
	}
	return "about " + humanDuration(time.Duration(remaining/rate*float64(time.Second)))
}

func trendEnds(trend []sample) (first, last sample, ok bool) {
	var with []sample
	for _, s := range trend {
		if s.LagBytes != nil {
			with = append(with, s)
		}
	}
	if len(with) < 2 {
		return sample{}, sample{}, false
	}
	return with[0], with[len(with)-1], true
}

package bot

import (
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// writeDefinitions says how the tables' indexes and constraints compare on both servers.
func writeDefinitions(b *strings.Builder, d *core.DefinitionCheck) {
	if d == nil {
		return
	}
	if len(d.Differences) == 0 {
		fmt.Fprintf(b, "\nIndexes and constraints: the same on both servers (%d).", d.Objects)
		return
	}
	fmt.Fprintf(b, "\nIndexes and constraints that differ (%d of %d; `wait` builds those setup left for after the copy):", len(d.Differences), d.Objects)
	lines := make([]string, len(d.Differences))
	for i, diff := range d.Differences {
		lines[i] = diff.String()
	}
	writeCapped(b, lines)
}

// writeCapped writes lines as bullets, at most 20 of them: a Slack message stays readable.
func writeCapped(b *strings.Builder, lines []string) {
	for i, l := range lines {
		if i == 20 {
			fmt.Fprintf(b, "\n… and %d more", len(lines)-i)
			break
		}
		b.WriteString("\n• " + l)
	}
}

// writeProgress adds the initial copy in bytes and the deferred indexes to a status report.
func writeProgress(b *strings.Builder, st *core.Status) {
	if st.Copy != nil {
		b.WriteString("• Initial copy: " + st.Copy.String() + "\n")
	}
	ix := st.Indexes
	if ix == nil {
		return
	}
	line := "• Indexes left for after the copy: " + ix.String()
	if ix.Pending() > 0 {
		if ix.Builder != nil {
			line += "; built by " + ix.Builder.String()
		} else {
			line += "; nobody builds them now: `wait` does"
		}
	}
	b.WriteString(line + "\n")
	for _, f := range ix.Failed {
		fmt.Fprintf(b, ":warning: building %s %s on %s failed (%d attempts): %s\n", f.Kind, f.Object, f.Table, f.Attempts, f.Error)
	}
}

package main

import (
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/pghandoff/pghandoff/core"
)

// progressLine is one line per check: the verdict, lag, table counts, the copy in bytes and
// the deferred indexes.
func progressLine(st *core.Status) string {
	lag := "?"
	if st.LagBytes != nil {
		lag = core.FormatBytes(*st.LagBytes)
	}
	line := fmt.Sprintf("%s  %-12s lag %-10s tables %s", st.CheckedAt.Format("15:04:05"), st.State, lag, tableCounts(st.TableCounts))
	if sub := st.Subscription; sub != nil && sub.Copying > 0 {
		line += fmt.Sprintf(", copying %d at once (at most %d)", sub.Copying, sub.MaxCopying)
	}
	if st.Copy != nil {
		line += "  copied " + st.Copy.String()
	}
	if st.Indexes.Pending() > 0 {
		line += "  indexes " + st.Indexes.String()
	}
	if !st.Ready && len(st.Reasons) > 0 {
		line += "  (" + st.Reasons[0] + ")"
	}
	return line
}

// progressPrinter shows wait's progress: on a terminal, one line rewritten in place at every
// check; otherwise (a log, a CI job) a line each time the state changes, not at every new
// byte count.
type progressPrinter struct {
	w    io.Writer
	live *os.File // the terminal, when there is one
	last string
}

func newProgressPrinter(w, raw io.Writer) *progressPrinter {
	p := &progressPrinter{w: w}
	if f, ok := raw.(*os.File); ok {
		if info, err := f.Stat(); err == nil && info.Mode()&os.ModeCharDevice != 0 {
			p.live = f
		}
	}
	return p
}

func (p *progressPrinter) show(st *core.Status) {
	if p.live != nil {
		fmt.Fprintf(p.w, "\r\033[K%s", fitWidth(progressLine(st), p.live))
		return
	}
	if key := st.Milestone(); key != p.last {
		fmt.Fprintln(p.w, progressLine(st))
		p.last = key
	}
}

// end finishes the live line.
func (p *progressPrinter) end() {
	if p.live != nil {
		fmt.Fprintln(p.w)
	}
}

// fitWidth cuts line to the terminal's width: a line that wraps could not be rewritten in
// place.
func fitWidth(line string, term *os.File) string {
	ws, err := unix.IoctlGetWinsize(int(term.Fd()), unix.TIOCGWINSZ)
	runes := []rune(line)
	if err != nil || ws.Col < 10 || len(runes) < int(ws.Col) {
		return line
	}
	return string(runes[:ws.Col-2]) + "…"
}

func jobsFlag(cmd *cobra.Command, p *int) {
	cmd.Flags().IntVar(p, "jobs", core.DefaultJobs, "how many of the indexes and constraints left for after the copy to build at once on the replica (fewer when its shared_buffers do not hold that many maintenance_work_mem)")
}

// copyByWorkersFlag is setup's and preflight's switch that leaves every table's copy to the
// replica's sync workers.
func copyByWorkersFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "copy-by-workers", false, "leave every table's copy to the replica's sync workers (default: setup copies the small tables itself, from one snapshot)")
}

func indexesFirstFlag(cmd *cobra.Command, p *bool) {
	cmd.Flags().BoolVar(p, "indexes-first", false, "import every index and constraint before the copy, as pghandoff did before (slower); by default the secondary ones are built after each table's copy, by wait")
}

// renderIndexes prints where the deferred indexes stand, and each failure.
func renderIndexes(w io.Writer, ix *core.IndexesStatus) {
	if ix == nil {
		return
	}
	builder := "none (run pghandoff wait to build them)"
	if ix.Builder != nil {
		builder = ix.Builder.String()
	}
	fmt.Fprintf(w, "  indexes          %s (deferred to after the copy)\n", ix)
	if ix.Pending() > 0 {
		fmt.Fprintf(w, "  builder          %s\n", builder)
	}
	for _, f := range ix.Failed {
		fmt.Fprintf(w, "  FAILED           %s %s on %s (%d attempt(s)): %s\n", f.Kind, f.Object, f.Table, f.Attempts, f.Error)
	}
}

package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// job is one run of one command: its parameters and where it reports.
type job struct {
	p        *params
	w        *workflow
	logger   *slog.Logger
	watchdog func() *exec.Cmd
}

// execution is how core runs a command that changes a server.
func (j *job) execution() core.Execution {
	return core.Execution{DryRun: j.p.dryRun, Timeouts: j.p.timeouts, Observer: j.observer()}
}

// observer sends core's progress to the log, one line per event.
func (j *job) observer() core.Observer {
	return core.Observer{Logger: j.logger, Progress: func(e core.Event) {
		prefix := ""
		if e.Server != "" {
			prefix = "[" + e.Server + "] "
		}
		if e.Warning {
			prefix += "warning: "
		}
		j.w.infof("%s%s", prefix, e.Message)
	}}
}

func (j *job) migrationName() string {
	if j.p.m.Name == "" {
		return core.DefaultName
	}
	return j.p.m.Name
}

// execute runs the command inside a log group, then reports: outputs, the step summary,
// annotations, and the exit code.
func (j *job) execute(ctx context.Context, cmd *command) int {
	title := fmt.Sprintf("pghandoff %s, migration %s", cmd.name, j.migrationName())
	if j.p.dryRun {
		title += " (dry run: nothing will change)"
	}
	j.w.group(title)
	out, err := cmd.run(ctx, j)
	j.w.endGroup()
	if out == nil {
		out = &outcome{icon: iconFailed, headline: "failed"}
	}
	if err != nil && out.icon != iconFailed {
		out.icon = iconFailed
	}
	j.report(cmd, out, err)
	if err != nil || out.fail || len(j.w.failures) > 0 {
		return ExitFailed
	}
	return ExitOK
}

// report writes the outcome everywhere a workflow looks: the log, outputs, the summary, and
// annotations for warnings and the error.
func (j *job) report(cmd *command, out *outcome, err error) {
	j.w.infof("%s %s: %s", out.icon, cmd.name, out.headline)
	if out.notice != "" {
		j.w.noticef("pghandoff "+cmd.name, "%s", out.notice)
	}
	for _, o := range out.outputs {
		j.w.setOutput(o.name, o.value)
	}
	j.w.setOutput(outReport, reportJSON(out.report))
	if err != nil {
		j.w.setOutput(outError, errorText(err))
	}
	for i, msg := range out.warnings {
		if i == maxWarningAnnotations {
			j.w.warningf("More warnings", "%d more warnings: see the step summary", len(out.warnings)-i)
			break
		}
		j.w.warningf("pghandoff "+cmd.name, "%s", msg)
	}
	for i, msg := range out.problems {
		if i == maxWarningAnnotations {
			j.w.errorf("More problems", "%d more: see the step summary", len(out.problems)-i)
			break
		}
		j.w.errorf("pghandoff "+cmd.name, "%s", msg)
	}
	if err != nil {
		j.w.errorf(errorTitle(cmd, err), "%s", errorText(err))
	}
	j.w.summary(j.summary(cmd, out, err))
}

// maxWarningAnnotations: the runner shows only ten annotations of a kind per step.
const maxWarningAnnotations = 8

func errorTitle(cmd *command, err error) string {
	switch {
	case errors.Is(err, core.ErrLocked):
		return "pghandoff " + cmd.name + ": migration locked"
	case errors.Is(err, core.ErrRefused):
		return "pghandoff " + cmd.name + ": refused"
	case errors.Is(err, core.ErrNotReady):
		return "pghandoff " + cmd.name + ": not ready"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "pghandoff " + cmd.name + ": cancelled"
	}
	return "pghandoff " + cmd.name + " failed"
}

// errorText is the error and, on the next line, what to do about it.
func errorText(err error) string {
	msg := err.Error()
	if h := hint(err); h != "" {
		msg += "\nTry: " + h
	}
	return msg
}

// reportJSON is the core result as one line of JSON; "null" when there is none.
func reportJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	if len(b) > maxReport {
		b, _ = json.Marshal(map[string]string{"error": fmt.Sprintf("report of %d bytes left out: too large for a step output; see the step summary", len(b))})
	}
	return string(b)
}

// maxReport keeps the report well inside the runner's limits on outputs.
const maxReport = 512 << 10

// reportInputErrors fails the step before any database is touched: one annotation per
// input, and a summary listing them.
func reportInputErrors(w *workflow, errs []error) {
	var lines []string
	for _, err := range errs {
		title := "Invalid input"
		var ie *inputError
		if errors.As(err, &ie) {
			title = "Invalid input " + ie.input
		}
		w.errorf(title, "%s", err.Error())
		lines = append(lines, err.Error())
	}
	w.setOutput(outError, strings.Join(lines, "\n"))
	w.summary("### " + iconFailed + " pghandoff: invalid inputs\n\nNothing was run. Fix these inputs of the step:\n\n" + bullets(lines))
}

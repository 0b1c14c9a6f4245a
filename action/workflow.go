package action

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sethvargo/go-githubactions"

	"github.com/pghandoff/pghandoff/internal/redact"
)

// workflow is the Action's side of the runner: the log with its commands, the output and
// step summary files. It avoids two go-githubactions pitfalls: SetOutput and AddStepSummary
// panic when their file variable is unset (a local run, a misconfigured runner), and
// SetOutput uses a fixed heredoc delimiter, so a value holding it (a table name read from the
// database, say) could forge other outputs. Outputs and the summary are written here instead,
// with a random delimiter, and a missing file only costs a warning.
type workflow struct {
	getenv   func(string) string
	log      *githubactions.Action // writes through the redactor
	masker   *githubactions.Action // writes ::add-mask:: unredacted: the runner needs the secret
	red      *redact.Redactor
	warned   map[string]bool
	failures []error // writing an output or the summary failed
}

func newWorkflow(getenv func(string) string, stdout io.Writer, red *redact.Redactor) *workflow {
	return &workflow{
		getenv: getenv,
		log:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(red.Writer(stdout))),
		masker: githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)),
		red:    red,
		warned: map[string]bool{},
	}
}

// input reads INPUT_<NAME> as the runner sets it: upper case, hyphens kept, trimmed.
func (w *workflow) input(name string) string {
	return w.log.GetInput(name)
}

// mask registers secrets with the runner and with the Action's own redactor. It must run
// before anything else is printed.
func (w *workflow) mask(secrets ...string) {
	for _, s := range secrets {
		if s == "" || w.red.Known(s) {
			continue
		}
		// A mask is matched line by line: register each line of a multi-line secret too.
		w.masker.AddMask(s)
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); line != "" && line != s {
				w.masker.AddMask(line)
			}
		}
		w.red.Add(s)
	}
}

// Log lines. The runner reads any line starting with "::" (after leading spaces) as a
// command, so text that came from a database (a table name, a server message) is kept on one
// line and never allowed to start with "::".
func (w *workflow) infof(format string, args ...any) {
	w.log.Infof("%s", safeLine(fmt.Sprintf(format, args...)))
}

func safeLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\t' {
			return ' '
		}
		return r
	}, s)
	if strings.HasPrefix(strings.TrimLeft(s, " \t"), "::") {
		s = "> " + s
	}
	return s
}

func (w *workflow) group(title string) { w.log.Group(safeLine(title)) }
func (w *workflow) endGroup()          { w.log.EndGroup() }

// Annotations. The library escapes the message and the title for the command syntax.
func (w *workflow) errorf(title, format string, args ...any) {
	w.log.WithFieldsMap(map[string]string{"title": title}).Errorf(format, args...)
}

func (w *workflow) warningf(title, format string, args ...any) {
	w.log.WithFieldsMap(map[string]string{"title": title}).Warningf(format, args...)
}

func (w *workflow) noticef(title, format string, args ...any) {
	w.log.WithFieldsMap(map[string]string{"title": title}).Noticef(format, args...)
}

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// setOutput appends name=value to the GITHUB_OUTPUT file with a delimiter drawn at random
// for this value, as the runner's own toolkit does.
func (w *workflow) setOutput(name, value string) {
	if !outputName.MatchString(name) {
		panic("invalid output name " + name) // names are constants of this package
	}
	value = w.red.Redact(value)
	delim := randomDelimiter()
	for strings.Contains(value, delim) {
		delim = randomDelimiter()
	}
	w.appendFile("GITHUB_OUTPUT", "outputs", fmt.Sprintf("%s<<%s\n%s\n%s\n", name, delim, value, delim))
}

func randomDelimiter() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "ghadelimiter_" + hex.EncodeToString(b)
}

// maxSummary is the runner's limit on one step's summary.
const maxSummary = 1 << 20

// summary appends Markdown to the step summary.
func (w *workflow) summary(markdown string) {
	markdown = w.red.Redact(markdown)
	if len(markdown) > maxSummary-1024 {
		markdown = truncateUTF8(markdown, maxSummary-1024) + "\n\n_(summary cut at the runner's 1 MiB limit: see the `report` output and the log)_\n"
	}
	w.appendFile("GITHUB_STEP_SUMMARY", "step summary", markdown)
}

func (w *workflow) appendFile(variable, what, text string) {
	path := w.getenv(variable)
	if path == "" {
		if !w.warned[variable] {
			w.warned[variable] = true
			w.warningf("No "+what, "%s is not set, so nothing was written to the %s (is this running outside GitHub Actions?)", variable, what)
		}
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		_, err = f.WriteString(text)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		w.failures = append(w.failures, fmt.Errorf("write %s: %w", what, err))
		if !w.warned[variable] {
			w.warned[variable] = true
			w.warningf("Cannot write "+what, "%s: %v", variable, err)
		}
	}
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

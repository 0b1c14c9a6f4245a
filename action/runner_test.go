package action_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/action"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// runner simulates a GitHub Actions runner around one step: INPUT_* variables named as the
// runner names them (upper case, hyphens kept), and the GITHUB_OUTPUT, GITHUB_STEP_SUMMARY
// and GITHUB_ENV files in a temporary directory.
type runner struct {
	t              *testing.T
	dir            string
	env            map[string]string
	stdout, stderr bytes.Buffer
	code           int
}

func newRunner(t *testing.T, inputs map[string]string) *runner {
	t.Helper()
	r := &runner{t: t, dir: t.TempDir(), env: map[string]string{
		"GITHUB_ACTIONS": "true", "CI": "true", "RUNNER_DEBUG": "1",
	}}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV"} {
		path := filepath.Join(r.dir, strings.ToLower(f))
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		r.env[f] = path
	}
	for k, v := range inputs {
		r.env["INPUT_"+strings.ToUpper(k)] = v
	}
	return r
}

// run runs the Action's entry point in-process, as `pghandoff action` does.
func (r *runner) run(timeout time.Duration) int {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r.code = action.Run(ctx, action.Options{
		Getenv: func(k string) string { return r.env[k] },
		Stdout: &r.stdout, Stderr: &r.stderr, Watchdog: pgtest.Watchdog,
	})
	r.t.Logf("pghandoff action (exit %d):\n%s\nstderr:\n%s\nstep summary:\n%s", r.code, r.stdout.String(), r.stderr.String(), r.summary())
	return r.code
}

func (r *runner) file(name string) string {
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		r.t.Fatal(err)
	}
	return string(b)
}

func (r *runner) summary() string { return r.file("github_step_summary") }

// outputs parses GITHUB_OUTPUT as the runner does: name=value lines and name<<DELIMITER
// heredocs. A malformed file fails the test, as it fails the step on a real runner.
func (r *runner) outputs() map[string]string {
	r.t.Helper()
	return parseFileCommands(r.t, r.file("github_output"))
}

func parseFileCommands(t *testing.T, content string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(content, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if line == "" {
			continue
		}
		eq, heredoc := strings.Index(line, "="), strings.Index(line, "<<")
		if heredoc >= 0 && (eq < 0 || heredoc < eq) {
			name, delim := line[:heredoc], line[heredoc+2:]
			var value []string
			for i++; ; i++ {
				if i >= len(lines) {
					t.Fatalf("output %s: delimiter %q never closes:\n%s", name, delim, content)
				}
				if lines[i] == delim {
					break
				}
				value = append(value, lines[i])
			}
			if _, dup := out[name]; dup {
				t.Fatalf("output %s set twice:\n%s", name, content)
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		if eq < 0 {
			t.Fatalf("malformed output line %q", line)
		}
		out[line[:eq]] = line[eq+1:]
	}
	return out
}

// annotation is a workflow command of kind error, warning or notice read back from the log.
type annotation struct{ kind, title, message string }

func (r *runner) annotations(kind string) []annotation {
	var out []annotation
	sc := bufio.NewScanner(strings.NewReader(r.stdout.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " ")
		if !strings.HasPrefix(line, "::"+kind) {
			continue
		}
		cmd, msg, _ := strings.Cut(line[2:], "::")
		a := annotation{kind: kind, message: unescape(msg)}
		if _, props, ok := strings.Cut(cmd, " "); ok {
			for _, p := range strings.Split(props, ",") {
				if k, v, _ := strings.Cut(p, "="); k == "title" {
					a.title = unescape(v)
				}
			}
		}
		out = append(out, a)
	}
	return out
}

var unescaper = strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%")

func unescape(s string) string { return unescaper.Replace(s) }

// logWithoutMasks is stdout less the ::add-mask:: commands, which carry the secrets to the
// runner and which the runner never shows.
func (r *runner) logWithoutMasks() string {
	var b strings.Builder
	for _, line := range strings.Split(r.stdout.String(), "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// masks are the values registered with ::add-mask::, which must all come before any other
// line of the log.
func (r *runner) masks() []string {
	r.t.Helper()
	var out []string
	others := false
	for _, line := range strings.Split(r.stdout.String(), "\n") {
		if m, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			if others {
				r.t.Errorf("mask registered after other output: %q", line)
			}
			out = append(out, unescape(m))
		} else if line != "" {
			others = true
		}
	}
	return out
}

// assertNoSecret fails if any secret appears anywhere the step writes, except in the
// ::add-mask:: commands.
func (r *runner) assertNoSecret(secrets ...string) {
	r.t.Helper()
	places := map[string]string{
		"log": r.logWithoutMasks(), "stderr": r.stderr.String(), "outputs": r.file("github_output"),
		"summary": r.summary(), "env file": r.file("github_env"),
	}
	for _, s := range secrets {
		for where, content := range places {
			if strings.Contains(content, s) {
				r.t.Errorf("secret %q appears in the %s", s, where)
			}
		}
	}
}

// assertMasked checks that each secret of the step's own inputs was registered with the
// runner, before anything else was printed.
func (r *runner) assertMasked(secrets ...string) {
	r.t.Helper()
	masks := r.masks()
	for _, s := range secrets {
		if !slices.Contains(masks, s) {
			r.t.Errorf("secret %q was not masked (masks: %d)", s, len(masks))
		}
	}
}

// expectInputError checks a step failed on one input before doing anything.
func (r *runner) expectInputError(input string) {
	r.t.Helper()
	if r.code != action.ExitFailed {
		r.t.Fatalf("exit code %d, want %d", r.code, action.ExitFailed)
	}
	for _, a := range r.annotations("error") {
		if a.title == "Invalid input "+input && strings.Contains(a.message, input) {
			if !strings.Contains(r.summary(), "invalid inputs") {
				r.t.Errorf("summary does not say the inputs are invalid:\n%s", r.summary())
			}
			if r.outputs()["error"] == "" {
				r.t.Error("no error output")
			}
			return
		}
	}
	r.t.Fatalf("no ::error:: annotation naming input %s in:\n%s", input, r.stdout.String())
}

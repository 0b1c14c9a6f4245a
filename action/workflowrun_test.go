package action_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pghandoff/pghandoff/action"
	"github.com/pghandoff/pghandoff/core"
)

// A workflow run as a GitHub runner would run it: jobs in order with their needs, if:
// conditions and outputs; each job's secrets from its environment; pghandoff steps through
// the Action's entry point with a simulated runner (INPUT_* variables, GITHUB_OUTPUT, the
// step summary); run: steps through bash with GITHUB_OUTPUT and GITHUB_ENV. Only what the
// examples use is supported: anything else fails the test.

type wfFile struct {
	Env map[string]string
	On  struct {
		WorkflowDispatch *struct {
			Inputs map[string]struct {
				Type    string
				Default any
			}
		} `yaml:"workflow_dispatch"`
	}
	Jobs yaml.Node
}

type wfJob struct {
	If          string
	Needs       stringList
	Environment string
	Env         map[string]string
	Outputs     map[string]string
	Steps       []wfStep
}

type wfStep struct {
	ID, Name, If, Uses, Run, Shell string
	With                           map[string]string
	Env                            map[string]string
}

// stringList is a YAML string or list of strings (needs:).
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*l = []string{n.Value}
		return nil
	}
	return n.Decode((*[]string)(l))
}

// workflowRun is one run of a workflow: its dispatch inputs, workflow env overrides, and the
// secrets of each environment (a job without environment gets those of "").
type workflowRun struct {
	t       *testing.T
	path    string
	inputs  map[string]any
	env     map[string]string
	secrets map[string]map[string]string
	jobs    map[string]map[string]any // by job: result, outputs
}

// runWorkflow runs examples/<name> and returns each job's result: success, failure or skipped.
func runWorkflow(t *testing.T, name string, inputs map[string]any, env map[string]string, secrets map[string]map[string]string) map[string]string {
	t.Helper()
	w := &workflowRun{t: t, path: filepath.Join(repoRoot(t), "examples", name), inputs: inputs, env: env, secrets: secrets, jobs: map[string]map[string]any{}}
	b, err := os.ReadFile(w.path)
	if err != nil {
		t.Fatal(err)
	}
	var f wfFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	results := map[string]string{}
	for i := 0; i+1 < len(f.Jobs.Content); i += 2 {
		id := f.Jobs.Content[i].Value
		var job wfJob
		if err := f.Jobs.Content[i+1].Decode(&job); err != nil {
			t.Fatalf("%s: job %s: %v", name, id, err)
		}
		results[id] = w.runJob(&f, id, &job)
		t.Logf("%s: job %s: %s", name, id, results[id])
	}
	return results
}

func (w *workflowRun) dispatchInputs(f *wfFile) map[string]any {
	out := map[string]any{}
	if d := f.On.WorkflowDispatch; d != nil {
		for name, in := range d.Inputs {
			out[name] = in.Default
			if in.Default == nil && in.Type == "string" {
				out[name] = ""
			}
		}
	}
	for k, v := range w.inputs {
		out[k] = v
	}
	return out
}

func (w *workflowRun) runJob(f *wfFile, id string, job *wfJob) string {
	t := w.t
	t.Helper()
	needs, failed := map[string]any{}, false
	for _, n := range job.Needs {
		r, ok := w.jobs[n]
		if !ok {
			t.Fatalf("job %s needs %s, which has not run", id, n)
		}
		needs[n] = r
		failed = failed || r["result"] != "success"
	}
	env := map[string]any{}
	for k, v := range f.Env {
		env[k] = v
	}
	for k, v := range w.env {
		env[k] = v
	}
	secrets := map[string]any{}
	for k, v := range w.secrets[job.Environment] {
		secrets[k] = v
	}
	steps := map[string]any{}
	ctx := &exprContext{failed: failed, contexts: map[string]any{
		"inputs": w.dispatchInputs(f), "needs": needs, "env": env, "secrets": secrets, "steps": steps,
		"vars": map[string]any{}, "github": map[string]any{"event_name": "workflow_dispatch", "ref": "refs/heads/main", "ref_name": "main"},
		"runner": map[string]any{"os": "Linux", "temp": t.TempDir()},
	}}
	if ok, err := ctx.condition(job.If); err != nil {
		t.Fatalf("job %s: if: %v", id, err)
	} else if !ok {
		w.jobs[id] = map[string]any{"result": "skipped", "outputs": map[string]any{}}
		return "skipped"
	}
	for k, v := range job.Env {
		env[k] = w.must(ctx.interpolate(v))
	}
	for i, st := range job.Steps {
		label := fmt.Sprintf("job %s, step %d (%s)", id, i+1, st.Name)
		ok, err := ctx.condition(st.If)
		if err != nil {
			t.Fatalf("%s: if: %v", label, err)
		}
		if !ok {
			t.Logf("%s: skipped", label)
			continue
		}
		stepEnv := map[string]string{}
		for k, v := range env {
			stepEnv[k] = toString(v)
		}
		for k, v := range st.Env {
			stepEnv[k] = w.must(ctx.interpolate(v))
		}
		var outputs map[string]string
		var success bool
		switch {
		case ownAction.MatchString("uses: " + st.Uses):
			outputs, success = w.actionStep(ctx, label, st)
		case st.Run != "":
			outputs, success = w.runStep(ctx, label, st, stepEnv, env)
		default:
			t.Fatalf("%s: this test runner runs pghandoff and run: steps only, not %q", label, st.Uses)
		}
		t.Logf("%s: success %t, outputs %v", label, success, keys(outputs))
		if st.ID != "" {
			out := map[string]any{}
			for k, v := range outputs {
				out[k] = v
			}
			outcome := map[bool]string{true: "success", false: "failure"}[success]
			steps[st.ID] = map[string]any{"outputs": out, "outcome": outcome, "conclusion": outcome}
		}
		ctx.failed = ctx.failed || !success
	}
	outputs := map[string]any{}
	for k, v := range job.Outputs {
		outputs[k] = w.must(ctx.interpolate(v))
	}
	result := map[bool]string{true: "failure", false: "success"}[ctx.failed]
	w.jobs[id] = map[string]any{"result": result, "outputs": outputs}
	return result
}

func (w *workflowRun) must(s string, err error) string {
	w.t.Helper()
	if err != nil {
		w.t.Fatalf("%s: %v", filepath.Base(w.path), err)
	}
	return s
}

// actionStep runs a pghandoff step in-process, as the image runs `pghandoff action`, and
// checks that none of the job's secrets appears anywhere it wrote.
func (w *workflowRun) actionStep(ctx *exprContext, label string, st wfStep) (map[string]string, bool) {
	inputs := map[string]string{}
	for k, v := range st.With {
		inputs[k] = w.must(ctx.interpolate(v))
	}
	r := newRunner(w.t, inputs)
	if code := r.run(5 * time.Minute); code != action.ExitOK {
		w.t.Logf("%s failed: %v", label, r.annotations("error"))
	}
	r.assertNoSecret(jobSecrets(ctx)...)
	return r.outputs(), r.code == action.ExitOK
}

// runStep runs a run: script with bash, as the runner's default shell does (bash -e).
func (w *workflowRun) runStep(ctx *exprContext, label string, st wfStep, stepEnv map[string]string, jobEnv map[string]any) (map[string]string, bool) {
	t := w.t
	script := w.must(ctx.interpolate(st.Run))
	if st.Shell != "" && st.Shell != "bash" {
		t.Fatalf("%s: shell %s is not supported by this test runner", label, st.Shell)
	}
	dir := t.TempDir()
	files := map[string]string{}
	for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_ENV", "GITHUB_STEP_SUMMARY"} {
		files[f] = filepath.Join(dir, strings.ToLower(f))
		if err := os.WriteFile(files[f], nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(path, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, "bash", "-e", path)
	cmd.Env = append(os.Environ(), "GITHUB_ACTIONS=true", "CI=true")
	for k, v := range stepEnv {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	for k, v := range files {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	t.Logf("%s output:\n%s", label, out)
	for _, secret := range jobSecrets(ctx) {
		if strings.Contains(string(out), secret) {
			t.Errorf("%s printed a secret", label)
		}
	}
	read := func(f string) map[string]string {
		b, rerr := os.ReadFile(files[f])
		if rerr != nil {
			t.Fatal(rerr)
		}
		return parseFileCommands(t, string(b))
	}
	for k, v := range read("GITHUB_ENV") {
		jobEnv[k] = v
	}
	return read("GITHUB_OUTPUT"), err == nil
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// jobSecrets are every form of every secret the job was given.
func jobSecrets(ctx *exprContext) []string {
	var out []string
	for _, v := range ctx.contexts["secrets"].(map[string]any) {
		if dsn := v.(string); dsn != "" {
			out = append(out, core.MustParseDSN(dsn).Secrets()...)
		}
	}
	return out
}

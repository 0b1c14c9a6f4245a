package action_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every workflow of the repository itself (CI, release) passes actionlint, like the examples.
func TestRepositoryWorkflowsLint(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(repoRoot(t), ".github", "workflows", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, path := range paths {
		names[filepath.Base(path)] = true
		content, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range lint(t, path, content) {
			t.Errorf("%s", e)
		}
	}
	for _, want := range []string{"ci.yml", "release.yml"} {
		if !names[want] {
			t.Errorf(".github/workflows/%s is missing", want)
		}
	}
}

// The release workflow does what a release needs, in an order that never leaves the major
// tag on an image that does not exist: check action.yml's image, test, publish both images
// for both architectures, attach binaries with checksums, and only then move the major tag.
func TestReleaseWorkflow(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	wf := string(b)
	for _, want := range []string{
		`tags: ["v[0-9]+.[0-9]+.[0-9]+"]`,
		`scripts/action-image.sh check "$VERSION"`,
		"uses: ./.github/workflows/ci.yml",
		"docker/build-push-action@", "platforms: linux/amd64,linux/arm64", "target: action", "target: bot",
		"${{ env.IMAGE }}:${{ env.VERSION }}", "${{ env.IMAGE }}:${{ env.MAJOR }}",
		"sha256sum", "gh release create", "packages: write",
		"needs: [check, image, binaries]", `git push --force origin "refs/tags/$MAJOR"`,
	} {
		if !strings.Contains(wf, want) {
			t.Errorf("release.yml lacks %q", want)
		}
	}
}

// scripts/action-image.sh writes action.yml's image for a release and checks it, as the
// release workflow does before publishing anything.
func TestActionImageScript(t *testing.T) {
	script := filepath.Join(repoRoot(t), "scripts", "action-image.sh")
	orig, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	yml := filepath.Join(t.TempDir(), "action.yml")
	if err := os.WriteFile(yml, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		cmd := exec.Command(script, args...)
		cmd.Env = append(os.Environ(), "ACTION_YML="+yml)
		out, err := cmd.CombinedOutput()
		if err != nil && cmd.ProcessState == nil {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), string(out)
	}
	if code, out := run("set", "v2.3.4"); code != 0 {
		t.Fatalf("set: exit %d: %s", code, out)
	}
	after, _ := os.ReadFile(yml)
	if !strings.Contains(string(after), "\n  image: docker://ghcr.io/pghandoff/pghandoff:v2.3.4\n") {
		t.Fatalf("set did not write the image:\n%s", after)
	}
	if strings.Count(string(after), "\n") != strings.Count(string(orig), "\n") {
		t.Errorf("set changed more than the image line")
	}
	if code, out := run("check", "v2.3.4"); code != 0 {
		t.Fatalf("check of the version just set: exit %d: %s", code, out)
	}
	if code, out := run("check", "v2.3.5"); code != 1 || !strings.Contains(out, "scripts/action-image.sh set v2.3.5") {
		t.Fatalf("check of another version: exit %d: %s", code, out)
	}
	if code, _ := run("check", "2.3.4"); code != 2 {
		t.Fatalf("check of a version without v: exit %d", code)
	}
}

// shellcheck is the path of shellcheck, through which actionlint checks every run: script.
// The install script installs it; a machine without it fails, as it does without PostgreSQL.
func shellcheck(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("shellcheck")
	if err != nil {
		t.Fatalf("shellcheck is missing (actionlint checks the workflows' scripts with it): run scripts/install-deps.sh, or apt-get install shellcheck")
	}
	return path
}

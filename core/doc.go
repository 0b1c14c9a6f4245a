// Package core moves a live PostgreSQL database to another server with logical replication
// and switches traffic over without losing a write. It holds every database operation of
// pghandoff; the CLI, the Slack bot and the GitHub Action are thin front ends over it.
//
// Every operation takes a context and a plain options struct, and returns a plain result
// struct with JSON tags that the front ends render. Core never reads flags, environment
// variables or files of its own accord, and never prints: progress goes to the Observer the
// caller passes in.
package core

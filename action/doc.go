// Package action is pghandoff's GitHub Action: it reads a migration step from the workflow's
// inputs, runs it through core, and reports it the way a runner expects: masked secrets,
// step outputs, a Markdown step summary, log groups and annotations.
//
// It never reads the process environment or prints on its own: Run takes a getenv function
// and writers in Options, so the whole Action runs in-process in tests with a simulated
// runner.
package action

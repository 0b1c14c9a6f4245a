//go:build !pghandoff_proxy

package bot

import "context"

// Until the core's proxy, cutover, sequences and fence operations (issue 3) are on main, each
// of these commands answers that it is not available, and changes nothing. ops_proxy_core.go
// holds their wiring, built with -tags pghandoff_proxy; once core has them, that file loses its
// build tag and this one goes.

func opProxyCreate(context.Context, *run) (*outcome, error) { return nil, errNotAvailable }
func opProxyRemove(context.Context, *run) (*outcome, error) { return nil, errNotAvailable }
func opCutover(context.Context, *run) (*outcome, error)     { return nil, errNotAvailable }
func opSequences(context.Context, *run) (*outcome, error)   { return nil, errNotAvailable }
func opFence(context.Context, *run) (*outcome, error)       { return nil, errNotAvailable }
func precheckFence(context.Context, *run) (*outcome, error) { return nil, errNotAvailable }

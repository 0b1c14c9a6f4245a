package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// The proxy, cutover, sequences and fence operations of the core (issue 3) are wired here as
// they land; until then each answers that it is not available, and changes nothing.

func opProxyCreate(context.Context, *run) (*outcome, error) { return nil, errNotAvailable }
func opProxyRemove(context.Context, *run) (*outcome, error) { return nil, errNotAvailable }
func opCutover(context.Context, *run) (*outcome, error)     { return nil, errNotAvailable }
func opSequences(context.Context, *run) (*outcome, error)   { return nil, errNotAvailable }
func opFence(context.Context, *run) (*outcome, error)       { return nil, errNotAvailable }

// precheckCutover runs when the cutover is requested and again on the approval click: the
// migration must be ready and nobody may hold its operation lock.
func precheckCutover(ctx context.Context, r *run) (*outcome, error) {
	st, trend, err := r.b.statusOf(ctx, r.req.cmd.Migration, r.observer(), false)
	if err != nil {
		return nil, err
	}
	if !st.Ready {
		return nil, fmt.Errorf("%w: %s", core.ErrNotReady, strings.Join(st.Reasons, "; "))
	}
	if err := checkOperationLock(ctx, r.mig); err != nil {
		return nil, err
	}
	return &outcome{Summary: lagShort(st), Body: message{Text: statusText(r.req.cmd.Migration, st, trend)}}, nil
}

// checkOperationLock fails when a pghandoff operation (CLI, Action or bot) holds the lock.
func checkOperationLock(ctx context.Context, m *migration) error {
	holder, err := core.LockStatus(ctx, m.M.Primary, objectName(m))
	if err != nil {
		return err
	}
	if holder != nil {
		return &core.LockedError{Name: objectName(m), Holder: holder}
	}
	return nil
}

func objectName(m *migration) string {
	if m.M.Name == "" {
		return core.DefaultName
	}
	return m.M.Name
}

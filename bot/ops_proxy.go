package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/pghandoff/pghandoff/core"
)

// precheckCutover runs when the cutover is requested and again on the approval click: the
// migration must be ready and nobody may hold its operation lock.
func precheckSwitch(ctx context.Context, r *run) (*outcome, error) {
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
	holder, err := core.LockStatus(ctx, m.M)
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

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
)

// cutover switches the move's traffic from the primary to the replica with pghandoff's
// cutover through PgBouncer (its watchdog the test binary), bounded by maxPause, and
// returns what the pause measured.
func (mv *bouncerMove) cutover(ctx context.Context, maxPause time.Duration) (core.PauseReport, error) {
	res, err := core.Cutover(ctx, core.CutoverOptions{SwitchOptions: core.SwitchOptions{Migration: mv.m, MaxPause: maxPause,
		Watchdog: pgtest.Watchdog}})
	if res == nil {
		return core.PauseReport{}, err
	}
	if err == nil && !res.Switched {
		err = fmt.Errorf("cutover did not switch: %s", res.AbortReason)
	}
	return res.PauseReport, err
}

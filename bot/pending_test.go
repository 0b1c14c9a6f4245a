//go:build !pghandoff_proxy

package bot

import (
	"testing"
	"time"
)

// Until core has them, proxy commands say so and change nothing.
func TestPendingOperationsSayNotAvailable(t *testing.T) {
	h := basicBot(t, "", nil)
	h.command("U0OPER", "proxy create orders")
	h.slack.waitFor(t, 30*time.Second, "chat.postMessage", "`proxy create` is not available yet", "Nothing was changed")
	h.slack.waitFor(t, 30*time.Second, "chat.update", ":x:", "not available yet")
}

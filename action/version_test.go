package action_test

import (
	"strings"
	"testing"

	"github.com/pghandoff/pghandoff/internal/version"
)

// The step summary ends with the build that ran the step.
func TestSummaryShowsVersion(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.step(map[string]string{"command": "status"})
	r.expectOK()
	if want := "<sub>pghandoff " + version.Get().String() + "</sub>"; !strings.Contains(r.summary(), want) {
		t.Fatalf("summary lacks %q:\n%s", want, r.summary())
	}
}

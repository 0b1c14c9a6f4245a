package action

import "github.com/pghandoff/pghandoff/internal/version"

// versionFooter closes the step summary with the build that ran it, so that a run's summary
// says which release (and commit) produced it.
func versionFooter() string {
	return "\n<sub>pghandoff " + text(version.Get().String()) + "</sub>\n"
}

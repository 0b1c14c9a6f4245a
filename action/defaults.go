package action

import (
	"strconv"

	"github.com/pghandoff/pghandoff/core"
)

// inputDefaults are the defaults action.yml declares, written from core's (a test holds
// action.yml to them). The runner passes a default for every input a step leaves out, so an
// input that holds its default says nothing about what the workflow's author set.
var inputDefaults = map[string]string{
	inName:             core.DefaultName,
	inMaxLag:           core.FormatBytesExact(core.DefaultMaxLag),
	inTimeout:          core.FormatDuration(core.DefaultWaitTimeout),
	inInterval:         core.FormatDuration(core.DefaultWaitInterval),
	inMaxPause:         core.FormatDuration(core.DefaultMaxPause),
	inPauseLockTimeout: core.FormatDuration(core.DefaultPauseLockTimeout),
	inMargin:           strconv.FormatInt(core.DefaultMargin, 10),
	inSkip:             strconv.FormatInt(core.DefaultSkip, 10),
	inWindow:           core.FormatDuration(core.DefaultWindow),
	inLockTimeout:      core.FormatDuration(core.DefaultLockTimeout),
	inStatementTimeout: core.FormatDuration(core.DefaultStatementTimeout),
	inConnections:      strconv.Itoa(core.DefaultConnections),
	inJobs:             strconv.Itoa(core.DefaultJobs),
}

// isDefault reports whether an input holds its declared default (or is empty).
func isDefault(name, value string) bool { return value == "" || value == inputDefaults[name] }

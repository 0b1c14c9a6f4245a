package bot

import "time"

// Clock tells the time: approvals and locks expire by it. Tests use a fake one.
type Clock interface{ Now() time.Time }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

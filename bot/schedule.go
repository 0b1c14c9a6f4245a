package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// cronParser reads standard five-field specs, six fields with seconds first (tests and
// fast schedules), and descriptors such as @hourly and "@every 10m".
var cronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// withZone prefixes a spec with its time zone unless it names one itself.
func withZone(spec string, loc *time.Location) string {
	spec = strings.TrimSpace(spec)
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "@every") {
		return spec
	}
	return "CRON_TZ=" + loc.String() + " " + spec
}

// parseSchedule parses a cron spec in the time zone loc.
func parseSchedule(spec string, loc *time.Location) (cron.Schedule, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, fmt.Errorf("empty cron spec: write it like \"0 9 * * 1-5\" (09:00 on weekdays)")
	}
	s, err := cronParser.Parse(withZone(spec, loc))
	if err != nil {
		return nil, fmt.Errorf("%q is not a cron spec (%v): write it like \"0 9 * * 1-5\" (09:00 on weekdays) or \"@every 4h\"", spec, err)
	}
	return s, nil
}

// shortestInterval is the shortest gap between a schedule's next few runs after from.
func shortestInterval(s cron.Schedule, from time.Time) time.Duration {
	shortest := time.Duration(1<<63 - 1)
	t := s.Next(from)
	for i := 0; i < 20 && !t.IsZero(); i++ {
		next := s.Next(t)
		if next.IsZero() {
			break
		}
		if d := next.Sub(t); d < shortest {
			shortest = d
		}
		t = next
	}
	return shortest
}

// lastFire is the latest time at or before now when s fired: two replicas that run the same
// job compute the same value, which keys the run so it posts once.
func lastFire(s cron.Schedule, now time.Time) time.Time {
	for _, back := range []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour, 32 * 24 * time.Hour, 366 * 24 * time.Hour} {
		t := s.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			next := s.Next(t)
			if next.IsZero() || next.After(now) {
				return t
			}
			t = next
		}
	}
	return now.Truncate(time.Second)
}

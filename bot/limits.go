package bot

import (
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/pghandoff/pghandoff/core"
)

// userLimiter gives each user a rate of commands: someone holding a key down, or a script
// posting commands in a loop, is told to slow down instead of taking the bot's connection
// budget from everyone else.
type userLimiter struct {
	perMinute int
	mu        sync.Mutex
	users     map[string]*rate.Limiter
}

func newUserLimiter(perMinute int) *userLimiter {
	return &userLimiter{perMinute: perMinute, users: map[string]*rate.Limiter{}}
}

// allow takes one command of user's rate at now; when there is none left it says how long
// until there is.
func (l *userLimiter) allow(user string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.users[user]
	if !ok {
		// A third of the minute's commands at once, then one every 60/perMinute seconds.
		lim = rate.NewLimiter(rate.Limit(float64(l.perMinute)/60), max(1, l.perMinute/3))
		l.users[user] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now)
		return false, delay
	}
	return true, 0
}

func (c *Config) commandsPerMinute() int {
	if c.Limits.CommandsPerMinute > 0 {
		return c.Limits.CommandsPerMinute
	}
	return defaultCommandsPerMinute
}

// slowDownText is the answer to a user over their rate.
func slowDownText(perMinute int, wait time.Duration) string {
	return fmt.Sprintf(":snail: You sent many commands in a short time (the limit is %d a minute each), so this one did not run. Try again in %s.",
		perMinute, core.FormatDuration(wait.Round(time.Second)+time.Second))
}

// queuedText tells a requester that their command waits behind others for the migration's
// connections, instead of leaving them in silence.
func queuedText(migration string, waiting, perServer int) string {
	return fmt.Sprintf(":hourglass_flowing_sand: Queued: %d %s on *%s* wait for the bot's connections to its servers (it holds at most %d to each, to leave the rest to the application). Yours follows them; the answer comes here.",
		waiting, plural(waiting, "operation", "operations"), migration, perServer)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

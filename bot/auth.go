package bot

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// class is what a command can do: read, operate (change a database), destroy (lose data or
// move traffic). Each class includes the ones below it.
type class int

const (
	classRead class = iota
	classOperate
	classDestroy
)

func (c class) String() string { return [...]string{"read", "operate", "destroy"}[c] }

// authorizer answers "may this user run this class of command on this migration", by Slack
// user id and user group membership, never by name. Nothing is allowed unless configured.
type authorizer struct {
	cfg    *Config
	groups *groupCache
}

// principals lists who holds cls on a migration: the class and every higher one, each from
// the migration's permissions when it sets that class, else from the global ones.
func (a *authorizer) principals(cls class, migration string) []Principals {
	var out []Principals
	for c := cls; c <= classDestroy; c++ {
		if p := a.classPrincipals(c, migration); p != nil {
			out = append(out, *p)
		}
	}
	return out
}

func (a *authorizer) classPrincipals(c class, migration string) *Principals {
	pick := func(p Permissions) *Principals {
		return [...]*Principals{p.Read, p.Operate, p.Destroy}[c]
	}
	if m, ok := a.cfg.Migrations[migration]; ok {
		if p := pick(m.Permissions); p != nil {
			return p
		}
	}
	if p := pick(a.cfg.Permissions); p != nil {
		return p
	}
	if c == classRead { // status is open to the channel unless the config says otherwise
		return &Principals{Everyone: true}
	}
	return nil
}

// allowed reports whether the user may run a command of class cls on migration.
func (a *authorizer) allowed(ctx context.Context, user string, cls class, migration string) (bool, error) {
	return a.in(ctx, user, a.principals(cls, migration))
}

func (a *authorizer) in(ctx context.Context, user string, ps []Principals) (bool, error) {
	for _, p := range ps {
		if p.Everyone || slices.Contains(p.Users, user) {
			return true, nil
		}
		for _, g := range p.Groups {
			ok, err := a.groups.member(ctx, g, user)
			if err != nil {
				return false, err
			}
			if ok {
				return true, nil
			}
		}
	}
	return false, nil
}

// describe says who the principals are, as Slack mentions.
func describe(ps []Principals) string {
	var names []string
	for _, p := range ps {
		if p.Everyone {
			return "everyone in the workspace"
		}
		for _, u := range p.Users {
			names = append(names, "<@"+u+">")
		}
		for _, g := range p.Groups {
			names = append(names, "<!subteam^"+g+">")
		}
	}
	if len(names) == 0 {
		return "nobody (the bot's config gives this to no one)"
	}
	slices.Sort(names)
	return strings.Join(slices.Compact(names), ", ")
}

// groupCache keeps user group members for a minute: permission checks happen on every
// command and click, group changes are rare.
type groupCache struct {
	api   slackAPI
	clock Clock
	ttl   time.Duration
	mu    sync.Mutex
	cache map[string]groupEntry
}

type groupEntry struct {
	members []string
	at      time.Time
}

func newGroupCache(api slackAPI, clock Clock) *groupCache {
	return &groupCache{api: api, clock: clock, ttl: time.Minute, cache: map[string]groupEntry{}}
}

func (g *groupCache) member(ctx context.Context, group, user string) (bool, error) {
	g.mu.Lock()
	e, ok := g.cache[group]
	g.mu.Unlock()
	if !ok || g.clock.Now().Sub(e.at) > g.ttl {
		members, err := g.api.GetUserGroupMembersContext(ctx, group)
		if err != nil {
			return false, fmt.Errorf("read members of user group %s (the app needs the usergroups:read scope): %w", group, err)
		}
		e = groupEntry{members: members, at: g.clock.Now()}
		g.mu.Lock()
		g.cache[group] = e
		g.mu.Unlock()
	}
	return slices.Contains(e.members, user), nil
}

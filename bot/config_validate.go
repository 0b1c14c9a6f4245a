package bot

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pghandoff/pghandoff/core"
)

// Slack ids: workspaces (T, or E for an Enterprise Grid org), users (U, W), user groups (S),
// channels (C public, G private, D direct).
var (
	teamIDRe    = regexp.MustCompile(`^[TE][A-Z0-9]{2,}$`)
	userIDRe    = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	groupIDRe   = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
	channelIDRe = regexp.MustCompile(`^[CGD][A-Z0-9]{2,}$`)
	// migrationKeyRe: what people type after the command.
	migrationKeyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
)

var walStatuses = []string{"reserved", "extended", "unreserved", "lost"}

func (c *Config) validate() error {
	checks := []func() error{c.validateTop, c.validatePermissions, c.validateMigrations, c.validateAlerts, c.validateReports}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) validateTop() error {
	if !teamIDRe.MatchString(c.Slack.TeamID) {
		return c.errAt("give the workspace's team id (T… from the workspace URL or the app's settings): requests from any other workspace are refused", "slack", "team_id")
	}
	if err := c.checkRef(c.State.DSN, true, "state", "dsn"); err != nil {
		return err
	}
	if _, err := c.location(""); err != nil {
		return c.errAt(err.Error(), "timezone")
	}
	if c.Limits.StatusMaxAge < 0 {
		return c.errAt("must not be negative (0 means the default)", "limits", "status_max_age")
	}
	if c.Limits.CommandsPerMinute < 0 {
		return c.errAt("must not be negative (0 means the default)", "limits", "commands_per_minute")
	}
	return nil
}

// checkRef checks the form of a secret reference; its value is read at start (Resolve).
func (c *Config) checkRef(r SecretRef, required bool, path ...string) error {
	switch {
	case r.IsZero() && required:
		return c.errAt("required: give {env: VARIABLE} or {file: PATH}", path...)
	case r.Env != "" && r.File != "":
		return c.errAt("give env or file, not both", path...)
	}
	return nil
}

func (c *Config) validatePermissions() error {
	if err := c.checkPermissions(c.Permissions, "permissions"); err != nil {
		return err
	}
	if err := c.checkApproval(&c.Approval, "approval"); err != nil {
		return err
	}
	return nil
}

func (c *Config) checkPermissions(p Permissions, path ...string) error {
	for class, pr := range map[string]*Principals{"read": p.Read, "operate": p.Operate, "destroy": p.Destroy} {
		if err := c.checkPrincipals(pr, append(slices.Clone(path), class)...); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkPrincipals(p *Principals, path ...string) error {
	if p == nil {
		return nil
	}
	for i, u := range p.Users {
		if !userIDRe.MatchString(u) {
			return c.errAt(fmt.Sprintf("%q is not a Slack user id (U… or W…, from the user's profile, “Copy member ID”): names are never trusted", u),
				append(slices.Clone(path), "users", strconv.Itoa(i))...)
		}
	}
	for i, g := range p.Groups {
		if !groupIDRe.MatchString(g) {
			return c.errAt(fmt.Sprintf("%q is not a Slack user group id (S…)", g), append(slices.Clone(path), "groups", strconv.Itoa(i))...)
		}
	}
	return nil
}

func (c *Config) checkApproval(a *ApprovalConfig, path ...string) error {
	if a == nil {
		return nil
	}
	return c.checkPrincipals(a.Approvers, append(slices.Clone(path), "approvers")...)
}

func (c *Config) validateMigrations() error {
	if len(c.Migrations) == 0 {
		return c.errAt("name at least one migration", "migrations")
	}
	for _, key := range c.MigrationKeys() {
		if err := c.checkMigration(key, c.Migrations[key]); err != nil {
			return err
		}
	}
	return nil
}

func (c *Config) checkMigration(key string, m Migration) error {
	at := func(p ...string) []string { return append([]string{"migrations", key}, p...) }
	if !migrationKeyRe.MatchString(key) {
		return c.errAt("a migration's name is typed in Slack: lower-case letters, digits, - and _, at most 63", at()...)
	}
	if err := core.ValidateName(m.Name); err != nil {
		return c.errAt(err.Error(), at("name")...)
	}
	for _, role := range []struct {
		name     string
		ref      SecretRef
		required bool
	}{{"primary", m.Primary, true}, {"replica", m.Replica, true}, {"proxy", m.Proxy, false},
		{"primary_for_replica", m.PrimaryForReplica, false}, {"replica_for_primary", m.ReplicaForPrimary, false}} {
		if err := c.checkRef(role.ref, role.required, at(role.name)...); err != nil {
			return err
		}
	}
	if err := c.checkRef(m.PgBouncer.Admin, false, at("pgbouncer", "admin")...); err != nil {
		return err
	}
	if m.Channel != "" && !channelIDRe.MatchString(m.Channel) {
		return c.errAt(channelMsg(m.Channel), at("channel")...)
	}
	for i, t := range m.Setup.ExcludeTables {
		if _, err := parseTableName(t); err != nil {
			return c.errAt(err.Error(), at("setup", "exclude_tables", strconv.Itoa(i))...)
		}
	}
	for _, n := range []struct {
		negative bool
		path     []string
	}{{m.MaxLagBytes < 0, at("max_lag_bytes")}, {m.Cutover.Margin < 0, at("cutover", "margin")}, {m.Connections < 0, at("connections")}, {m.Jobs < 0, at("jobs")},
		{m.Cutover.MaxPause < 0, at("cutover", "max_pause")}, {m.Setup.SyncWorkers < 0, at("setup", "sync_workers")}} {
		if n.negative {
			return c.errAt("must not be negative (0 means the default)", n.path...)
		}
	}
	if _, err := core.NewBudget(m.Connections); err != nil {
		var invalid *core.InvalidOptionError
		if errors.As(err, &invalid) {
			return c.errAt(invalid.Reason, at("connections")...)
		}
		return err
	}
	if err := c.checkThresholds(m.Alerts, at("alerts")...); err != nil {
		return err
	}
	if err := c.checkPermissions(m.Permissions, at("permissions")...); err != nil {
		return err
	}
	return c.checkApproval(m.Approval, at("approval")...)
}

func channelMsg(ch string) string {
	return fmt.Sprintf("%q is not a Slack channel id (C…, G… or D…: open the channel's details, the id is at the bottom)", ch)
}

func (c *Config) checkThresholds(t *Thresholds, path ...string) error {
	if t == nil {
		return nil
	}
	if t.LagBytes < 0 || t.LagSeconds < 0 || t.SafeWALSizeBytes < 0 {
		return c.errAt("thresholds must not be negative", path...)
	}
	for i, s := range t.SlotWALStatus {
		if !slices.Contains(walStatuses, s) {
			return c.errAt(fmt.Sprintf("%q is not a wal_status: use %s", s, strings.Join(walStatuses, ", ")),
				append(slices.Clone(path), "slot_wal_status", strconv.Itoa(i))...)
		}
	}
	return nil
}

func (c *Config) validateAlerts() error {
	if c.Alerts.Every != "" {
		if _, err := cronParser.Parse(c.Alerts.Every); err != nil {
			return c.errAt(fmt.Sprintf("not a cron spec (%v)", err), "alerts", "every")
		}
	}
	if c.Alerts.Channel != "" && !channelIDRe.MatchString(c.Alerts.Channel) {
		return c.errAt(channelMsg(c.Alerts.Channel), "alerts", "channel")
	}
	if err := c.checkThresholds(&c.Alerts.Thresholds, "alerts"); err != nil {
		return err
	}
	for _, key := range c.MigrationKeys() {
		if c.thresholds(key).any() && c.alertChannel(key) == "" {
			return c.errAt("alert thresholds are set but no channel: set alerts.channel or this migration's channel", "migrations", key)
		}
	}
	return nil
}

func (c *Config) validateReports() error {
	for i, r := range c.Reports.Schedules {
		at := func(p string) []string { return []string{"reports", "schedules", strconv.Itoa(i), p} }
		if _, ok := c.Migrations[r.Migration]; !ok {
			return c.errAt(fmt.Sprintf("no migration %q in migrations (have %s)", r.Migration, strings.Join(c.MigrationKeys(), ", ")), at("migration")...)
		}
		if r.Channel == "" && c.Migrations[r.Migration].Channel == "" {
			return c.errAt("give a channel, here or on the migration", at("channel")...)
		}
		if r.Channel != "" && !channelIDRe.MatchString(r.Channel) {
			return c.errAt(channelMsg(r.Channel), at("channel")...)
		}
		loc, err := c.location(r.Timezone)
		if err != nil {
			return c.errAt(err.Error(), at("timezone")...)
		}
		if _, err := parseSchedule(r.Cron, loc); err != nil {
			return c.errAt(err.Error(), at("cron")...)
		}
	}
	return nil
}

// MigrationKeys lists the configured migrations, sorted.
func (c *Config) MigrationKeys() []string {
	keys := make([]string, 0, len(c.Migrations))
	for k := range c.Migrations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// location is the time zone tz names, or the config's default.
func (c *Config) location(tz string) (*time.Location, error) {
	if tz == "" {
		tz = c.Timezone
	}
	if tz == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q: use an IANA name such as Europe/Paris or America/New_York", tz)
	}
	return loc, nil
}

// thresholds are the alert thresholds in force for a migration.
func (c *Config) thresholds(key string) Thresholds {
	if t := c.Migrations[key].Alerts; t != nil {
		return *t
	}
	return c.Alerts.Thresholds
}

func (t Thresholds) any() bool {
	return t.LagBytes > 0 || t.LagSeconds > 0 || t.SafeWALSizeBytes > 0 || len(t.SlotWALStatus) > 0
}

// alertChannel is where a migration's alerts go.
func (c *Config) alertChannel(key string) string {
	if ch := c.Migrations[key].Channel; ch != "" {
		return ch
	}
	return c.Alerts.Channel
}

// parseTableName reads schema.table (a table without a dot is in public). Names are the
// catalog's, case and all; quotes are not needed.
func parseTableName(s string) (core.TableName, error) {
	schema, name, ok := strings.Cut(s, ".")
	if !ok {
		schema, name = "public", s
	}
	if schema == "" || name == "" {
		return core.TableName{}, fmt.Errorf("%q is not schema.table", s)
	}
	return core.TableName{Schema: schema, Name: name}, nil
}

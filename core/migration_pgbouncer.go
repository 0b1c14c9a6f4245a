package core

// PgBouncer is the PgBouncer the application talks to, when the migration switches traffic
// through one instead of the postgres_fdw proxy: pghandoff owns one database entry of its
// configuration, in a file the configuration %includes, and repoints it in a pause
// (pause_pgbouncer.go).
type PgBouncer struct {
	Admin DSN // its admin console: the database pgbouncer, as one of its admin_users
	// Config is the file PgBouncer's configuration %includes and pghandoff owns: it writes
	// the database entry there, atomically.
	Config string
	// Database names the entry: the database the application asks PgBouncer for. The
	// primary's database name when empty.
	Database string
}

// PgBouncerSettings are PgBouncer's options that NewMigration takes besides its connection
// string: they hold no secret.
var PgBouncerSettings = []Option{OptPgBouncerConfig, OptPgBouncerDatabase}

// Traffic strategies: what the application's traffic goes through, as results name it.
const (
	StrategyProxy     = "proxy"
	StrategyPgBouncer = "pgbouncer"
)

// usesBouncer reports whether traffic switches through PgBouncer.
func (m Migration) usesBouncer() bool { return !m.PgBouncer.Admin.IsZero() }

// strategy names what traffic switches through.
func (m Migration) strategy() string {
	if m.usesBouncer() {
		return StrategyPgBouncer
	}
	return StrategyProxy
}

// bouncerEntry is the name of the PgBouncer entry the migration switches.
func (m Migration) bouncerEntry() string {
	if m.PgBouncer.Database != "" {
		return m.PgBouncer.Database
	}
	return m.Primary.Database()
}

// checkStrategy refuses PgBouncer's options given halfway, or beside the proxy: traffic goes
// through one of them.
func (m Migration) checkStrategy() []error {
	var errs []error
	bouncer := m.usesBouncer()
	if bouncer && m.PgBouncer.Config == "" {
		errs = append(errs, &InvalidOptionError{Option: OptPgBouncerConfig,
			Reason: "is needed with pgbouncer: the file PgBouncer's configuration %includes, where pghandoff writes the entry"})
	}
	if !bouncer && (m.PgBouncer.Config != "" || m.PgBouncer.Database != "") {
		errs = append(errs, &InvalidOptionError{Option: OptPgBouncer,
			Reason: "no connection string given for PgBouncer's admin console, though its other options were"})
	}
	if bouncer && !m.Proxy.IsZero() {
		errs = append(errs, &InvalidOptionError{Option: OptPgBouncer,
			Reason: "give either the proxy or PgBouncer: traffic switches through one of them"})
	}
	return errs
}

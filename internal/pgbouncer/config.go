package pgbouncer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// settings are what every test PgBouncer runs with. server_reset_query is empty, as PgBouncer
// recommends for transaction pooling; the log shows connections and pauses, for failures.
var settings = []string{
	"listen_addr = 127.0.0.1",
	"auth_type = scram-sha-256",
	"max_client_conn = 500",
	"default_pool_size = 40",
	"server_reset_query =",
	"ignore_startup_parameters = extra_float_digits",
	"log_connections = 0",
	"log_disconnections = 0",
}

// writeFiles writes the main configuration, the auth_file and (unless present) the include
// file, all owned by the server's OS user and readable by it alone.
func (b *Bouncer) writeFiles(opts Options) error {
	mode := opts.PoolMode
	if mode == "" {
		mode = "transaction"
	}
	auth := filepath.Join(b.Dir, "userlist.txt")
	ini := append(append([]string{"[databases]"}, opts.Databases...), "%include "+b.Include, "",
		"[pgbouncer]",
		"listen_port = "+strconv.Itoa(b.Port),
		"unix_socket_dir = "+b.Dir,
		"pool_mode = "+mode,
		"admin_users = "+b.AdminUser,
		"auth_file = "+auth,
		"logfile = "+filepath.Join(b.Dir, "pgbouncer.log"),
		"pidfile = "+filepath.Join(b.Dir, "pgbouncer.pid"))
	ini = append(append(ini, settings...), opts.Settings...)
	users := []string{quote(b.AdminUser) + " " + quote(b.AdminPassword)}
	for _, u := range opts.Users {
		users = append(users, quote(u.Name)+" "+quote(u.Password))
	}
	files := []struct{ path, body string }{
		{b.Config, strings.Join(ini, "\n") + "\n"},
		{auth, strings.Join(users, "\n") + "\n"},
	}
	if _, err := os.Stat(b.Include); err != nil {
		files = append(files, struct{ path, body string }{b.Include, "[databases]\n"})
	}
	for _, f := range files {
		if err := os.WriteFile(f.path, []byte(f.body), 0o600); err != nil {
			return err
		}
		if err := b.chown(f.path); err != nil {
			return err
		}
	}
	return nil
}

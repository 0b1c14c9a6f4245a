package core

import (
	"context"
	"os"
	"strings"
)

// pg_dump and TLS. pghandoff's own connections verify a server's certificate against the
// system's trust store when the connection string asks for verify-ca or verify-full and names
// no root certificate; libpq, which pg_dump uses, looks for ~/.postgresql/root.crt instead,
// and fails. So pg_dump is given the system's store explicitly: sslrootcert=system from
// libpq 16 on (OpenSSL's default store, which honours SSL_CERT_FILE), the distribution's
// bundle before that.

// systemBundles are where distributions keep the system's CA bundle.
var systemBundles = []string{
	"/etc/ssl/certs/ca-certificates.crt", // Debian, Ubuntu, Alpine
	"/etc/pki/tls/certs/ca-bundle.crt",   // Fedora, RHEL
	"/etc/ssl/cert.pem",                  // macOS, BSDs
}

// dumpConnInfo is the connection string pg_dump gets for dsn, without the password.
func dumpConnInfo(ctx context.Context, path string, dsn DSN) string {
	settings := dsn.libpqSettings(false)
	if verifiesCertificate(settings) && settings["sslrootcert"] == "" {
		if root := systemRoot(ctx, path); root != "" {
			settings["sslrootcert"] = root
		}
	}
	return formatConnInfo(settings)
}

func verifiesCertificate(settings map[string]string) bool {
	mode := settings["sslmode"]
	return mode == "verify-ca" || mode == "verify-full"
}

// systemRoot is how pg_dump at path names the system's trust store, or "" if it cannot.
func systemRoot(ctx context.Context, path string) string {
	if major, _, err := pgDumpVersion(ctx, path); err == nil && major >= 16 {
		return "system"
	}
	for _, b := range systemBundles {
		if _, err := os.Stat(b); err == nil {
			return b
		}
	}
	return ""
}

// checkServerSideTLS warns, in preflight, about a connection string the servers themselves
// will use (the subscription, the failsafe, the proxy's foreign server) that verifies the
// certificate but names no root certificate: libpq on that server then looks in its own
// home directory, and the connection fails.
func checkServerSideTLS(_ context.Context, p *preflight) {
	var unnamed []string
	for _, d := range []struct {
		name string
		dsn  DSN
	}{{"primary", p.opts.primaryForReplica()}, {"replica", p.opts.replicaForPrimary()}} {
		if d.dsn.IsZero() {
			continue
		}
		settings := d.dsn.libpqSettings(false)
		if verifiesCertificate(settings) && settings["sslrootcert"] == "" {
			unnamed = append(unnamed, d.name)
		}
	}
	if len(unnamed) == 0 {
		return
	}
	p.add("certificate verification by the servers", CheckWarn,
		"the "+strings.Join(unnamed, " and ")+" connection string verifies the server's certificate but names no root certificate: the subscription (on the other server) would look for one in its own home directory",
		remedy("add sslrootcert to the connection string: a path on the server that connects, or sslrootcert=system when it runs PostgreSQL 16 or newer"))
}

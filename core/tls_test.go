package core_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pghandoff/pghandoff/core"
	"github.com/pghandoff/pghandoff/internal/pgtest"
	"github.com/pghandoff/pghandoff/internal/workload"
)

// sslmode=verify-full works end to end: pghandoff's connections, pg_dump's and the
// subscription's all verify the primary's certificate against the root the connection string
// names; with another root, setup stops before it changes anything.
func TestVerifyFullTLS(t *testing.T) {
	pair := pgtest.Pairs(t)[0]
	primary := pgtest.Server(t, "primary15tls", 15)
	ca, caKey := newCA(t, "pghandoff test CA")
	certPEM, keyPEM := newServerCert(t, ca, caKey)
	rootPath, err := primary.WriteFile("root.crt", pemOf("CERTIFICATE", ca.Raw), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := newCA(t, "another CA")
	otherPath, err := primary.WriteFile("other.crt", pemOf("CERTIFICATE", other.Raw), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	certPath, err := primary.WriteFile("server.crt", certPEM, 0o644)
	if err == nil {
		_, err = primary.WriteFile("server.key", keyPEM, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	keyPath := strings.TrimSuffix(certPath, ".crt") + ".key"
	if err := primary.Restart(ctxFor(t, time.Minute), "ssl = on", "ssl_cert_file = '"+certPath+"'", "ssl_key_file = '"+keyPath+"'"); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, pgtest.Pair{Name: "tls", Primary: primary, Replica: pair.Replica})
	e.execPrimary(workload.Schema)
	verifying := func(root string) core.DSN {
		return core.MustParseDSN(strings.Replace(primary.DSN(e.primaryDB), "sslmode=disable", "sslmode=verify-full&sslrootcert="+root, 1))
	}

	wrong := e.setupOptions()
	wrong.Primary = verifying(otherPath)
	if _, err := core.Setup(ctxFor(t, time.Minute), wrong); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("setup with the wrong root certificate: %v, want a certificate error", err)
	}
	opts := e.setupOptions()
	opts.Primary = verifying(rootPath)
	e.m.Primary = opts.Primary
	if res, err := core.Setup(ctxFor(t, time.Minute), opts); err != nil || !res.Complete {
		t.Fatalf("setup over verify-full: %v (%s)", err, core.Hint(err))
	}
	st := e.waitReady()
	if st.SentinelMS == nil {
		t.Fatalf("no sentinel round trip over verify-full: %+v", st)
	}
	if n := e.queryInt(false, `SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid
		WHERE a.backend_type = 'walsender' AND a.datname = current_database() AND s.ssl`); n < 1 {
		t.Fatal("the subscription's walsender connection does not use TLS")
	}
}

func newCA(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// newServerCert is a certificate for 127.0.0.1 and localhost, signed by ca, with its key.
func newServerCert(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf("CERTIFICATE", der), pemOf("EC PRIVATE KEY", keyDER)
}

func pemOf(kind string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
}

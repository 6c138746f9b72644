package store_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/servers"
	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/store"
)

func trusting(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	b, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("no CA")
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// TestClickHouseTLSAndPassword: over the server's TLS port, a user with a
// password migrates, writes and reads; a client that does not trust the
// server's certificate and a wrong password are refused within seconds.
func TestClickHouseTLSAndPassword(t *testing.T) {
	if _, err := servers.FindClickHouse(); err != nil {
		testenv.ClickHouse(t) // skips, or fails under CI
	}
	certs := testenv.NewCerts(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ch, err := servers.StartClickHouse(ctx, servers.ClickHouseOptions{
		TLS:   &servers.ClickHouseTLS{CertFile: certs.CertFile, KeyFile: certs.KeyFile},
		Users: []servers.ClickHouseUser{{Name: "rw_ingest", Password: "ingest-pw"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ch.Stop() })
	opts := func(tc *tls.Config, user, pw string) store.Options {
		return store.Options{Addrs: []string{ch.SecureAddr}, Database: "tls_test", Username: user, Password: pw,
			DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2, TLS: tc}
	}
	st, err := store.Open(ctx, opts(trusting(t, certs.CAFile), "rw_ingest", "ingest-pw"))
	if err != nil {
		t.Fatalf("open over TLS: %v", err)
	}
	defer st.Close()
	migs, _ := schemas.Migrations()
	if _, err := st.Migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	if err := st.InsertCases(ctx, []schemas.CaseRow{apiCase("tls-1", "150521000000", "150521100000", 2, "labor", schemas.StatusAccepted, schemas.SeveritySimple)}); err != nil {
		t.Fatal(err)
	}
	if s, err := st.CaseStats(ctx); err != nil || s.Rows != 1 {
		t.Fatalf("case stats over TLS: %+v %v, want 1 row", s, err)
	}
	// The plaintext port is not the TLS port: TLS to it fails, and so does
	// the TLS port without the right CA or with a wrong password.
	for _, c := range []struct {
		name string
		o    store.Options
		want string
	}{
		{"untrusted CA", opts(trusting(t, certs.OtherCAFile), "rw_ingest", "ingest-pw"), "certificate"},
		{"wrong password", opts(trusting(t, certs.CAFile), "rw_ingest", "wrong-pw"), "password"},
	} {
		start := time.Now()
		st2, err := store.Open(ctx, c.o)
		if err == nil {
			st2.Close()
			t.Fatalf("%s: open succeeded", c.name)
		}
		if !strings.Contains(strings.ToLower(err.Error()), c.want) {
			t.Errorf("%s: error %q does not mention %q", c.name, err, c.want)
		}
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("%s: refused after %v", c.name, took)
		}
	}
}

// TestReadOnlyUserCannotWrite: the readonly-profile user of the shared
// server reads the store but can neither insert, nor create, nor change a
// setting.
func TestReadOnlyUserCannotWrite(t *testing.T) {
	st := migrated(t)
	ctx := context.Background()
	if err := st.InsertCases(ctx, []schemas.CaseRow{apiCase("ro-1", "150521000000", "150521100000", 2, "labor", schemas.StatusAccepted, schemas.SeveritySimple)}); err != nil {
		t.Fatal(err)
	}
	ch := testenv.ClickHouse(t)
	o := store.Options{Addrs: []string{ch.Addr}, Database: st.Database(), Username: testenv.ReadOnlyUser, Password: testenv.ReadOnlyPassword,
		DialTimeout: 5 * time.Second, ReadTimeout: time.Minute, MaxOpenConns: 2}
	if ro, err := store.Open(ctx, o); err == nil {
		ro.Close()
		t.Fatal("the readonly user ran CREATE DATABASE")
	}
	o.Existing = true
	ro, err := store.Open(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if s, err := ro.CaseStats(ctx); err != nil || s.Rows != 1 {
		t.Fatalf("readonly read: %+v %v, want 1 row", s, err)
	}
	err = ro.InsertCases(ctx, []schemas.CaseRow{apiCase("ro-2", "150521000000", "150521100000", 3, "labor", schemas.StatusAccepted, schemas.SeveritySimple)})
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "readonly") {
		t.Errorf("readonly INSERT: %v, want a readonly error", err)
	}
	if err := ro.APIWriteAudit(ctx, []store.APIAuditEntry{{TokenID: "x", Path: "/api/me", At: time.Now()}}); err == nil {
		t.Error("readonly user wrote the audit log")
	}
	if err := ro.DropDatabase(ctx); err == nil {
		t.Error("readonly user dropped the database")
	}
	if s, err := st.CaseStats(ctx); err != nil || s.Rows != 1 {
		t.Fatalf("after the refused writes: %+v %v, want still 1 row", s, err)
	}
}

package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are PEM files of a test certificate authority and certificates it
// signed, in a temporary directory of the test.
type Certs struct {
	// CAFile is the authority that signed the server and client
	// certificates.
	CAFile string
	// CertFile and KeyFile are the server's certificate (valid for
	// 127.0.0.1, ::1 and localhost) and its PKCS#8 key.
	CertFile, KeyFile string
	// ClientCertFile and ClientKeyFile are a client certificate and key.
	ClientCertFile, ClientKeyFile string
	// OtherCAFile is an unrelated authority that signed nothing here: a
	// client trusting only it must refuse the server.
	OtherCAFile string
}

// NewCerts generates a CA, a server and a client certificate (ECDSA P-256,
// valid for a day) with crypto/x509 and writes them as PEM files.
func NewCerts(t testing.TB) Certs {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatalf("testenv: write %s: %v", name, err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatalf("testenv: generate key: %v", err)
		}
		return k
	}
	serial := int64(1)
	sign := func(tmpl *x509.Certificate, key *ecdsa.PrivateKey, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, []byte) {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore = time.Now().Add(-time.Hour)
		tmpl.NotAfter = time.Now().Add(24 * time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
		if err != nil {
			t.Fatalf("testenv: create certificate %s: %v", tmpl.Subject.CommonName, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatalf("testenv: parse certificate: %v", err)
		}
		return c, der
	}
	pkcs8 := func(k *ecdsa.PrivateKey) []byte {
		b, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatalf("testenv: marshal key: %v", err)
		}
		return b
	}
	newCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		key := newKey()
		c, der := sign(&x509.Certificate{
			Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
			KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		}, key, nil, nil)
		return c, key, der
	}
	var cs Certs
	ca, caKey, caDER := newCA("riskwatch test CA")
	cs.CAFile = write("ca.pem", "CERTIFICATE", caDER)
	_, _, otherDER := newCA("riskwatch untrusted CA")
	cs.OtherCAFile = write("other-ca.pem", "CERTIFICATE", otherDER)

	srvKey := newKey()
	_, srvDER := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "localhost"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}, srvKey, ca, caKey)
	cs.CertFile = write("server.pem", "CERTIFICATE", srvDER)
	cs.KeyFile = write("server-key.pem", "PRIVATE KEY", pkcs8(srvKey))

	cliKey := newKey()
	_, cliDER := sign(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "riskwatch-client"},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, cliKey, ca, caKey)
	cs.ClientCertFile = write("client.pem", "CERTIFICATE", cliDER)
	cs.ClientKeyFile = write("client-key.pem", "PRIVATE KEY", pkcs8(cliKey))
	return cs
}

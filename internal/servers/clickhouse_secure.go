package servers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// ClickHouseTLS serves the native protocol over TLS on a second port
// (tcp_port_secure, with the server's openSSL section).
type ClickHouseTLS struct {
	// Port is the TLS native-protocol port; 0 picks a free loopback port.
	Port int
	// CertFile and KeyFile are the server's PEM certificate and key.
	CertFile, KeyFile string
}

// ClickHouseUser is an extra user of users.xml, reachable from loopback.
type ClickHouseUser struct {
	Name     string
	Password string // stored as its SHA-256
	// ReadOnly gives the user the "readonly" profile (readonly = 1: no
	// writes, no DDL, no changed settings); else the default profile.
	ReadOnly bool
}

// userName is what users.xml takes as an element name.
var userName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (c *ClickHouse) checkUsers() error {
	for _, u := range c.users {
		if !userName.MatchString(u.Name) || u.Name == "default" {
			return fmt.Errorf("ClickHouse user %q: must be a plain identifier other than default", u.Name)
		}
	}
	return nil
}

// secureXML is the config.xml fragment of the TLS port, or "".
func (c *ClickHouse) secureXML() (string, error) {
	if c.tls == nil {
		return "", nil
	}
	cert, err := xmlText(c.tls.CertFile)
	if err != nil {
		return "", err
	}
	key, err := xmlText(c.tls.KeyFile)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf(`
    <tcp_port_secure>%d</tcp_port_secure>
    <openSSL>
        <server>
            <certificateFile>%s</certificateFile>
            <privateKeyFile>%s</privateKeyFile>
            <verificationMode>none</verificationMode>
            <loadDefaultCAFile>false</loadDefaultCAFile>
            <cacheSessions>true</cacheSessions>
            <disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>
            <preferServerCiphers>true</preferServerCiphers>
        </server>
    </openSSL>
`, c.SecurePort, cert, key), nil
}

// usersXML is users.xml: the "default" user, a "readonly" profile and the
// extra users.
func (c *ClickHouse) usersXML() string {
	s := strings.Replace(clickHouseUsers, "    </profiles>", `        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>`, 1)
	var b strings.Builder
	for _, u := range c.users {
		profile := "default"
		if u.ReadOnly {
			profile = "readonly"
		}
		sum := sha256.Sum256([]byte(u.Password))
		name := u.Name
		fmt.Fprintf(&b, `        <%[1]s>
            <password_sha256_hex>%[2]s</password_sha256_hex>
            <networks>
                <ip>::1</ip>
                <ip>127.0.0.1</ip>
            </networks>
            <profile>%[3]s</profile>
            <quota>default</quota>
        </%[1]s>
`, name, hex.EncodeToString(sum[:]), profile)
	}
	return strings.Replace(s, "    </users>", b.String()+"    </users>", 1)
}

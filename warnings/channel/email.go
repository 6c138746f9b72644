package channel

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/warnings"
)

// TypeEmail is e-mail over SMTP: the URL is smtp://host:port, the
// recipients and the sender are Options.To and Options.From, the password
// (with Options.Username) is the secret. A report's PDF is attached.
const TypeEmail = "email"

// Email sends a notification as a MIME message over SMTP (STARTTLS when
// the server offers it; PLAIN authentication when a username is set).
type Email struct {
	o    Options
	addr string
	host string
}

func newEmail(o Options) (*Email, error) {
	u, err := url.Parse(o.URL)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, errors.New("channel url: not an smtp://host:port URL")
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "25")
	}
	if _, err := mail.ParseAddress(o.From); err != nil {
		return nil, fmt.Errorf("channel from: %q is not an e-mail address", o.From)
	}
	if len(o.To) == 0 {
		return nil, errors.New("channel to: no recipient")
	}
	for _, a := range o.To {
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, fmt.Errorf("channel to: %q is not an e-mail address", a)
		}
	}
	return &Email{o: o, addr: addr, host: u.Hostname()}, nil
}

// wrap76 cuts base64 text into lines of 76 characters (RFC 2045).
func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	b.WriteString(s + "\r\n")
	return b.String()
}

// EmailMessage is the MIME message of a notification: the subject (its
// title) RFC 2047-encoded, the text as a UTF-8 part, and for a report with
// a PDF the PDF as an attachment named after the report.
func EmailMessage(n *warnings.Notification, from string, to []string, deliveryID string, at time.Time) ([]byte, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	text, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"},
		"Content-Transfer-Encoding": {"base64"}})
	if err != nil {
		return nil, err
	}
	if _, err := text.Write([]byte(wrap76(base64.StdEncoding.EncodeToString([]byte(n.Markdown()))))); err != nil {
		return nil, err
	}
	if c := n.Report; c != nil && c.PDF != "" {
		pdf, err := os.ReadFile(c.PDF)
		if err != nil {
			return nil, fmt.Errorf("cannot read the report's PDF: %w", err)
		}
		name := c.Title + ".pdf"
		if c.Title == "" {
			name = path.Base(c.PDF)
		}
		att, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {mime.FormatMediaType("application/pdf", map[string]string{"name": name})},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
			"Content-Transfer-Encoding": {"base64"}})
		if err != nil {
			return nil, err
		}
		if _, err := att.Write([]byte(wrap76(base64.StdEncoding.EncodeToString(pdf)))); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	var m bytes.Buffer
	hdr := [][2]string{
		{"From", from},
		{"To", strings.Join(to, ", ")},
		{"Subject", mime.BEncoding.Encode("UTF-8", n.Title())},
		{"Date", at.Format(time.RFC1123Z)},
		{"Message-ID", "<" + deliveryID + "@riskwatch>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "multipart/mixed; boundary=" + mw.Boundary()},
	}
	for _, h := range hdr {
		m.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	m.WriteString("\r\n")
	m.Write(body.Bytes())
	return m.Bytes(), nil
}

// Send implements warnings.Channel. An SMTP 5xx answer is permanent, a
// 4xx one or a network error is retried.
func (c *Email) Send(ctx context.Context, n *warnings.Notification, deliveryID string) warnings.Result {
	msg, err := EmailMessage(n, c.o.From, c.o.To, deliveryID, c.o.Now())
	if err != nil {
		return warnings.Result{Err: err, Permanent: true}
	}
	code, err := c.send(ctx, msg)
	r := warnings.Result{StatusCode: code, Err: err}
	if err != nil {
		var te *textproto.Error
		r.Permanent = errors.As(err, &te) && te.Code >= 500
	} else {
		r.Response = "250 accepted"
	}
	return r
}

func (c *Email) send(ctx context.Context, msg []byte) (int, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return 0, fmt.Errorf("cannot connect to the SMTP server %s: %w", c.addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	cl, err := smtp.NewClient(conn, c.host)
	if err != nil {
		conn.Close()
		return smtpCode(err), fmt.Errorf("cannot greet the SMTP server %s: %w", c.addr, err)
	}
	defer cl.Close()
	if ok, _ := cl.Extension("STARTTLS"); ok {
		if err := cl.StartTLS(&tls.Config{ServerName: c.host, MinVersion: tls.VersionTLS12}); err != nil {
			return smtpCode(err), fmt.Errorf("cannot start TLS with %s: %w", c.addr, err)
		}
	}
	if c.o.Username != "" {
		if err := cl.Auth(smtp.PlainAuth("", c.o.Username, c.o.Secret, c.host)); err != nil {
			return smtpCode(err), fmt.Errorf("cannot authenticate to %s: %w", c.addr, err)
		}
	}
	steps := []func() error{func() error { return cl.Mail(c.o.From) }}
	for _, a := range c.o.To {
		steps = append(steps, func() error { return cl.Rcpt(a) })
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return smtpCode(err), fmt.Errorf("the SMTP server %s refused the envelope: %w", c.addr, err)
		}
	}
	w, err := cl.Data()
	if err != nil {
		return smtpCode(err), fmt.Errorf("the SMTP server %s refused DATA: %w", c.addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return 0, fmt.Errorf("cannot send the message to %s: %w", c.addr, err)
	}
	if err := w.Close(); err != nil {
		return smtpCode(err), fmt.Errorf("the SMTP server %s refused the message: %w", c.addr, err)
	}
	_ = cl.Quit()
	return 250, nil
}

func smtpCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

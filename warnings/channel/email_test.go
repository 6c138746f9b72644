package channel

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/internal/testenv"
	"github.com/riskwatch/riskwatch/warnings"
)

// A report card sent by e-mail to a real SMTP server (aiosmtpd on
// loopback) arrives once with the PDF attached byte for byte, and its
// Chinese subject travels RFC 2047-encoded and decodes back.
func TestEmailDeliversTheReportPDF(t *testing.T) {
	srv := testenv.NewSMTP(t)
	pdf := append([]byte("%PDF-1.4\n"), make([]byte, 200_000)...)
	if _, err := rand.Read(pdf[9:]); err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(t.TempDir(), "150500000000.pdf")
	if err := os.WriteFile(pdfPath, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	title := "通辽市矛盾纠纷风险预警周报（2026年第49周）"
	n := &warnings.Notification{ID: "n1", Receiver: "150500000000", ReceiverName: "通辽市委政法委", Reason: warnings.ReasonReport,
		CreatedAt: time.Date(2026, 12, 7, 7, 0, 0, 0, time.UTC),
		Report: &warnings.ReportCard{Title: title, Period: "2026-11-30 至 2026-12-06", Accepted: "1234", ResolveRate: "87.5%",
			Overdue: "12", Judgement: "总体平稳，局部升温", Red: []string{"科尔沁区"}, Link: "http://127.0.0.1:1/share/x", PDF: pdfPath}}
	ch, err := New(Options{Type: TypeEmail, URL: "smtp://" + srv.Addr, From: "riskwatch@example.org",
		To: []string{"leader@example.org", "center@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if r := ch.Send(ctx, n, "delivery-1"); r.Err != nil {
		t.Fatalf("send: %v (%d %s)", r.Err, r.StatusCode, r.Response)
	}
	var msgs [][]byte
	for deadline := time.Now().Add(10 * time.Second); len(msgs) == 0 && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		msgs = srv.Messages(t)
	}
	if len(msgs) != 1 {
		t.Fatalf("the server holds %d messages, want 1", len(msgs))
	}
	m, err := mail.ReadMessage(bytes.NewReader(msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	raw := m.Header.Get("Subject")
	if !strings.HasPrefix(raw, "=?UTF-8?b?") && !strings.HasPrefix(raw, "=?UTF-8?B?") {
		t.Errorf("the subject is not RFC 2047 base64-encoded: %q", raw)
	}
	for _, c := range raw {
		if c > 127 {
			t.Fatalf("the raw subject has a non-ASCII character: %q", raw)
		}
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "【订阅报告】" + title; subj != want {
		t.Errorf("subject decodes to %q, want %q", subj, want)
	}
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var text string
	var got []byte
	var filename string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(base64.NewDecoder(base64.StdEncoding, p))
		if err != nil {
			t.Fatal(err)
		}
		if p.FileName() != "" {
			filename, got = p.FileName(), b
		} else {
			text = string(b)
		}
	}
	if !bytes.Equal(got, pdf) {
		t.Errorf("the attachment has %d bytes and differs from the %d-byte PDF", len(got), len(pdf))
	}
	if filename != title+".pdf" {
		t.Errorf("attachment file name %q, want %q", filename, title+".pdf")
	}
	for _, want := range []string{"受理 1234 件", "化解率 87.5%", "超期 12 件", "研判结论：总体平稳，局部升温", "红色风险单位（1）：科尔沁区", "http://127.0.0.1:1/share/x"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
}

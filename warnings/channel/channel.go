// Package channel delivers warning notifications: a generic signed JSON
// webhook, the WeCom (企业微信) group robot, the DingTalk (钉钉) custom
// robot and the Feishu (飞书) custom bot.
//
// Where it sits: the warnings outbox hands each queued notification to a
// Channel; this package renders the payload, signs it, posts it and reads
// the answer. The robots answer HTTP 200 with an error code on failure, so
// the body is always parsed and a non-zero code is a failure. Base URLs are
// whole configured URLs, since government networks use their own gateways.
//
// What it does not do: queueing, retries and rate limits belong to the
// outbox (package warnings).
package channel

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/warnings"
)

// Types of channels.
const (
	TypeWebhook  = "webhook"
	TypeWeCom    = "wecom"
	TypeDingTalk = "dingtalk"
	TypeFeishu   = "feishu"
)

// Types lists the valid types.
var Types = []string{TypeWebhook, TypeWeCom, TypeDingTalk, TypeFeishu, TypeEmail}

// DefaultPerMinute is the robots' documented rate limit per robot (0 for
// the generic webhook: none).
func DefaultPerMinute(typ string) int {
	switch typ {
	case TypeWeCom, TypeDingTalk:
		return 20
	case TypeFeishu:
		return 100
	}
	return 0
}

// Options configure one channel.
type Options struct {
	Type   string
	URL    string
	Secret string
	// Client is the HTTP client (a client with a 10 s timeout when nil).
	Client *http.Client
	// Now is the clock for signature timestamps (time.Now when nil).
	Now func() time.Time
	// From, To and Username are the e-mail channel's sender, recipients
	// and SMTP user (Secret is the password).
	From     string
	To       []string
	Username string
}

// New returns the channel of o.Type.
func New(o Options) (warnings.Channel, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Type == TypeEmail {
		return newEmail(o)
	}
	if u, err := url.ParseRequestURI(o.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// The URL holds the robot's key: never print it.
		return nil, fmt.Errorf("channel url: not an absolute http(s) URL")
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	switch o.Type {
	case TypeWebhook:
		return &Webhook{o: o}, nil
	case TypeWeCom:
		return &WeCom{o: o}, nil
	case TypeDingTalk:
		return &DingTalk{o: o}, nil
	case TypeFeishu:
		return &Feishu{o: o}, nil
	}
	return nil, fmt.Errorf("unknown channel type %q (want webhook, wecom, dingtalk, feishu or email)", o.Type)
}

// maxResponse is how much of a response body the delivery log keeps.
const maxResponse = 2048

// post sends body and returns the status and the body read in full (up to
// 1 MiB; the log keeps the start).
func post(ctx context.Context, c *http.Client, u string, body []byte, hdr http.Header) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("cannot build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, postError(req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, b, fmt.Errorf("cannot read the response: %w", err)
	}
	return resp.StatusCode, b, nil
}

// postError describes a failed request without its URL's path, query and
// user info, which hold the robots' keys and tokens: the text goes to the
// delivery log, the API and the logs. A *url.Error is unwrapped to its
// operation and cause (whose own text names at most host and port).
func postError(u *url.URL, err error) error {
	where := u.Scheme + "://" + u.Host
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("cannot post to %s: %s: %w", where, ue.Op, scrub(ue.Err, u))
	}
	return fmt.Errorf("cannot post to %s: %w", where, scrub(err, u))
}

// redactedError keeps the chain of err (errors.Is/As still see a timeout)
// with a text from which the URL's secrets were removed.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// scrub returns err, or a copy whose text does not contain u's path,
// query or user info when it did.
func scrub(err error, u *url.URL) error {
	msg := err.Error()
	clean := msg
	for _, s := range []string{u.String(), u.RawQuery, u.EscapedPath(), u.User.String()} {
		if len(s) > 1 {
			clean = strings.ReplaceAll(clean, s, "<redacted>")
		}
	}
	if clean == msg {
		return err
	}
	return &redactedError{msg: clean, err: err}
}

func clip(b []byte) string {
	s := string(b)
	if len(s) > maxResponse {
		s = TruncateUTF8(s, maxResponse, "…")
	}
	return strings.ToValidUTF8(s, "?")
}

// PermanentHTTP reports whether an HTTP status is a permanent failure: a
// 4xx other than 408 (request timeout) and 429 (too many requests). A
// retry of the same request gets the same answer.
func PermanentHTTP(status int) bool {
	return status >= 400 && status <= 499 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests
}

// permanentCodes are the robots' documented error codes that a retry of
// the same message does not cure (REPORTS_ALERTS.md §3). Rate limits
// (WeCom 45009, DingTalk 130101, Feishu 11232) and "system busy" (-1) are
// transient and not listed.
var permanentCodes = map[string]map[int]bool{
	// WeCom: 93000 invalid webhook key, 93004 robot removed, 93008 not a
	// member of the chat; 40008 invalid message type, 40058 invalid
	// parameter, 44004 empty content.
	TypeWeCom: {93000: true, 93004: true, 93008: true, 40008: true, 40058: true, 44004: true},
	// DingTalk: 310000 keyword miss, bad signature, timestamp out of range
	// or IP not allowed; 300001 / 300005 / 400101 bad access_token; 400102
	// robot stopped; 400106 robot does not exist; 400105 message type not
	// supported; 460101 message too large.
	TypeDingTalk: {310000: true, 300001: true, 300005: true, 400101: true, 400102: true, 400105: true, 400106: true, 460101: true},
	// Feishu: 9499 malformed body, 19021 bad signature, 19022 IP not
	// allowed, 19024 keyword miss.
	TypeFeishu: {9499: true, 19021: true, 19022: true, 19024: true},
}

// PermanentCode reports whether a robot's error code is permanent.
func PermanentCode(typ string, code int) bool { return permanentCodes[typ][code] }

// robotResult checks an IM robot's answer: HTTP 200 and a zero error code
// in the body (errcode for WeCom and DingTalk, code for Feishu).
func robotResult(typ string) func(status int, body []byte, err error) warnings.Result {
	return func(status int, body []byte, err error) warnings.Result { return checkRobot(typ, status, body, err) }
}

func checkRobot(typ string, status int, body []byte, err error) warnings.Result {
	r := warnings.Result{StatusCode: status, Response: clip(body), Err: err}
	if err != nil {
		return r
	}
	if status != http.StatusOK {
		r.Err = fmt.Errorf("HTTP %d", status)
		r.Permanent = PermanentHTTP(status)
		return r
	}
	var ans struct {
		ErrCode *int   `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
		Code    *int   `json:"code"`
		Msg     string `json:"msg"`
		// Older Feishu answers.
		StatusCode *int `json:"StatusCode"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		r.Err = fmt.Errorf("cannot parse the answer: %w", err)
		return r
	}
	switch {
	case ans.ErrCode != nil:
		if *ans.ErrCode != 0 {
			r.Err = fmt.Errorf("errcode %d: %s", *ans.ErrCode, ans.ErrMsg)
			r.Permanent = PermanentCode(typ, *ans.ErrCode)
		}
	case ans.Code != nil:
		if *ans.Code != 0 {
			r.Err = fmt.Errorf("code %d: %s", *ans.Code, ans.Msg)
			r.Permanent = PermanentCode(typ, *ans.Code)
		}
	case ans.StatusCode != nil:
		if *ans.StatusCode != 0 {
			r.Err = fmt.Errorf("StatusCode %d", *ans.StatusCode)
		}
	default:
		r.Err = fmt.Errorf("answer has no error code")
	}
	return r
}

// TruncateUTF8 cuts s to at most limit bytes, ending with suffix: at the
// last line break that fits if that keeps at least half the room, or else
// at a rune boundary, never inside a UTF-8 sequence.
func TruncateUTF8(s string, limit int, suffix string) string {
	if len(s) <= limit {
		return s
	}
	room := limit - len(suffix)
	if room <= 0 {
		return TruncateUTF8(suffix, limit, "")
	}
	cut := s[:room]
	if i := strings.LastIndexByte(cut, '\n'); i > 0 && 2*(i+1) >= room {
		return s[:i+1] + suffix
	}
	for room > 0 && !utf8.RuneStart(s[room]) {
		room--
	}
	return s[:room] + suffix
}

// Webhook posts a JSON document, signed with HMAC-SHA256 over the
// timestamp, a dot and the body:
//
//	X-Riskwatch-Timestamp: <unix seconds>
//	X-Riskwatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//	Idempotency-Key: <delivery id, the same on every retry>
//
// Any 2xx answer is success.
type Webhook struct{ o Options }

// WebhookSignature is the X-Riskwatch-Signature value for a body sent at ts.
func WebhookSignature(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// WebhookPayload is the generic webhook's JSON document.
type WebhookPayload struct {
	Version        string           `json:"version"`
	ID             string           `json:"id"`
	NotificationID string           `json:"notification_id"`
	GroupKey       string           `json:"group_key"`
	Receiver       string           `json:"receiver"`
	ReceiverName   string           `json:"receiver_name"`
	Status         string           `json:"status"`
	Reason         string           `json:"reason"`
	Level          string           `json:"level"`
	Title          string           `json:"title"`
	Text           string           `json:"text"`
	CreatedAt      time.Time        `json:"created_at"`
	Warnings       []WebhookWarning `json:"warnings"`
}

// WebhookWarning is one warning in the webhook document.
type WebhookWarning struct {
	ID         string    `json:"id"`
	Status     string    `json:"status"`
	Level      string    `json:"level"`
	Kind       string    `json:"kind"`
	Rule       string    `json:"rule"`
	Subject    string    `json:"subject"` // the window or "source:case_id"
	Region     string    `json:"region"`
	RegionName string    `json:"region_name"`
	Category   string    `json:"category,omitempty"`
	Title      string    `json:"title"`
	Body       string    `json:"body"`
	Link       string    `json:"link"`
	StartsAt   time.Time `json:"starts_at"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
}

// Send implements warnings.Channel.
func (c *Webhook) Send(ctx context.Context, n *warnings.Notification, deliveryID string) warnings.Result {
	p := WebhookPayload{Version: "1", ID: deliveryID, NotificationID: n.ID, GroupKey: n.GroupKey, Receiver: n.Receiver,
		ReceiverName: n.ReceiverName, Status: n.Status(), Reason: n.Reason, Level: n.MaxLevel().String(),
		Title: n.Title(), Text: n.Markdown(), CreatedAt: n.CreatedAt}
	for _, ws := range [][]warnings.Warning{n.Firing, n.Resolved} {
		for _, w := range ws {
			p.Warnings = append(p.Warnings, WebhookWarning{ID: w.ID, Status: w.State, Level: w.Level.String(), Kind: w.Kind,
				Rule: w.Rule, Subject: w.Subject, Region: w.Region, RegionName: w.RegionName, Category: w.Category, Title: w.Title,
				Body: w.Body, Link: w.Link, StartsAt: w.StartsAt, ResolvedAt: w.ResolvedAt})
		}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return warnings.Result{Err: err}
	}
	ts := c.o.Now().Unix()
	hdr := http.Header{}
	hdr.Set("Idempotency-Key", deliveryID)
	hdr.Set("X-Riskwatch-Timestamp", strconv.FormatInt(ts, 10))
	if c.o.Secret != "" {
		hdr.Set("X-Riskwatch-Signature", WebhookSignature(c.o.Secret, ts, body))
	}
	status, resp, err := post(ctx, c.o.Client, c.o.URL, body, hdr)
	r := warnings.Result{StatusCode: status, Response: clip(resp), Err: err}
	if err == nil && (status < 200 || status > 299) {
		r.Err = fmt.Errorf("HTTP %d", status)
		r.Permanent = PermanentHTTP(status)
	}
	return r
}

// WeComMaxBytes is the WeCom robot's markdown limit in UTF-8 bytes.
const WeComMaxBytes = 4096

const truncated = "\n…（内容过长，已截断，请点击链接查看）"

// WeCom posts markdown to a WeCom group robot (the key in the URL is the
// credential; there is no signing).
type WeCom struct{ o Options }

// WeComContent is the markdown a WeCom robot receives for a notification's
// markdown: cut to the robot's limit, with a notice.
func WeComContent(markdown string) string { return TruncateUTF8(markdown, WeComMaxBytes, truncated) }

// DingTalkText is the markdown text a DingTalk robot receives.
func DingTalkText(markdown string) string { return TruncateUTF8(markdown, dingTalkMaxBytes, truncated) }

// WeComBody is the robot's JSON body for the notification.
func WeComBody(n *warnings.Notification) ([]byte, error) {
	return json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": WeComContent(n.Markdown())}})
}

// Send implements warnings.Channel.
func (c *WeCom) Send(ctx context.Context, n *warnings.Notification, deliveryID string) warnings.Result {
	body, err := WeComBody(n)
	if err != nil {
		return warnings.Result{Err: err}
	}
	return robotResult(TypeWeCom)(post(ctx, c.o.Client, c.o.URL, body, nil))
}

// DingTalk posts markdown to a DingTalk custom robot, signed when a secret
// is set: timestamp (ms) and sign are appended to the URL.
type DingTalk struct{ o Options }

// DingTalkSign is Base64(HMAC-SHA256(key=secret, msg=timestamp+"\n"+secret))
// for a timestamp in milliseconds, before URL encoding.
func DingTalkSign(secret string, tsMillis int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(tsMillis, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// DingTalkURL appends timestamp and the URL-encoded sign to the robot URL.
func DingTalkURL(base, secret string, tsMillis int64) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("timestamp", strconv.FormatInt(tsMillis, 10))
	q.Set("sign", DingTalkSign(secret, tsMillis))
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// dingTalkMaxBytes bounds the markdown text.
const dingTalkMaxBytes = 18000

// Send implements warnings.Channel.
func (c *DingTalk) Send(ctx context.Context, n *warnings.Notification, deliveryID string) warnings.Result {
	md := DingTalkText(n.Markdown())
	body, err := json.Marshal(map[string]any{"msgtype": "markdown",
		"markdown": map[string]string{"title": n.Title(), "text": md}})
	if err != nil {
		return warnings.Result{Err: err}
	}
	u := c.o.URL
	if c.o.Secret != "" {
		if u, err = DingTalkURL(c.o.URL, c.o.Secret, c.o.Now().UnixMilli()); err != nil {
			return warnings.Result{Err: err}
		}
	}
	return robotResult(TypeDingTalk)(post(ctx, c.o.Client, u, body, nil))
}

// Feishu posts a rich-text (post) message to a Feishu custom bot, signed
// when a secret is set: timestamp (seconds) and sign are body fields.
type Feishu struct{ o Options }

// FeishuSign is Base64(HMAC-SHA256(key=timestamp+"\n"+secret, msg="")) for
// a timestamp in seconds.
func FeishuSign(secret string, tsSec int64) string {
	m := hmac.New(sha256.New, []byte(strconv.FormatInt(tsSec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// feishuMaxBytes keeps the body under the bot's 20 KB limit.
const feishuMaxBytes = 16000

type feishuTag map[string]string

// FeishuBody is the bot's JSON body for the notification at tsSec: a
// rich-text post with the title, one paragraph per warning and a link
// element to its page, cut (with a count of what was left out) to stay
// under the bot's 20 KB limit.
func FeishuBody(n *warnings.Notification, secret string, tsSec int64) ([]byte, error) {
	lines := [][]feishuTag{{{"tag": "text", "text": fmt.Sprintf("接收单位：%s　类型：%s　时间：%s", n.ReceiverName, n.ReasonZH(),
		n.CreatedAt.In(schemas.Zone()).Format("2006-01-02 15:04"))}}}
	size := 0
	left := 0
	add := func(p ...[]feishuTag) {
		b, _ := json.Marshal(p)
		if size+len(b) > feishuMaxBytes {
			left++
			return
		}
		size += len(b)
		lines = append(lines, p...)
	}
	if c := n.Report; c != nil {
		// The card's lines as text, its link as a link element.
		for _, l := range strings.Split(n.Markdown(), "\n")[1:] {
			l = strings.TrimPrefix(strings.Trim(strings.TrimSpace(l), "*"), "> ")
			if l != "" && !strings.HasPrefix(l, "[查看报告]") {
				add([]feishuTag{{"tag": "text", "text": l}})
			}
		}
		if c.Link != "" {
			add([]feishuTag{{"tag": "a", "text": "查看报告", "href": c.Link}})
		}
	}
	for _, w := range n.Firing {
		add([]feishuTag{{"tag": "text", "text": "【" + w.Level.ZH() + "】" + w.Title}},
			[]feishuTag{{"tag": "text", "text": w.Body + " "}, {"tag": "a", "text": "查看详情", "href": w.Link}})
	}
	for _, w := range n.Resolved {
		add([]feishuTag{{"tag": "text", "text": "【已解除】" + w.Title}})
	}
	if left > 0 {
		lines = append(lines, []feishuTag{{"tag": "text", "text": fmt.Sprintf("…另有 %d 条，请在系统中查看", left)}})
	}
	msg := map[string]any{"msg_type": "post", "content": map[string]any{"post": map[string]any{
		"zh_cn": map[string]any{"title": n.Title(), "content": lines}}}}
	if secret != "" {
		msg["timestamp"] = strconv.FormatInt(tsSec, 10)
		msg["sign"] = FeishuSign(secret, tsSec)
	}
	return json.Marshal(msg)
}

// Send implements warnings.Channel.
func (c *Feishu) Send(ctx context.Context, n *warnings.Notification, deliveryID string) warnings.Result {
	body, err := FeishuBody(n, c.o.Secret, c.o.Now().Unix())
	if err != nil {
		return warnings.Result{Err: err}
	}
	return robotResult(TypeFeishu)(post(ctx, c.o.Client, c.o.URL, body, nil))
}

package app

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/riskwatch/riskwatch/api"
	"github.com/riskwatch/riskwatch/internal/config"
	"github.com/riskwatch/riskwatch/internal/subscriptions"
	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/warnings/channel"
)

// demoInboxChannel is the channel name of the demo inbox.
const demoInboxChannel = "demo-inbox"

// demoInboxReports is the channel of the demo's subscribed reports (to the
// same receiver).
const demoInboxReports = "demo-inbox-reports"

// demoInboxKeep is how many messages the demo inbox keeps (the oldest go).
const demoInboxKeep = 500

// demoInboxKeepReports is how many report cards it keeps.
const demoInboxKeepReports = 100

// mountDemoInbox gives the demo a receiver when no center is configured:
// every center is served by a signed webhook channel that posts to a
// handler of this process (/console/inbox/hook, over loopback), and
// /console/inbox shows what each center received, as the WeCom and
// DingTalk robots would show it. It runs before mountWarnings, whose
// engine then uses the channel; outside the demo, or with centers or
// without the API's token check, it does nothing.
func mountDemoInbox(env *serveEnv) (func(), error) {
	w := env.cfg.Warnings
	if !env.cfg.Demo.Enabled || !w.Enabled || len(w.Centers) > 0 {
		return nil, nil
	}
	if !env.apiMounted {
		env.log.Warn("the demo inbox needs the API's token check (api.enabled); warnings are stored, not pushed")
		return nil, nil
	}
	hook, err := loopbackURL(env.baseURL, "/console/inbox/hook")
	if err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("cannot make the demo inbox's secret: %w", err)
	}
	in := &demoInbox{secret: hex.EncodeToString(secret), seen: map[string]bool{}, now: time.Now}
	chans := make(map[string]config.WarningChannel, len(w.Channels)+1)
	for n, c := range w.Channels {
		chans[n] = c
	}
	chans[demoInboxChannel] = config.WarningChannel{Type: channel.TypeWebhook, URL: hook, Secret: in.secret, Timeout: 10 * time.Second}
	// The reports have a queue of their own: they do not wait behind the
	// demo's flood of warnings.
	chans[demoInboxReports] = chans[demoInboxChannel]
	env.cfg.Warnings.Channels = chans
	env.cfg.Warnings.Centers = map[string]config.StringList{"*": {demoInboxChannel}}

	if env.subs != nil {
		// The city's leader subscribes to the weekly city report: it
		// arrives here, as a card with a signed link, once the week's jobs
		// are done.
		root := env.regions.Root()
		s, err := subscriptions.New(env.regions, map[string]string{demoInboxReports: channel.TypeWebhook}, subscriptions.OwnerLeader,
			root.Name+"委政法委书记（演示）", root.Code, root.Code, "week", []string{demoInboxReports})
		if err != nil {
			return nil, fmt.Errorf("cannot subscribe the demo's leader: %w", err)
		}
		env.subs.Add(s)
		fmt.Fprintf(env.out, "  演示订阅 demo subscription: %s 订阅%s周报，推送到演示收件箱 (%s)\n", s.Owner, root.Name, s.ID)
	}
	env.mux.Handle("POST /console/inbox/hook", http.HandlerFunc(in.receive))
	// The roles that may acknowledge warnings may read them here.
	page := env.requireRole(api.RoleLeader, api.RoleCenterOperator, api.RoleAdmin)(http.HandlerFunc(in.page))
	env.mux.Handle("GET /console/inbox", api.ConsolePage(page))
	link := env.baseURL + "/console/inbox"
	if env.demoToken != "" {
		link += "?token=" + env.demoToken
	}
	fmt.Fprintf(env.out, "  演示收件箱 demo inbox: %s  (未配置 warnings.centers：各中心将收到的预警在此查看 what each center would receive)\n", link)
	return nil, nil
}

// loopbackURL returns path on the listener of base, reached over loopback
// when the listener is on every interface.
func loopbackURL(base, path string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("cannot parse the base URL: %w", err)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", fmt.Errorf("cannot parse the listen address %q: %w", u.Host, err)
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + path, nil
}

// demoInbox holds the messages the demo's centers received.
type demoInbox struct {
	secret string
	now    func() time.Time

	mu   sync.Mutex
	msgs []inboxMessage // oldest first
	// reports are the subscribed reports' cards (oldest first), kept
	// apart from the warnings so that their flood does not push them out.
	reports []inboxMessage
	seen    map[string]bool
}

// inboxMessage is one received notification.
type inboxMessage struct {
	Received time.Time
	channel.WebhookPayload
}

// maxSkew is how far a webhook's timestamp may be from the clock.
const maxSkew = 5 * time.Minute

// receive is the webhook receiver: it checks the signature (HMAC-SHA256
// with the inbox's secret over timestamp "." body) and the timestamp, and
// keeps each delivery once (by its idempotency key).
func (in *demoInbox) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	ts, err := strconv.ParseInt(r.Header.Get("X-Riskwatch-Timestamp"), 10, 64)
	if err != nil {
		http.Error(w, "X-Riskwatch-Timestamp: not a Unix time", http.StatusUnauthorized)
		return
	}
	want := channel.WebhookSignature(in.secret, ts, body)
	if !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Riskwatch-Signature"))) {
		http.Error(w, "X-Riskwatch-Signature: does not match", http.StatusUnauthorized)
		return
	}
	now := in.now()
	if d := now.Sub(time.Unix(ts, 0)); d > maxSkew || d < -maxSkew {
		http.Error(w, "X-Riskwatch-Timestamp: too far from the clock", http.StatusUnauthorized)
		return
	}
	var p channel.WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		http.Error(w, "body: not a warning notification", http.StatusBadRequest)
		return
	}
	key := p.ID
	in.mu.Lock()
	if !in.seen[key] {
		in.seen[key] = true
		if p.Reason == "report" || p.Reason == "report_failed" {
			in.reports = append(in.reports, inboxMessage{Received: now, WebhookPayload: p})
			if n := len(in.reports) - demoInboxKeepReports; n > 0 {
				in.reports = append([]inboxMessage(nil), in.reports[n:]...)
			}
		} else {
			in.msgs = append(in.msgs, inboxMessage{Received: now, WebhookPayload: p})
		}
		if n := len(in.msgs) - demoInboxKeep; n > 0 {
			for _, m := range in.msgs[:n] {
				delete(in.seen, m.ID)
			}
			in.msgs = append([]inboxMessage(nil), in.msgs[n:]...)
		}
	}
	in.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"ok":true}`)
}

// inboxCenter is a center with its message count, for the page.
type inboxCenter struct {
	Code, Name string
	N          int
	Selected   bool
}

// inboxCard is a message as the page shows it.
type inboxCard struct {
	Received, Receiver, ReceiverName, Reason, Level, LevelZH, Status, Title string
	WeCom, DingTalk                                                         template.HTML
	Warnings                                                                int
	// Report is set for a subscribed report's card.
	Report bool
}

var centerParam = regexp.MustCompile(`^[0-9]{1,12}$`)

// page renders the inbox: the centers that received messages, and the
// messages (newest first, at most 100) of one center or all, limited to
// the token's region scope.
func (in *demoInbox) page(w http.ResponseWriter, r *http.Request) {
	center := r.URL.Query().Get("center")
	if center != "" && !centerParam.MatchString(center) {
		http.Error(w, "center: not a region code (12 digits)", http.StatusBadRequest)
		return
	}
	scope := ""
	if p, ok := api.PrincipalFrom(r.Context()); ok {
		scope = p.Scope
	}
	in.mu.Lock()
	msgs := append([]inboxMessage(nil), in.msgs...)
	reps := append([]inboxMessage(nil), in.reports...)
	in.mu.Unlock()
	var reportCards []inboxCard
	for i := len(reps) - 1; i >= 0; i-- {
		if m := reps[i]; strings.HasPrefix(m.Receiver, scope) && (center == "" || m.Receiver == center) {
			reportCards = append(reportCards, cardOf(m))
		}
	}
	counts := map[string]*inboxCenter{}
	var cards []inboxCard
	total := 0
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		if !strings.HasPrefix(m.Receiver, scope) {
			continue
		}
		total++
		c := counts[m.Receiver]
		if c == nil {
			c = &inboxCenter{Code: m.Receiver, Name: m.ReceiverName, Selected: m.Receiver == center}
			counts[m.Receiver] = c
		}
		c.N++
		if (center == "" || m.Receiver == center) && len(cards) < 100 {
			cards = append(cards, cardOf(m))
		}
	}
	centers := make([]inboxCenter, 0, len(counts))
	for _, c := range counts {
		centers = append(centers, *c)
	}
	sort.Slice(centers, func(i, j int) bool { return centers[i].Code < centers[j].Code })
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := inboxTemplate.Execute(w, map[string]any{"Centers": centers, "Cards": cards, "Reports": reportCards, "Total": total, "Center": center})
	if err != nil {
		return // the client went away
	}
}

// cardOf is a message as the page shows it.
func cardOf(m inboxMessage) inboxCard {
	return inboxCard{Received: m.Received.In(schemas.Zone()).Format("2006-01-02 15:04:05"),
		Receiver: m.Receiver, ReceiverName: m.ReceiverName, Reason: m.Reason, Level: m.Level,
		LevelZH: levelZH[m.Level], Status: m.Status, Title: m.Title, Warnings: len(m.Warnings),
		WeCom: markdownHTML(channel.WeComContent(m.Text)), DingTalk: markdownHTML(channel.DingTalkText(m.Text)),
		Report: m.Reason == "report" || m.Reason == "report_failed"}
}

var levelZH = map[string]string{"red": "红色", "orange": "橙色", "yellow": "黄色", "blue": "蓝色"}

var (
	mdLink = regexp.MustCompile(`\[([^\]]+)\]\(((?:https?://|/)[^)\s]*)\)`)
	mdBold = regexp.MustCompile(`\*\*(.+?)\*\*`)
)

// markdownHTML renders the markdown the robots receive (headings, quotes,
// bold, links: what warnings.Notification.Markdown writes) as HTML. Every
// line is escaped first; links keep only http(s) and site-relative URLs.
func markdownHTML(md string) template.HTML {
	var b strings.Builder
	for _, line := range strings.Split(md, "\n") {
		tag := "p"
		switch {
		case strings.HasPrefix(line, "### "):
			tag, line = "h3", line[4:]
		case strings.HasPrefix(line, "> "):
			tag, line = "blockquote", line[2:]
		case strings.TrimSpace(line) == "":
			continue
		}
		s := template.HTMLEscapeString(line)
		s = mdLink.ReplaceAllString(s, `<a href="$2" target="_blank" rel="noopener noreferrer">$1</a>`)
		s = mdBold.ReplaceAllString(s, `<strong>$1</strong>`)
		b.WriteString("<" + tag + ">" + s + "</" + tag + ">\n")
	}
	return template.HTML(b.String())
}

var inboxTemplate = template.Must(template.New("inbox").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="15">
<title>演示收件箱 · 预警推送</title>
<style>
body{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:0;background:#f2f3f5;color:#1f2329}
header{background:#1f4e79;color:#fff;padding:14px 24px}
header h1{margin:0;font-size:20px}
header p{margin:6px 0 0;font-size:13px;opacity:.9}
header a{color:#fff}
main{display:flex;gap:20px;padding:20px 24px}
nav{width:260px;flex:none;background:#fff;border-radius:6px;padding:12px;align-self:flex-start}
nav h2{font-size:14px;margin:0 0 8px}
nav a{display:flex;justify-content:space-between;padding:6px 8px;border-radius:4px;color:#1f2329;text-decoration:none;font-size:13px}
nav a.on,nav a:hover{background:#e8f0fb}
section{flex:1;min-width:0}
.msg{margin-bottom:22px}
.meta{font-size:12px;color:#646a73;margin:0 0 6px}
.meta b{color:#1f2329}
.pair{display:flex;gap:16px;flex-wrap:wrap}
.card{flex:1;min-width:300px;max-width:520px;background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.08);overflow:hidden}
.card .bar{font-size:12px;padding:6px 12px;color:#fff}
.wecom .bar{background:#2b7de9}
.ding .bar{background:#1677ff}
.card .bot{display:flex;align-items:center;gap:8px;padding:10px 12px 0;font-size:12px;color:#8f959e}
.card .bot i{display:inline-block;width:24px;height:24px;border-radius:4px;background:#07c160;color:#fff;font-style:normal;text-align:center;line-height:24px}
.ding .bot i{background:#1677ff}
.body{padding:4px 14px 12px;font-size:14px;line-height:1.6}
.body h3{font-size:15px;margin:8px 0}
.body blockquote{margin:4px 0;padding-left:8px;border-left:3px solid #dee0e3;color:#646a73;font-size:12px}
.body p{margin:4px 0}
.body a{color:#2b7de9}
.lv-red{color:#d83931}.lv-orange{color:#de7802}.lv-yellow{color:#b88e00}.lv-blue{color:#245bdb}
.empty{background:#fff;border-radius:6px;padding:24px;color:#646a73}
h2.subs{font-size:15px;margin:0 0 10px;color:#1f4e79}
.report{color:#1f4e79;font-weight:bold}
.body{overflow-wrap:anywhere}
@media (max-width:700px){header{padding:10px 12px}header h1{font-size:17px}main{flex-direction:column;gap:12px;padding:10px}nav{width:auto;align-self:stretch}.card{min-width:0;flex-basis:100%}}
</style></head><body>
<header><h1>演示收件箱 · 各综治中心将收到的预警消息</h1>
<p>未配置 warnings.centers：预警引擎把每条推送发到本机的签名 Webhook，本页按企业微信群机器人与钉钉机器人的卡片样式显示各中心将收到的内容。配置 warnings.centers 与 warnings.channels 后即推送到真实的群机器人。启动时载入的两年历史数据只入库、不推送（规则预警只推送受理时间在 warnings.rule_alarm_ttl 即24小时内的案件），历史预警见分析控制台与报告。本页每 15 秒刷新。
<a href="/console/">返回分析控制台</a></p></header>
<main>
<nav><h2>接收单位（共 {{.Total}} 条）</h2>
<a href="/console/inbox"{{if eq .Center ""}} class="on"{{end}}><span>全部中心</span><span>{{.Total}}</span></a>
{{range .Centers}}<a href="/console/inbox?center={{.Code}}"{{if .Selected}} class="on"{{end}}><span>{{.Name}}</span><span>{{.N}}</span></a>
{{end}}</nav>
<section>
{{if .Reports}}<h2 class="subs">订阅报告（共 {{len .Reports}} 份）</h2>
{{range .Reports}}{{template "msg" .}}{{end}}<h2 class="subs">预警消息</h2>
{{end}}{{range .Cards}}{{template "msg" .}}
{{else}}<div class="empty">尚未收到预警推送。演示数据写入后，规则预警约半分钟内到达（warnings.group_wait）；指数与统计预警在各窗口计算完成后到达。</div>
{{end}}</section></main></body></html>
{{define "msg"}}<div class="msg">
<p class="meta"><b>{{.ReceiverName}}</b>（{{.Receiver}}）· 收到 {{.Received}} · {{if .Report}}<span class="report">订阅报告</span>{{else}}<span class="lv-{{.Level}}">{{.LevelZH}}</span> · {{.Warnings}} 条预警{{end}}</p>
<div class="pair">
<div class="card wecom"><div class="bar">企业微信群机器人</div><div class="bot"><i>{{if .Report}}报{{else}}预{{end}}</i>{{if .Report}}报告订阅机器人{{else}}风险预警机器人{{end}}</div><div class="body">{{.WeCom}}</div></div>
<div class="card ding"><div class="bar" title="会话列表显示：{{.Title}}">钉钉机器人</div><div class="bot"><i>{{if .Report}}报{{else}}预{{end}}</i>{{if .Report}}报告订阅机器人{{else}}风险预警机器人{{end}}</div><div class="body">{{.DingTalk}}</div></div>
</div></div>
{{end}}`))

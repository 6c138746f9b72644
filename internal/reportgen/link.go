package reportgen

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A signed link opens one report file without a login: its path, the
// recipient's region scope (a division-code prefix) and an expiry, signed
// with HMAC-SHA256 under a deployment secret. It is no API token: it
// opens nothing but that file, only while the file's region lies in the
// scope, and only until it expires.

// linkSignature is the hex HMAC-SHA256 of the link's fields.
func linkSignature(secret []byte, rel, scope string, exp int64) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("riskwatch-report-link-v1\n" + rel + "\n" + scope + "\n" + strconv.FormatInt(exp, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// SignLink returns the link (below base, e.g. http://host/share/) that
// opens the report file rel (ReportPath) for a recipient of scope until
// exp.
func SignLink(base string, secret []byte, rel, scope string, exp time.Time) string {
	q := url.Values{"scope": {scope}, "exp": {strconv.FormatInt(exp.Unix(), 10)},
		"sig": {linkSignature(secret, rel, scope, exp.Unix())}}
	if scope == "" {
		q.Set("scope", "")
	}
	return strings.TrimSuffix(base, "/") + "/" + rel + "?" + q.Encode()
}

// LinkHandler serves report files below prefix to signed links (SignLink)
// with no other credential: a link whose signature does not match its
// path, scope and expiry, that has expired, or whose report lies outside
// its scope is refused with 403; a path that is not a report file is 404.
// now is the clock.
func (g *Generator) LinkHandler(prefix string, secret []byte, now func() time.Time) http.Handler {
	prefix = "/" + strings.Trim(prefix, "/") + "/"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := reportRequest(w, r, prefix)
		if !ok {
			return
		}
		m := reportName.FindStringSubmatch(rest)
		if m == nil {
			http.NotFound(w, r)
			return
		}
		q := r.URL.Query()
		scope, expS, sig := q.Get("scope"), q.Get("exp"), q.Get("sig")
		exp, err := strconv.ParseInt(expS, 10, 64)
		forbid := func(why string) {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "链接无效或已过期 ("+why+")", http.StatusForbidden)
		}
		if err != nil || len(q["scope"]) != 1 || len(q["exp"]) != 1 || len(q["sig"]) != 1 {
			forbid("malformed link")
			return
		}
		if !hmac.Equal([]byte(sig), []byte(linkSignature(secret, rest, scope, exp))) {
			forbid("bad signature")
			return
		}
		if !now().Before(time.Unix(exp, 0)) {
			forbid("expired")
			return
		}
		if !strings.HasPrefix(m[3], scope) {
			forbid("report outside the link's scope")
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: 'self'; frame-ancestors 'self'")
		w.Header().Set("Cache-Control", "private, no-cache")
		w.Header().Set("Referrer-Policy", "no-referrer")
		g.serveFile(w, r, filepath.Join(g.opts.Dir, m[1], m[2], m[3]+"."+m[4]), reportTypes[m[4]])
	})
}

package api

import (
	"regexp"
	"strings"
)

// Redaction of the delivery log's free text (error, response): a failed
// post's error or a robot's answer can quote the robot's URL, whose path or
// query string holds its key (企业微信 send?key=…, 钉钉 access_token=…,
// 飞书 hook/<token>).
var (
	// urlLike is a URL: scheme, "://" (or JSON's ":\/\/"), the authority
	// and the rest (path, query string, fragment) up to a space or quote.
	urlLike = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.\-]*)(://|:\\/\\/)([^\s/\\?#"'<>` + "`" + `]*)([^\s"'<>` + "`" + `]*)`)
	// secretParam is a key=value pair whose name says it is a secret, also
	// outside a URL (a bare query string).
	secretParam = regexp.MustCompile(`(?i)\b((?:access_?)?token|key|secret|sign(?:ature)?|password|passwd|pwd|auth|api_?key|webhook)(=|%3D)[^&\s"'<>` + "`" + `]+`)
)

// redactURLs rewrites every URL in s that has a path, a query string or
// user info to scheme://host/… (a bare scheme://host stays), then blanks the
// values of secret-looking key=value pairs left elsewhere.
func redactURLs(s string) string {
	s = urlLike.ReplaceAllStringFunc(s, func(m string) string {
		p := urlLike.FindStringSubmatch(m)
		scheme, sep, authority, rest := p[1], p[2], p[3], p[4]
		if i := strings.LastIndexByte(authority, '@'); i >= 0 {
			authority = authority[i+1:]
		}
		if rest == "" || rest == "/" || rest == `\/` {
			return scheme + sep + authority + rest
		}
		slash := "/"
		if sep != "://" {
			slash = `\/`
		}
		return scheme + sep + authority + slash + "…"
	})
	return secretParam.ReplaceAllString(s, "$1$2…")
}

// deliveryText are the delivery log's free-text columns: shown to admin
// tokens only, and redacted for them too.
var deliveryText = map[string]bool{"error": true, "response": true}

// redactDeliveries blanks the error and response of every row for a role
// other than admin and redacts URLs in them for admin.
func redactDeliveries(res *result, role string) {
	for i, c := range res.columns {
		if !deliveryText[c] {
			continue
		}
		for _, row := range res.rows {
			s, ok := row[i].(string)
			if !ok {
				continue
			}
			if role != RoleAdmin {
				row[i] = ""
			} else {
				row[i] = redactURLs(s)
			}
		}
	}
}

// Redaction of the request URLs the audit log and the server log keep: a
// token may arrive anywhere in a URL and in any spelling (rwk%5F…, %72wk_…,
// double escapes, a parameter named token[]), so the checks run on the
// fully decoded text, and what they find is cut from the stored form.
var (
	// tokenAnywhere is this service's token prefix in any case.
	tokenAnywhere = regexp.MustCompile(`(?i)rwk_`)
	// tokenBody is a run of token characters as long as a token's random
	// part (43): no parameter of the API is that long, so it is cut even
	// without its prefix.
	tokenBody = regexp.MustCompile(`[A-Za-z0-9_\-]{40,}`)
)

// decodeAll undoes percent-escapes (and + for space) until the text stops
// changing, at most 4 times, keeping malformed escapes as they are: what a
// server or a browser could make of the text at any depth.
func decodeAll(s string) string {
	for range 4 {
		if !strings.ContainsAny(s, "%+") {
			return s
		}
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '+':
				b.WriteByte(' ')
			case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
				b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
				i += 2
			default:
				b.WriteByte(c)
			}
		}
		d := b.String()
		if d == s {
			return s
		}
		s = d
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	default:
		return c - 'a' + 10
	}
}

// holdsToken reports whether s, decoded, has a token's prefix or a run as
// long as a token's random part.
func holdsToken(s string) bool {
	d := decodeAll(s)
	return tokenAnywhere.MatchString(d) || tokenBody.MatchString(d) || tokenBody.MatchString(s)
}

// redactQuery is a raw query string as the logs keep it: a pair whose
// decoded name says token (token, TOKEN, %74oken, access_token, rw_token,
// token[] …) is dropped, and a pair whose name or value holds a token in
// any spelling keeps its name with the value cut to rwk_….
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.FieldsFunc(raw, func(r rune) bool { return r == '&' || r == ';' })
	kept := parts[:0]
	for _, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		name := strings.ToLower(decodeAll(k))
		if strings.Contains(name, "token") {
			continue
		}
		switch {
		case holdsToken(k):
			continue
		case holdsToken(v):
			p = k + "=" + tokenPrefix + "…"
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}

// redactPath is a request path as the logs keep it: a segment that holds a
// token in any spelling is cut to rwk_….
func redactPath(p string) string {
	if !holdsToken(p) {
		return p
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if holdsToken(s) {
			segs[i] = tokenPrefix + "…"
		}
	}
	p = strings.Join(segs, "/")
	if holdsToken(strings.ReplaceAll(p, tokenPrefix+"…", "/")) {
		// A token spread over segments by escaped slashes.
		return tokenPrefix + "…"
	}
	return p
}

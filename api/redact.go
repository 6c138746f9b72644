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

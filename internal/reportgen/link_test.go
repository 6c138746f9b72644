package reportgen

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// A signed link opens its report without a login until it expires; a
// tampered link (another report, a wider scope, a later expiry, another
// secret), an expired one or one whose report is outside its scope is
// refused with 403.
func TestSignedLinkOpensOnlyItsReport(t *testing.T) {
	reg, err := schemas.LoadTongliao()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	g, err := New(nil, reg, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 12, 7, 0, 0, 0, 0, schemas.Zone())
	city := Spec{Region: "150500000000", Window: schemas.Week, End: end}
	banner := Spec{Region: "150521000000", Window: schemas.Week, End: end}
	other := Spec{Region: "150500000000", Window: schemas.Week, End: end.AddDate(0, 0, -7)}
	for _, s := range []Spec{city, banner, other} {
		p := filepath.Join(dir, filepath.FromSlash(ReportPath(s, HTML)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("<html>"+s.Region+" "+s.End.Format(time.DateOnly)+"</html>"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	secret := []byte("deployment-secret-0123456789abcdef")
	now := time.Date(2026, 12, 7, 7, 0, 0, 0, schemas.Zone())
	clock := now
	mux := http.NewServeMux()
	mux.Handle("GET /share/", g.LinkHandler("/share/", secret, func() time.Time { return clock }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/share/"
	exp := now.Add(7 * 24 * time.Hour)
	get := func(link string) (int, string) {
		t.Helper()
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	// The banner leader's link to the banner report opens it.
	bannerLink := SignLink(base, secret, ReportPath(banner, HTML), "150521", exp)
	if s, body := get(bannerLink); s != http.StatusOK || !strings.Contains(body, "150521000000 2026-12-07") {
		t.Fatalf("the signed link: %d %q", s, body)
	}
	cityLink := SignLink(base, secret, ReportPath(city, HTML), "1505", exp)
	if s, body := get(cityLink); s != http.StatusOK || !strings.Contains(body, "150500000000 2026-12-07") {
		t.Fatalf("the city's signed link: %d %q", s, body)
	}

	u, _ := url.Parse(bannerLink)
	q := u.Query()
	tamper := func(name string, path string, set func(url.Values)) {
		t.Helper()
		v := url.Values{}
		for k, x := range q {
			v[k] = append([]string(nil), x...)
		}
		set(v)
		link := srv.URL + path + "?" + v.Encode()
		if s, body := get(link); s != http.StatusForbidden {
			t.Errorf("%s: %d %q, want 403", name, s, body)
		}
	}
	keep := func(url.Values) {}
	// Another report with the banner link's query: another region, the
	// same region another week, another format.
	tamper("the city report with the banner's signature", "/share/"+ReportPath(city, HTML), keep)
	tamper("another week with the city's signature", "/share/"+ReportPath(other, HTML), func(v url.Values) {
		cu, _ := url.Parse(cityLink)
		for k, x := range cu.Query() {
			v[k] = x
		}
	})
	tamper("the PDF with the HTML's signature", "/share/"+ReportPath(banner, PDF), keep)
	// A wider scope, a later expiry, a signature of another secret.
	tamper("a wider scope", u.Path, func(v url.Values) { v.Set("scope", "1505") })
	tamper("an empty scope", u.Path, func(v url.Values) { v.Set("scope", "") })
	tamper("a later expiry", u.Path, func(v url.Values) { v.Set("exp", strconv.FormatInt(exp.Add(time.Hour).Unix(), 10)) })
	tamper("another secret", u.Path, func(v url.Values) {
		o, _ := url.Parse(SignLink(base, []byte("another secret"), ReportPath(banner, HTML), "150521", exp))
		v.Set("sig", o.Query().Get("sig"))
	})
	tamper("no signature", u.Path, func(v url.Values) { v.Del("sig") })
	// A correctly signed link whose report lies outside its scope.
	narrow := SignLink(base, secret, ReportPath(city, HTML), "150521", exp)
	if s, _ := get(narrow); s != http.StatusForbidden {
		t.Errorf("a city report signed for a banner's scope: %d, want 403", s)
	}
	// Not a report file: 404, signed or not.
	if s, _ := get(SignLink(base, secret, "index.html", "", exp)); s != http.StatusNotFound {
		t.Errorf("the index through a link: %d, want 404", s)
	}
	// Expired.
	clock = exp
	if s, _ := get(bannerLink); s != http.StatusForbidden {
		t.Errorf("the link at its expiry: %d, want 403", s)
	}
	clock = exp.Add(-time.Second)
	if s, _ := get(bannerLink); s != http.StatusOK {
		t.Errorf("the link a second before its expiry: %d, want 200", s)
	}
}

package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The pinned file: a different echarts.min.js must be a deliberate change
// (update SOURCES.md and this hash together).
const pinnedSHA256 = "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"

func TestEmbeddedECharts(t *testing.T) {
	s := sha256.Sum256(EChartsJS)
	if got := hex.EncodeToString(s[:]); got != pinnedSHA256 {
		t.Fatalf("echarts.min.js sha256 = %s, want %s", got, pinnedSHA256)
	}
	if !strings.Contains(string(EChartsJS), `version="5.6.0"`) && !strings.Contains(string(EChartsJS), `"5.6.0"`) {
		t.Error("echarts.min.js does not carry version 5.6.0")
	}
	if !strings.Contains(string(EChartsLicense), "Apache License") {
		t.Error("licence text missing")
	}
	if !strings.Contains(string(EChartsNotice), "Apache ECharts") {
		t.Error("notice text missing")
	}
}

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(http.StripPrefix("/console/assets/", Handler()))
	t.Cleanup(srv.Close)
	for _, c := range []struct {
		path, ctype string
		status      int
		body        []byte
	}{
		{"/console/assets/echarts.min.js", "text/javascript; charset=utf-8", 200, EChartsJS},
		{"/console/assets/LICENSE_echarts_Apache-2.0.txt", "text/plain; charset=utf-8", 200, EChartsLicense},
		{"/console/assets/other.js", "", 404, nil},
	} {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("%s: status %d, want %d", c.path, resp.StatusCode, c.status)
			continue
		}
		if c.body != nil {
			if ct := resp.Header.Get("Content-Type"); ct != c.ctype {
				t.Errorf("%s: content type %q, want %q", c.path, ct, c.ctype)
			}
			if string(b) != string(c.body) {
				t.Errorf("%s: body of %d bytes differs from the embedded %d", c.path, len(b), len(c.body))
			}
		}
	}
}

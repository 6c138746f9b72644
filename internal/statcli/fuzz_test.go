package statcli

import (
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// FuzzDetect feeds arbitrary files to `stat detect` and checks the
// contract: exit 0 with a well-formed table and nothing on stderr, or exit
// 2 with nothing on stdout and a message that names the file.
func FuzzDetect(f *testing.F) {
	for _, seed := range []string{
		"t,observed\n1,3\n2,4\n3,5\n4,9\n5,1\n",
		"\ufefft , observed,x\r\n1,0,a\r\n2,0,b\r\n3,0,c\r\n4,7,d\r\n",
		"t,observed\n1,3\n2,abc\n",
		"t,observed\n1,\"3\n2,4\n",
		"observed,t\n1,1\n1,2\n1,3\n1e308,4\n",
		"t,observed\n1,1\n2,1\n3,1\n4,1\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		code, out, errs := run("detect", "--method", "ears-c1", "--baseline", "3", path)
		switch code {
		case ExitOK:
			if errs != "" {
				t.Fatalf("exit 0 with stderr %q", errs)
			}
			recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
			if err != nil || len(recs) < 2 || strings.Join(recs[0], ",") != "t,observed,upperbound,alarm" {
				t.Fatalf("malformed output (%v):\n%s", err, out)
			}
			prev := 0
			for _, r := range recs[1:] {
				tt, err := strconv.Atoi(r[0])
				if err != nil || (prev != 0 && tt != prev+1) || tt < 4 {
					t.Fatalf("bad t %q after %d", r[0], prev)
				}
				prev = tt
				if _, err := strconv.ParseFloat(r[1], 64); err != nil {
					t.Fatalf("bad observed %q", r[1])
				}
				if _, err := strconv.ParseFloat(r[2], 64); err != nil && r[2] != "" {
					t.Fatalf("bad upperbound %q", r[2])
				}
				if r[3] != "0" && r[3] != "1" {
					t.Fatalf("bad alarm %q", r[3])
				}
			}
		case ExitUsage:
			if out != "" {
				t.Fatalf("exit 2 with stdout %q", out)
			}
			if !strings.HasPrefix(errs, "riskwatch stat detect: "+path) {
				t.Fatalf("message does not start with the file name: %q", errs)
			}
		default:
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

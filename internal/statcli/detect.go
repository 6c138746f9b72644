package statcli

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/riskwatch/riskwatch/indices/alarm"
)

// detectMethods lists the methods of `stat detect` and the flags each
// reads besides --method; a flag outside the list is an error.
var detectMethods = []struct {
	name  string
	flags []string
}{
	{alarm.MethodEARSC1, []string{"alpha", "baseline", "range-start"}},
	{alarm.MethodEARSC2, []string{"alpha", "baseline", "range-start"}},
	{alarm.MethodEARSC3, []string{"alpha", "baseline", "range-start"}},
	{alarm.MethodCUSUM, []string{"k", "h", "freq", "range-start"}},
	{alarm.MethodFarringtonFlexible, []string{"alpha", "b", "w", "freq", "range-start"}},
	{alarm.MethodGLRNB, []string{"alpha", "freq", "range-start"}},
}

// runDetect is `riskwatch stat detect`.
func runDetect(args []string, out *bytes.Buffer) error {
	fs := newFlagSet("detect")
	method := fs.String("method", "", "")
	var alpha, k, h finiteFloat
	fs.Var(&alpha, "alpha", "")
	fs.Var(&k, "k", "")
	fs.Var(&h, "h", "")
	baseline := fs.Int("baseline", 0, "")
	b := fs.Int("b", 0, "")
	w := fs.Int("w", 0, "")
	freq := fs.Int("freq", 0, "")
	rangeStart := fs.Int("range-start", 0, "")
	pos, set, err := parseArgs(fs, args)
	if err != nil {
		return err
	}

	var names []string
	var allowed []string
	for _, m := range detectMethods {
		names = append(names, m.name)
		if m.name == *method {
			allowed = m.flags
		}
	}
	switch {
	case !set["method"]:
		return usagef("--method is required (one of %s)", strings.Join(names, ", "))
	case allowed == nil:
		return usagef("--method %q is not one of %s", *method, strings.Join(names, ", "))
	}
	for name := range set {
		if name != "method" && !slices.Contains(allowed, name) {
			return usagef("--%s does not apply to --method %s (it reads --%s)", name, *method, strings.Join(allowed, ", --"))
		}
	}
	// Zero means "default" to the detectors, so it is rejected here rather
	// than silently replaced.
	switch {
	case set["alpha"] && *method == alarm.MethodGLRNB && alpha < 0:
		return usagef("--alpha %v: the dispersion of glr-nb must be 0 or more", alpha.String())
	case set["alpha"] && *method != alarm.MethodGLRNB && !(alpha > 0 && alpha < 1):
		return usagef("--alpha %v: the significance level must be between 0 and 1", alpha.String())
	case set["baseline"] && *baseline < 3:
		return usagef("--baseline %d: earsC needs at least 3 reference points", *baseline)
	case set["b"] && *b < 1:
		return usagef("--b %d: at least 1 past year is needed", *b)
	case set["w"] && *w < 0:
		return usagef("--w %d: the window half-width must be 0 or more", *w)
	case set["freq"] && *freq < 1:
		return usagef("--freq %d: the number of points per year must be 1 or more", *freq)
	case set["range-start"] && *rangeStart < 1:
		return usagef("--range-start %d: t starts at 1", *rangeStart)
	}
	file, err := oneFile(pos)
	if err != nil {
		return err
	}

	tab, _, err := readTable(file)
	if err != nil {
		return err
	}
	if err := checkTimeColumn(tab); err != nil {
		return err
	}
	observed, err := tab.numbers("observed", count)
	if err != nil {
		return err
	}

	p, err := alarm.DefaultParams(*method)
	if err != nil {
		return usagef("%v", err) // unreachable: the method was checked above
	}
	if set["alpha"] {
		p.Alpha = float64(alpha)
	}
	if set["baseline"] {
		p.Baseline = *baseline
	}
	if set["k"] {
		p.K = float64(k)
	}
	if set["h"] {
		p.H = float64(h)
	}
	if set["b"] {
		p.B = *b
	}
	if set["w"] {
		p.W = *w
	}
	if set["freq"] {
		p.Freq = *freq
	}
	p.RangeStart = *rangeStart // 0: the detector's default

	points, err := alarm.Detect(*method, observed, p)
	if err != nil {
		last := len(tab.rows) - 1
		switch {
		case errors.Is(err, alarm.ErrTooShort):
			return inputf(file, tab.lines[last], "observed", "the series ends here (t = %d): %v", last+1, err)
		case errors.Is(err, alarm.ErrInvalidParam):
			return usagef("%s: %v", file, err)
		}
		return inputf(file, 0, "observed", "%v", err)
	}

	o := newCSVOut(out)
	o.row("t", "observed", "upperbound", "alarm")
	for _, pt := range points {
		a := "0"
		if pt.Alarm {
			a = "1"
		}
		o.row(strconv.Itoa(pt.T), formatNumber(pt.Observed), formatNumber(pt.UpperBound), a)
	}
	return o.flush()
}

// checkTimeColumn checks that column t holds 1, 2, 3, … in row order.
func checkTimeColumn(tab *table) error {
	c, err := tab.column("t")
	if err != nil {
		return err
	}
	for i, rec := range tab.rows {
		s := strings.TrimSpace(rec[c])
		v, err := strconv.ParseFloat(s, 64)
		switch {
		case err != nil || math.IsNaN(v) || math.IsInf(v, 0):
			return inputf(tab.file, tab.lines[i], "t", "%q is not a number", rec[c])
		case v != math.Trunc(v):
			return inputf(tab.file, tab.lines[i], "t", "%q is not a whole number", rec[c])
		case v != float64(i+1):
			return inputf(tab.file, tab.lines[i], "t", "t is %s, want %d: t must run 1, 2, 3, … in row order without gaps", s, i+1)
		}
	}
	return nil
}

package alarm

import (
	"errors"
	"math"
	"testing"
)

// FuzzDetect runs every detector on arbitrary non-negative series and
// parameters. It asserts that nothing panics, that errors wrap one of the
// package's sentinels, and the invariants of the result: one point per
// monitored t in order, an alarm only with a defined bound, and for EARS
// and Bayes alarm ⇔ observed > bound.
func FuzzDetect(f *testing.F) {
	f.Add([]byte{1, 0, 3, 2, 5, 0, 0, 7, 1, 2, 3, 4, 0, 0, 9, 1, 1, 2, 0, 5, 3, 2, 1, 0}, uint8(0), uint8(4), uint8(1), uint8(2), uint8(3), float64(0.05))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(4), uint8(4), uint8(1), uint8(0), uint8(0), float64(0.1))
	f.Add([]byte{200, 0, 200, 0, 1, 1, 1, 1, 50, 50, 50, 3, 3, 3, 3, 9, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, uint8(5), uint8(4), uint8(2), uint8(1), uint8(7), float64(0.2))
	f.Add([]byte{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5}, uint8(3), uint8(12), uint8(1), uint8(3), uint8(1), float64(0.01))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}, uint8(6), uint8(4), uint8(2), uint8(1), uint8(2), float64(0))
	f.Add([]byte{0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9, 0, 9}, uint8(7), uint8(4), uint8(1), uint8(1), uint8(0), float64(0.5))
	f.Fuzz(func(t *testing.T, data []byte, methodSel, freqSel, b, w, extra uint8, alpha float64) {
		if len(data) > 400 {
			data = data[:400]
		}
		obs := make([]float64, len(data))
		for i, v := range data {
			obs[i] = float64(v)
			if extra&1 == 1 {
				obs[i] /= 3 // non-integer counts
			}
		}
		method := Methods[int(methodSel)%len(Methods)]
		if method == MethodGLRNB && len(obs) > 150 {
			// The GLR statistic costs O(n³) per segment and Ret "cases"
			// a search on top; keep the executions short.
			obs = obs[:150]
		}
		p, err := DefaultParams(method)
		if err != nil {
			t.Fatal(err)
		}
		p.Freq = []int{4, 12, 52, 7}[int(freqSel)%4]
		p.B = int(b) % 4
		p.W = int(w) % 4
		if !math.IsNaN(alpha) && !math.IsInf(alpha, 0) && alpha != 0 {
			p.Alpha = math.Abs(alpha)
		}
		p.NoPeriods = 1 + int(extra>>1)%5
		p.PastWeeksNotIncluded = int(extra>>4)%4 - 1
		p.ThresholdMethod = []string{"delta", "nbPlugin", "muan"}[int(extra>>3)%3]
		p.PowerTrans = []string{"2/3", "1/2", "none"}[int(extra>>5)%3]
		p.Trans = []string{"standard", "rossi", "anscombe", "none"}[int(extra>>2)%4]
		p.Ret = []string{"value", "cases"}[int(extra>>6)%2]
		p.Limit54 = [2]int{int(extra) % 6, 1 + int(extra>>2)%4}
		p.M = []float64{math.NaN(), 2.5}[int(extra>>7)]
		if method == MethodGLRNB && extra&2 == 2 {
			p.Mu0 = make([]float64, len(obs))
			for i := range p.Mu0 {
				p.Mu0[i] = 1 + float64(i%5)
			}
			if math.IsNaN(p.Alpha) {
				p.Alpha = 0.3
			}
			p.RangeStart = 1
			p.XMax = 50
		}
		if extra%5 == 0 && len(obs) > 2 {
			p.RangeStart = 1 + int(extra)%len(obs)
		}
		pts, err := Detect(method, obs, p)
		if err != nil {
			if !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrInvalidParam) && !errors.Is(err, ErrInvalidData) {
				t.Fatalf("%s: error %v wraps no sentinel", method, err)
			}
			return
		}
		last := 0
		for i, pt := range pts {
			if pt.T < 1 || pt.T > len(obs) || (i > 0 && pt.T != last+1) {
				t.Fatalf("%s: point %d has t=%d after %d", method, i, pt.T, last)
			}
			last = pt.T
			if pt.Observed != obs[pt.T-1] {
				t.Fatalf("%s: t=%d observed %v, want %v", method, pt.T, pt.Observed, obs[pt.T-1])
			}
			if pt.Alarm && !pt.HasUpperBound() {
				t.Fatalf("%s: t=%d alarm without a bound", method, pt.T)
			}
			switch method {
			case MethodEARSC1, MethodEARSC2, MethodEARSC3, MethodBayes:
				if pt.Alarm != (pt.Observed > pt.UpperBound) {
					t.Fatalf("%s: t=%d alarm %v with observed %v and bound %v", method, pt.T, pt.Alarm, pt.Observed, pt.UpperBound)
				}
			case MethodCUSUM:
				if pt.Alarm != (pt.Statistic >= p.H) || pt.UpperBound < 0 {
					t.Fatalf("cusum: t=%d alarm %v, C_t %v, bound %v", pt.T, pt.Alarm, pt.Statistic, pt.UpperBound)
				}
			}
		}
		if len(pts) == 0 {
			t.Fatalf("%s: no points and no error", method)
		}
	})
}

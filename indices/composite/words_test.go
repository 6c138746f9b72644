package composite

import (
	"math"
	"testing"
)

func TestDriverZH(t *testing.T) {
	for _, c := range []struct {
		code       string
		value, ref float64
		against    Against
		want       string
	}{
		{"C1", 0.112, 0.080, AgainstPrevious, "超期办理率上升3.2个百分点"},
		{"C1", 0.200, 0.080, AgainstSiblings, "超期办理率高于同级12.0个百分点"},
		{"B3", 0.05, 0.10, AgainstPrevious, "上交升级占比下降5.0个百分点"},
		{"B1", 0.10, 0.30, AgainstSiblings, "敏感类型纠纷占比低于同级20.0个百分点"},
		{"A1", 42.5, 30.2, AgainstSiblings, "万人受理量高于同级12.3件/万人"},
		{"A2", math.Log(1.6), 0, AgainstPrevious, "受理量增幅上升60.0个百分点"},
		{"C3", 0.25, 0.25, AgainstPrevious, "群众不满意率与上期持平"},
		{"C3", 0.25, 0.25, AgainstSiblings, "群众不满意率与同级持平"},
		{"C2", math.NaN(), 0.25, AgainstSiblings, "未化解率"},
		{"Z9", 0.3, 0.1, AgainstSiblings, "指标Z9高于同级20.0个百分点"},
	} {
		if got := DriverZH(c.code, c.value, c.ref, c.against); got != c.want {
			t.Errorf("DriverZH(%s, %v, %v, %v) = %q, want %q", c.code, c.value, c.ref, c.against, got, c.want)
		}
	}
	for _, c := range []struct {
		code string
		v    float64
		want string
	}{{"A1", 12.34, "12.3件/万人"}, {"A2", math.Log(1.25), "25.0%"}, {"A3", 0.312, "31.2%"}, {"C1", math.Inf(1), "—"}} {
		if got := IndicatorValueZH(c.code, c.v); got != c.want {
			t.Errorf("IndicatorValueZH(%s, %v) = %q, want %q", c.code, c.v, got, c.want)
		}
	}
	// Every indicator of the default spec has a name: no code is shown.
	for _, ind := range DefaultSpec().Indicators {
		if n := IndicatorNameZH(ind.Code); n == "指标"+ind.Code {
			t.Errorf("indicator %s (%s) has no Chinese name", ind.Code, ind.Name)
		}
	}
}

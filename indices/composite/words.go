package composite

import (
	"math"
	"strconv"
	"sync"
)

// indicatorNamesZH are the Chinese names of DefaultSpec's indicators, by
// code, as leaders read them.
var indicatorNamesZH = map[string]string{
	"A1": "万人受理量", "A2": "受理量增幅", "A3": "疑难复杂纠纷占比", "A4": "群体性纠纷占比", "A5": "大额纠纷占比",
	"B1": "敏感类型纠纷占比", "B2": "重复来访占比", "B3": "上交升级占比",
	"C1": "超期办理率", "C2": "未化解率", "C3": "群众不满意率",
}

// IndicatorNameZH returns the Chinese name of an indicator of DefaultSpec
// (超期办理率 for C1), or "指标"+code for a code it does not know.
func IndicatorNameZH(code string) string {
	if n, ok := indicatorNamesZH[code]; ok {
		return n
	}
	return "指标" + code
}

var defaultKinds = sync.OnceValue(func() map[string]Kind {
	m := map[string]Kind{}
	for _, ind := range DefaultSpec().Indicators {
		m[ind.Code] = ind.Kind
	}
	return m
})

// kindOf is the kind of a DefaultSpec indicator; a share for a code it
// does not know.
func kindOf(code string) Kind {
	if k, ok := defaultKinds()[code]; ok {
		return k
	}
	return KindShare
}

// Against is what a driver compares the unit with.
type Against int

const (
	// AgainstSiblings: the parent's pooled value over the unit's siblings
	// (Driver of DriversVsMean).
	AgainstSiblings Against = iota
	// AgainstPrevious: the unit's value in the previous window (Driver of
	// DriversVsPrevious).
	AgainstPrevious
)

// IndicatorValueZH prints an indicator's value in its unit: a share in
// per cent (31.2%), A1 in cases per 10,000 residents (12.3件/万人), the
// log growth A2 as the growth in per cent (60.0%); "—" when not finite.
func IndicatorValueZH(code string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	switch kindOf(code) {
	case KindRate:
		return strconv.FormatFloat(v, 'f', 1, 64) + "件/万人"
	case KindLogRatio:
		return strconv.FormatFloat((math.Exp(v)-1)*100, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

// DriverZH says in words how a driver's indicator differs from its
// reference: the indicator's name, the direction and the size of the
// difference, in percentage points for shares and growth and in cases per
// 10,000 residents for A1. Against the previous window it reads
// 超期办理率上升3.2个百分点, against the siblings 超期办理率高于同级3.2个百分点.
// An indicator whose value or reference is missing is named alone.
func DriverZH(code string, value, ref float64, against Against) string {
	name := IndicatorNameZH(code)
	diff, unit := value-ref, "个百分点"
	switch kindOf(code) {
	case KindRate:
		unit = "件/万人"
	case KindLogRatio:
		diff = (math.Exp(value) - math.Exp(ref)) * 100
	default:
		diff *= 100
	}
	if math.IsNaN(diff) || math.IsInf(diff, 0) {
		return name
	}
	size := strconv.FormatFloat(math.Abs(diff), 'f', 1, 64)
	if size == "0.0" {
		if against == AgainstPrevious {
			return name + "与上期持平"
		}
		return name + "与同级持平"
	}
	var dir string
	switch {
	case against == AgainstPrevious && diff > 0:
		dir = "上升"
	case against == AgainstPrevious:
		dir = "下降"
	case diff > 0:
		dir = "高于同级"
	default:
		dir = "低于同级"
	}
	return name + dir + size + unit
}

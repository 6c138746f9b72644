package demo

import (
	"math"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// cst is Asia/Shanghai. China has kept UTC+8 without daylight saving since
// 1991, so a fixed zone is exact and needs no tzdata; records marshal with
// the +08:00 offset.
var cst = time.FixedZone("CST", 8*3600)

// The categories the generator draws, by index. Their codes are taxonomy
// codes; a test checks that every one exists in schemas.Taxonomy.
const (
	catNeighbor = iota
	catNoise
	catFamily
	catLabor
	catWage
	catLand
	catGrassland
	catExpropriation
	catProperty
	catConsumer
	catMedical
	catTraffic
	catFinance
	catFinanceMass
	catEnvironment
	catPetition
	catCampus
	catOther
	numCats
)

// catCodes are the taxonomy codes of the categories, by index.
var catCodes = [numCats]string{
	"neighbor", "neighbor.noise", "family", "labor", "labor.wage_arrears", "land", "grassland",
	"expropriation", "property", "consumer", "medical", "traffic", "finance", "finance.mass",
	"environment", "petition", "campus", "other",
}

// catIndex returns the index of a taxonomy code, or -1.
func catIndex(code string) int {
	for i, c := range catCodes {
		if c == code {
			return i
		}
	}
	return -1
}

// A place kind decides the category and channel mix of a village.
const (
	kindUrban    = iota // 社区, 居委会: urban communities
	kindFarming         // 村, 村委会: farming villages
	kindPastoral        // 嘎查: pastoral and semi-pastoral Mongolian villages
	kindFarm            // 生活区, 管理区: state farms, ranches and forest farms
	numKinds
)

// placeKind classifies a unit by its name (and its town's name).
func placeKind(name, town string) int {
	switch {
	case strings.Contains(name, "社区") || strings.HasSuffix(name, "居委会"):
		return kindUrban
	case strings.Contains(name, "嘎查"):
		return kindPastoral
	case strings.HasSuffix(name, "生活区") || strings.HasSuffix(name, "管理区"):
		return kindFarm
	case strings.HasSuffix(name, "街道") || strings.HasSuffix(name, "街道办事处"):
		return kindUrban
	case strings.HasSuffix(town, "农场") || strings.HasSuffix(town, "牧场") || strings.HasSuffix(town, "林场"):
		return kindFarm
	}
	return kindFarming
}

// catShares is the category mix (percent) of each place kind: urban,
// farming, pastoral, farm. The figures follow the shape of published
// banner-level statistics: neighbour and family disputes lead everywhere,
// land and grassland disputes are a large part of the rural work, property
// and consumer disputes are urban.
var catShares = [numCats][numKinds]float64{
	catNeighbor:      {15, 17, 14, 16},
	catNoise:         {8, 1.5, 0.5, 1.5},
	catFamily:        {12, 14, 14, 13},
	catLabor:         {6, 2.5, 1.5, 3},
	catWage:          {6, 8, 5, 7},
	catLand:          {0.8, 19, 13, 17},
	catGrassland:     {0.2, 2.5, 19, 5},
	catExpropriation: {3, 4, 3.5, 3},
	catProperty:      {15, 1.5, 0.5, 2},
	catConsumer:      {8, 2, 1.5, 2},
	catMedical:       {3, 2, 2, 2},
	catTraffic:       {6, 5.5, 5, 5.5},
	catFinance:       {6, 8, 8, 8},
	catFinanceMass:   {1, 0.4, 0.3, 0.4},
	catEnvironment:   {4, 3, 3, 3},
	catPetition:      {2.5, 2.5, 2.5, 2.5},
	catCampus:        {2, 1, 1, 1},
	catOther:         {4, 5, 4.7, 5},
}

// shares returns the category mix of every kind normalized to 1.
func shares() [numKinds][numCats]float64 {
	var out [numKinds][numCats]float64
	for k := 0; k < numKinds; k++ {
		sum := 0.0
		for c := 0; c < numCats; c++ {
			sum += catShares[c][k]
		}
		for c := 0; c < numCats; c++ {
			out[k][c] = catShares[c][k] / sum
		}
	}
	return out
}

// monthly is the seasonal profile of each category, January to December,
// at mid-month; days in between are interpolated so that no month boundary
// makes a step a detector could mistake for an outbreak.
var monthly = [numCats][12]float64{
	catNeighbor:      {0.8, 0.8, 1.0, 1.1, 1.15, 1.15, 1.15, 1.1, 1.05, 1.0, 0.9, 0.8},
	catNoise:         {0.5, 0.5, 0.7, 0.9, 1.2, 1.7, 2.0, 1.8, 1.2, 0.8, 0.6, 0.5},
	catFamily:        {1.0, 1.25, 1.3, 1.1, 1.0, 0.95, 0.95, 0.95, 0.95, 1.0, 0.95, 1.0},
	catLabor:         {0.9, 0.8, 1.1, 1.1, 1.05, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.05},
	catWage:          {1.2, 0.6, 0.7, 0.7, 0.8, 0.8, 0.8, 0.9, 0.9, 1.0, 1.2, 1.4},
	catLand:          {0.5, 0.7, 1.6, 2.6, 2.1, 1.2, 0.8, 0.7, 0.9, 1.1, 0.6, 0.5},
	catGrassland:     {0.5, 0.6, 0.9, 1.8, 2.0, 1.6, 1.2, 1.5, 1.2, 0.8, 0.6, 0.5},
	catExpropriation: {0.6, 0.6, 1.0, 1.3, 1.3, 1.3, 1.2, 1.2, 1.1, 1.0, 0.8, 0.6},
	catProperty:      {1.2, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.9, 1.2, 1.6, 1.4},
	catConsumer:      {1.1, 1.2, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 1.2},
	catMedical:       {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	catTraffic:       {1.3, 1.2, 0.9, 0.9, 1.0, 0.9, 0.9, 0.9, 1.0, 1.1, 1.1, 1.3},
	catFinance:       {1.4, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.4},
	catFinanceMass:   {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
	catEnvironment:   {0.8, 0.8, 0.9, 1.0, 1.1, 1.3, 1.4, 1.3, 1.1, 1.1, 0.9, 0.8},
	catPetition:      {1.0, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1},
	catCampus:        {0.9, 0.5, 1.3, 1.2, 1.2, 1.1, 0.4, 0.3, 1.4, 1.3, 1.3, 1.2},
	catOther:         {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
}

// springFestival holds the first day of the lunar new year.
var springFestival = map[int]string{
	2018: "2018-02-16", 2019: "2019-02-05", 2020: "2020-01-25", 2021: "2021-02-12",
	2022: "2022-02-01", 2023: "2023-01-22", 2024: "2024-02-10", 2025: "2025-01-29",
	2026: "2026-02-17", 2027: "2027-02-06", 2028: "2028-01-26", 2029: "2029-02-13",
	2030: "2030-02-03", 2031: "2031-01-23", 2032: "2032-02-11",
}

// lunarHolidays holds the other movable holidays (Qingming, Dragon Boat,
// Mid-Autumn) as their first day and length.
var lunarHolidays = []struct {
	date string
	days int
}{
	{"2024-04-04", 3}, {"2024-06-10", 1}, {"2024-09-15", 3},
	{"2025-04-04", 3}, {"2025-05-31", 3}, {"2025-10-01", 8},
	{"2026-04-04", 3}, {"2026-06-19", 3}, {"2026-09-25", 3},
	{"2027-04-03", 3}, {"2027-06-09", 3}, {"2027-09-15", 3},
}

// civilDays counts days since 1970-01-01 of a calendar date.
func civilDays(y int, m time.Month, d int) int {
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func parseDay(s string) int {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic("bad built-in date " + s) // a broken table in this file
	}
	return int(t.Unix() / 86400)
}

// springFestivalDay returns the day number of the Spring Festival of year
// y (an estimate, 5 February, outside the table).
func springFestivalDay(y int) int {
	if s, ok := springFestival[y]; ok {
		return parseDay(s)
	}
	return civilDays(y, time.February, 5)
}

// holidayFactor is the volume multiplier of a public holiday (1 on other
// days): centers keep a duty desk, people visit family.
func holidayFactor(day int) float64 {
	t := time.Unix(int64(day)*86400, 0).UTC()
	y, m, d := t.Date()
	for _, yy := range []int{y, y + 1} {
		sf := springFestivalDay(yy)
		switch {
		case day >= sf-1 && day <= sf+6:
			return 0.35
		case day >= sf-3 && day < sf-1:
			return 0.8
		}
	}
	switch {
	case m == time.October && d <= 7:
		return 0.4
	case m == time.May && d <= 5:
		return 0.5
	case m == time.January && d == 1:
		return 0.5
	}
	for _, h := range lunarHolidays {
		s := parseDay(h.date)
		if day >= s && day < s+h.days {
			return 0.55
		}
	}
	return 1
}

// weekdayFactor is the volume multiplier of a weekday (Sunday = 0): more on
// Monday, much less at the weekend when only duty desks and the hotline
// work.
var weekdayFactor = [7]float64{0.5, 1.15, 1.1, 1.08, 1.05, 1.02, 0.6}

// weekday returns the weekday of a day number (Sunday = 0).
func weekday(day int) int { return ((day % 7) + 7 + 4) % 7 }

// seasonal returns the seasonal multiplier of category c on day (before
// normalization): the monthly profile interpolated between mid-months, with
// the Spring Festival effects.
func seasonal(c, day int) float64 {
	t := time.Unix(int64(day)*86400, 0).UTC()
	y, m, d := t.Date()
	// Position in months from mid-January, interpolated.
	pos := float64(int(m)-1) + (float64(d)-15.5)/30.5
	i := int(math.Floor(pos))
	f := pos - float64(i)
	a, b := (i+12)%12, (i+13)%12
	v := monthly[c][a]*(1-f) + monthly[c][b]*f
	// The Spring Festival of the year of the date or of the next one.
	sf := springFestivalDay(y)
	if day > sf+45 {
		sf = springFestivalDay(y + 1)
	}
	x := float64(day - sf)
	switch c {
	case catWage:
		// Workers go home for the festival and want their year's pay first.
		v += 2.4 * math.Exp(-0.5*math.Pow((x+16)/12, 2))
	case catFinance:
		// Debts are settled before the year ends (年关).
		v += 0.6 * math.Exp(-0.5*math.Pow((x+14)/12, 2))
	case catFamily:
		// Family quarrels over the festival, divorces after it.
		v += 0.4 * math.Exp(-0.5*math.Pow((x-12)/10, 2))
	}
	return v
}

// seasonNorm returns the mean seasonal multiplier of every category over a
// reference year (2025), so that the shares of catShares hold over a year.
func seasonNorm() [numCats]float64 {
	var out [numCats]float64
	start := civilDays(2025, time.January, 1)
	for c := 0; c < numCats; c++ {
		s := 0.0
		for d := 0; d < 365; d++ {
			s += seasonal(c, start+d)
		}
		out[c] = s / 365
	}
	return out
}

// Severity probabilities (simple, general, difficult) per category.
var severityProbs = [numCats][3]float64{
	catNeighbor:      {0.65, 0.31, 0.04},
	catNoise:         {0.75, 0.23, 0.02},
	catFamily:        {0.55, 0.38, 0.07},
	catLabor:         {0.40, 0.50, 0.10},
	catWage:          {0.35, 0.50, 0.15},
	catLand:          {0.40, 0.45, 0.15},
	catGrassland:     {0.35, 0.45, 0.20},
	catExpropriation: {0.20, 0.50, 0.30},
	catProperty:      {0.55, 0.38, 0.07},
	catConsumer:      {0.70, 0.27, 0.03},
	catMedical:       {0.30, 0.50, 0.20},
	catTraffic:       {0.45, 0.47, 0.08},
	catFinance:       {0.45, 0.45, 0.10},
	catFinanceMass:   {0.10, 0.40, 0.50},
	catEnvironment:   {0.50, 0.42, 0.08},
	catPetition:      {0.15, 0.45, 0.40},
	catCampus:        {0.60, 0.35, 0.05},
	catOther:         {0.70, 0.27, 0.03},
}

// groupProb is the probability that a case of the category is a group
// dispute (30 parties or more).
var groupProb = [numCats]float64{
	catNeighbor: 0.001, catNoise: 0.008, catFamily: 0.001, catLabor: 0.03, catWage: 0.08,
	catLand: 0.02, catGrassland: 0.03, catExpropriation: 0.08, catProperty: 0.03,
	catConsumer: 0.015, catMedical: 0.002, catTraffic: 0.001, catFinance: 0.004,
	catFinanceMass: 0.30, catEnvironment: 0.02, catPetition: 0.01, catCampus: 0.004, catOther: 0.002,
}

// amountModel is the money at stake: with probability zero nothing; else
// log-normal with the median and sigma, per party for wages.
type amountModel struct {
	zero, median, sigma float64
	perParty            bool
}

var amounts = [numCats]amountModel{
	catNeighbor:      {0.7, 3000, 1.0, false},
	catNoise:         {0.97, 1000, 0.8, false},
	catFamily:        {0.5, 60000, 1.0, false},
	catLabor:         {0.2, 25000, 1.0, false},
	catWage:          {0.02, 9000, 0.8, true},
	catLand:          {0.3, 12000, 1.1, false},
	catGrassland:     {0.35, 20000, 1.2, false},
	catExpropriation: {0.1, 80000, 1.2, false},
	catProperty:      {0.4, 5000, 1.2, false},
	catConsumer:      {0.05, 2500, 1.1, false},
	catMedical:       {0.1, 40000, 1.2, false},
	catTraffic:       {0.05, 15000, 1.1, false},
	catFinance:       {0.02, 60000, 1.1, false},
	catFinanceMass:   {0.0, 300000, 1.2, false},
	catEnvironment:   {0.6, 10000, 1.0, false},
	catPetition:      {0.4, 50000, 1.3, false},
	catCampus:        {0.6, 5000, 1.0, false},
	catOther:         {0.6, 5000, 1.2, false},
}

// channelChoice is one (source, channel) pair and its probability per
// kind (urban, rural: farming, pastoral and farm share the rural mix).
type channelChoice struct {
	source  schemas.Source
	channel schemas.Channel
	p       [2]float64
}

var channelChoices = []channelChoice{
	{schemas.SourceGrid, schemas.ChannelGrid, [2]float64{0.18, 0.30}},
	{schemas.SourcePlatform, schemas.ChannelVisit, [2]float64{0.24, 0.34}},
	{schemas.SourcePlatform, schemas.ChannelPhone, [2]float64{0.07, 0.08}},
	{schemas.SourcePlatform, schemas.ChannelReferral, [2]float64{0.07, 0.07}},
	{schemas.SourcePlatform, schemas.ChannelSuperior, [2]float64{0.03, 0.03}},
	{schemas.SourceHotline, schemas.ChannelPhone, [2]float64{0.22, 0.10}},
	{schemas.SourceHotline, schemas.ChannelReferral, [2]float64{0.04, 0.02}},
	{schemas.SourceFengqiaoBoard, schemas.ChannelOnline, [2]float64{0.15, 0.06}},
}

// channelProbs returns the probabilities of channelChoices for urban (0)
// and rural (1) places.
func channelProbs() [2][]float64 {
	var out [2][]float64
	for u := 0; u < 2; u++ {
		for _, c := range channelChoices {
			out[u] = append(out[u], c.p[u])
		}
	}
	return out
}

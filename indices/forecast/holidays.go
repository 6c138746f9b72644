package forecast

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Holiday is one public holiday period of the Chinese calendar: the days off
// (放假) from First to Last inclusive, as dates at UTC midnight.
type Holiday struct {
	Key    string // spring_festival, qingming, labour_day, dragon_boat, mid_autumn, national_day, new_year
	NameZh string
	Year   int
	First  time.Time
	Last   time.Time
	// Official is false for years whose arrangement had not been published
	// when the calendar was made (the days are then the festival's date by
	// the lunar calendar, or the usual span).
	Official bool
}

//go:embed holidays_cn.csv
var holidaysCSV string

// ChinaHolidays is the shipped calendar 2019–2027 (holidays_cn.csv; its
// source is in HOLIDAYS.md).
var ChinaHolidays = mustParseHolidays(holidaysCSV)

func mustParseHolidays(s string) []Holiday {
	h, err := ParseHolidays(s)
	if err != nil {
		panic(err)
	}
	return h
}

// ParseHolidays reads a calendar in the format of holidays_cn.csv.
func ParseHolidays(s string) ([]Holiday, error) {
	recs, err := csv.NewReader(strings.NewReader(s)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("cannot read holiday calendar: %w", err)
	}
	var out []Holiday
	for i, r := range recs {
		if i == 0 {
			continue
		}
		if len(r) != 6 {
			return nil, fmt.Errorf("cannot read holiday calendar: line %d has %d fields", i+1, len(r))
		}
		y, err := strconv.Atoi(r[2])
		if err != nil {
			return nil, fmt.Errorf("cannot read holiday calendar: line %d: year: %w", i+1, err)
		}
		a, err1 := time.Parse(time.DateOnly, r[3])
		b, err2 := time.Parse(time.DateOnly, r[4])
		if err1 != nil || err2 != nil || b.Before(a) {
			return nil, fmt.Errorf("cannot read holiday calendar: line %d: bad dates %s..%s", i+1, r[3], r[4])
		}
		out = append(out, Holiday{Key: r[0], NameZh: r[1], Year: y, First: a, Last: b, Official: r[5] == "official"})
	}
	return out, nil
}

// holidayGroups are the design columns: the Spring Festival, the week after
// it (late returns), National Day, and the other holidays together.
var holidayGroups = []string{"spring_festival", "spring_festival_after", "national_day", "other"}

// holidayShares returns, for the period of days days starting at start
// (a civil date), the share of its days falling in each holiday group.
func holidayShares(cal []Holiday, start time.Time, days int) []float64 {
	out := make([]float64, len(holidayGroups))
	s := civil(start)
	e := s.AddDate(0, 0, days)
	// Only the holidays near the period (the week after the Spring
	// Festival counts too).
	var near []Holiday
	for _, h := range cal {
		if h.First.Before(e) && !h.Last.AddDate(0, 0, 8).Before(s) {
			near = append(near, h)
		}
	}
	if len(near) == 0 {
		return out
	}
	for d := 0; d < days; d++ {
		day := s.AddDate(0, 0, d)
		for _, h := range near {
			var g int
			switch {
			case !day.Before(h.First) && !day.After(h.Last):
				switch h.Key {
				case "spring_festival":
					g = 0
				case "national_day":
					g = 2
				default:
					g = 3
				}
			case h.Key == "spring_festival" && day.After(h.Last) && !day.After(h.Last.AddDate(0, 0, 7)):
				g = 1
			default:
				continue
			}
			out[g] += 1 / float64(days)
		}
	}
	for g := range out {
		if out[g] > 1 {
			out[g] = 1
		}
	}
	return out
}

// civil maps a time to its calendar date at UTC midnight.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

package reports

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/indices/composite"
)

// BulletinInput is what the monthly ranking bulletin (平安指数月度通报)
// reads: the stored monthly risk index rows of a month and of the month
// before. The bulletin ranks the units below Region by the stored rank
// (1 = highest index among its siblings, ties share the lower rank).
type BulletinInput struct {
	// Region issues the bulletin: the city (level 2) or a county (3).
	Region Region
	// Regions names every unit and gives its level and parent.
	Regions map[string]Region
	// Start and End bound the month [Start, End).
	Start, End  time.Time
	GeneratedAt time.Time
	Issuer      string
	// Rows are the month's risk index rows, Prev the previous month's
	// (any units: the bulletin keeps those below Region).
	Rows, Prev []Risk
}

// Bulletin is the model of one monthly ranking bulletin.
type Bulletin struct {
	Title      string `json:"title"`
	IssueNo    string `json:"issue_no"`
	Period     string `json:"period"`
	Issuer     string `json:"issuer"`
	Generated  string `json:"generated"`
	Marking    string `json:"marking"`
	RegionCode string `json:"region_code"`
	RegionName string `json:"region_name"`
	Level      int    `json:"level"`
	SubUnits   string `json:"sub_units"`

	Cards   []Card       `json:"cards"`
	Summary []string     `json:"summary"`
	Legend  []BandCount  `json:"legend"`
	Tables  []RankTable  `json:"tables"`
	Movers  []string     `json:"movers"`
	Rank    *Chart       `json:"rank,omitempty"`
	Radar   *Chart       `json:"radar,omitempty"`
	Charts  []*Chart     `json:"charts"`
	Note    string       `json:"note"`
	Mover   []MoverEntry `json:"mover_entries"`
}

// RankTable is one ranking: the units of one parent.
type RankTable struct {
	Title string    `json:"title"`
	Rows  []RankRow `json:"rows"`
}

// RankRow is one unit of a ranking.
type RankRow struct {
	Code      string `json:"code"`
	Rank      string `json:"rank"` // "—" without an index
	Name      string `json:"name"`
	Score     string `json:"score"`
	Band      string `json:"band"`
	BandLabel string `json:"band_label"`
	Color     string `json:"color"`
	// PrevRank is the rank of the previous month ("—" when none).
	PrevRank string `json:"prev_rank"`
	// Change is the move in rank in words: 上升2位 (closer to first),
	// 下降1位, 持平, 新列入 (no previous rank), — (no rank now).
	Change string `json:"change"`
	// Move is previous rank − rank (positive: moved up), 0 when either is
	// missing.
	Move  int    `json:"move"`
	Cases uint64 `json:"cases"`
}

// MoverEntry is one of the top movers, for the radar and the paragraph.
type MoverEntry struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Move int    `json:"move"`
}

// maxMovers is how many units the radar and the paragraphs on the drivers
// cover.
const maxMovers = 3

// BuildBulletin makes the bulletin of a city or a county.
func BuildBulletin(in BulletinInput) (*Bulletin, error) {
	if in.Region.Code == "" {
		return nil, errors.New("the bulletin has no region")
	}
	if in.Region.Level != 2 && in.Region.Level != 3 {
		return nil, fmt.Errorf("the bulletin is issued by a city or a county, not level %d", in.Region.Level)
	}
	if !in.End.After(in.Start) {
		return nil, fmt.Errorf("bad bulletin period %v – %v", in.Start, in.End)
	}
	m := &Bulletin{
		Title:      in.Region.Name + "平安指数月度通报",
		IssueNo:    issueNo(Month, in.Start),
		Period:     periodZH(Month, in.Start, in.End),
		Issuer:     in.Issuer,
		Generated:  dateZH(in.GeneratedAt),
		Marking:    "内部资料　注意保存",
		RegionCode: in.Region.Code,
		RegionName: in.Region.Name,
		Level:      in.Region.Level,
		SubUnits:   childWord(in.Region.Level),
	}
	cur := map[string]Risk{}
	for _, r := range in.Rows {
		cur[r.Region] = r
	}
	prev := map[string]Risk{}
	for _, r := range in.Prev {
		prev[r.Region] = r
	}
	name := func(code string) string {
		if r, ok := in.Regions[code]; ok {
			return r.Name
		}
		return code
	}
	// The units below a parent that have a row this month, by rank.
	table := func(parent string) []RankRow {
		var rows []RankRow
		for code, r := range cur {
			if reg, ok := in.Regions[code]; !ok || reg.Parent != parent {
				continue
			}
			row := RankRow{Code: code, Name: name(code), Rank: "—", Score: num1(r.Score), Band: r.Band, BandLabel: bandText(r.Band),
				Color: colorOf(r.Band), PrevRank: "—", Change: "—", Cases: r.NCases}
			if math.IsNaN(r.Score) {
				row.Band, row.BandLabel, row.Color = "na", bandText("na"), colorOf("na")
			}
			if r.Rank > 0 {
				row.Rank = strconv.Itoa(int(r.Rank))
			}
			p, had := prev[code]
			if had && p.Rank > 0 {
				row.PrevRank = strconv.Itoa(int(p.Rank))
			}
			switch {
			case r.Rank == 0:
			case !had || p.Rank == 0:
				row.Change = "新列入"
			default:
				row.Move = int(p.Rank) - int(r.Rank)
				switch {
				case row.Move > 0:
					row.Change = fmt.Sprintf("上升%d位", row.Move)
				case row.Move < 0:
					row.Change = fmt.Sprintf("下降%d位", -row.Move)
				default:
					row.Change = "持平"
				}
			}
			rows = append(rows, row)
		}
		slices.SortFunc(rows, func(a, b RankRow) int {
			ra, rb := cur[a.Code].Rank, cur[b.Code].Rank
			if (ra == 0) != (rb == 0) {
				if ra == 0 {
					return 1
				}
				return -1
			}
			if c := cmp.Compare(ra, rb); c != 0 {
				return c
			}
			return strings.Compare(a.Code, b.Code)
		})
		return rows
	}

	top := table(in.Region.Code)
	m.Tables = append(m.Tables, RankTable{Title: "各" + childWord(in.Region.Level) + "风险指数排名", Rows: top})
	if in.Region.Level == 2 {
		for _, c := range top {
			if rows := table(c.Code); len(rows) > 0 {
				m.Tables = append(m.Tables, RankTable{Title: c.Name + "各" + childWord(3) + "风险指数排名", Rows: rows})
			}
		}
	}

	// Bands of the main ranking.
	counts := map[string]int{}
	for _, r := range top {
		counts[r.Band]++
	}
	var bandWords []string
	for _, b := range []string{"red", "orange", "yellow", "blue", "normal"} {
		m.Legend = append(m.Legend, BandCount{Band: b, Label: bandText(b), Color: colorOf(b), N: counts[b]})
		if counts[b] > 0 {
			bandWords = append(bandWords, fmt.Sprintf("%s%d个", bandText(b), counts[b]))
		}
	}

	// The top movers: the largest moves in rank, then the largest change
	// of the index, then the code.
	var movers []RankRow
	for _, r := range top {
		if r.Move != 0 {
			movers = append(movers, r)
		}
	}
	scoreMove := func(code string) float64 {
		d := math.Abs(cur[code].Score - prev[code].Score)
		if math.IsNaN(d) {
			return 0
		}
		return d
	}
	slices.SortStableFunc(movers, func(a, b RankRow) int {
		if c := cmp.Compare(abs(b.Move), abs(a.Move)); c != 0 {
			return c
		}
		if c := cmp.Compare(scoreMove(b.Code), scoreMove(a.Code)); c != 0 {
			return c
		}
		return strings.Compare(a.Code, b.Code)
	})
	if len(movers) > maxMovers {
		movers = movers[:maxMovers]
	}

	unit := childWord(in.Region.Level)
	ranked := 0
	for _, r := range top {
		if r.Rank != "—" {
			ranked++
		}
	}
	summary := fmt.Sprintf("%s，%s%d个%s参与社会矛盾风险指数排名", m.Period, whole(in.Region), ranked, unit)
	if len(bandWords) > 0 {
		summary += "，其中" + strings.Join(bandWords, "、")
	}
	summary += "。"
	if len(top) > 0 && top[0].Rank == "1" {
		summary += fmt.Sprintf("风险指数最高的是%s（%s，%s预警）。", top[0].Name, top[0].Score, top[0].BandLabel)
	}
	up, down := bestMove(top, 1), bestMove(top, -1)
	if up != nil {
		summary += fmt.Sprintf("排名上升最多的是%s（由第%s位升至第%s位）", up.Name, up.PrevRank, up.Rank)
	}
	if down != nil {
		if up != nil {
			summary += "，"
		}
		summary += fmt.Sprintf("排名下降最多的是%s（由第%s位降至第%s位）", down.Name, down.PrevRank, down.Rank)
	}
	if up != nil || down != nil {
		summary += "。"
	} else if len(top) > 0 {
		summary += "各地区排名与上月相比没有变化或上月无可比排名。"
	}
	m.Summary = append(m.Summary, summary)
	if in.Region.Level == 3 {
		if own, ok := cur[in.Region.Code]; ok && own.Rank > 0 {
			s := fmt.Sprintf("%s风险指数%s（%s预警），在全市%s中排第%d位", in.Region.Name, num1(own.Score), bandText(own.Band), childWord(2), own.Rank)
			if p, ok := prev[in.Region.Code]; ok && p.Rank > 0 {
				s += "，上月第" + strconv.Itoa(int(p.Rank)) + "位"
			}
			m.Summary = append(m.Summary, s+"。")
		}
	}

	m.Cards = []Card{
		{Label: "参评" + unit + "（个）", Value: strconv.Itoa(ranked)},
		{Label: "红色、橙色预警（个）", Value: strconv.Itoa(counts["red"] + counts["orange"])},
		{Label: "排名首位", Value: "—"},
	}
	if len(top) > 0 && top[0].Rank == "1" {
		m.Cards[2] = Card{Label: "排名首位", Value: top[0].Name, Note: "风险指数" + top[0].Score}
	}
	if up != nil {
		m.Cards = append(m.Cards, Card{Label: "排名上升最多", Value: up.Name, Note: up.Change})
	}
	if down != nil {
		m.Cards = append(m.Cards, Card{Label: "排名下降最多", Value: down.Name, Note: down.Change})
	}

	// One paragraph per mover: the move, the index, and the drivers
	// against the previous month in words.
	var names []string
	var values [][]float64
	var dims []string
	for _, mv := range movers {
		r := cur[mv.Code]
		p := prev[mv.Code]
		dir := "升至"
		if r.Score < p.Score {
			dir = "降至"
		}
		s := fmt.Sprintf("%s：风险指数由上月%s%s%s（%s预警），排名%s（第%s位→第%s位）。", mv.Name, num1(p.Score), dir, num1(r.Score),
			bandText(r.Band), mv.Change, mv.PrevRank, mv.Rank)
		var ds, sib []string
		for _, d := range r.DriversPrev {
			ds = append(ds, driverText(d, composite.AgainstPrevious))
		}
		for _, d := range r.DriversSiblings {
			sib = append(sib, driverText(d, composite.AgainstSiblings))
		}
		switch {
		case len(ds) > 0:
			s += "主要变化：" + strings.Join(ds, "、") + "。"
		case len(sib) > 0:
			s += "未记录与上月相比的驱动因素；与同级相比，" + strings.Join(sib, "、") + "。"
		default:
			s += "未记录主要驱动因素。"
		}
		m.Movers = append(m.Movers, s)
		m.Mover = append(m.Mover, MoverEntry{Code: mv.Code, Name: mv.Name, Move: mv.Move})
		if len(r.DimensionScores) > 0 && (dims == nil || len(r.DimensionScores) == len(dims)) {
			if dims == nil {
				dims = r.DimensionNames
			}
			v := make([]float64, len(r.DimensionScores))
			for i, x := range r.DimensionScores {
				v[i] = round1(x)
				if math.IsNaN(x) {
					v[i] = 0
				}
			}
			names = append(names, mv.Name)
			values = append(values, v)
		}
	}
	if len(m.Movers) == 0 {
		m.Movers = []string{"本月各地区排名与上月相比没有变化，或上月无可比排名。"}
	}
	if len(names) > 0 {
		labels := make([]string, len(dims))
		for i, d := range dims {
			labels[i] = dimensionText(d)
		}
		m.Radar = radarChart(labels, names, values)
		m.Radar.Title = "排名变动较大地区的风险维度（压力、脆弱性、处置能力）"
	}
	var rr []RiskRow
	for _, r := range top {
		rr = append(rr, RiskRow{Name: r.Name, Score: r.Score, Band: r.Band})
	}
	if len(rr) > 0 {
		m.Rank = riskRankChart(rr)
		m.Rank.Title = "各" + unit + "风险指数排名（四色预警）"
	}
	for _, c := range []*Chart{m.Rank, m.Radar} {
		if c != nil {
			m.Charts = append(m.Charts, c)
		}
	}
	m.Note = "排名按社会矛盾风险指数（SCRI，0—10分，按月计算）由高到低排列，第1位风险最高；颜色为预警等级（红、橙、黄、蓝、正常），由风险指数、滞后规则和可靠性共同确定；" +
		"“较上月”比较本月与上月在同级地区中的名次，上升表示风险排位前移。"
	return m, nil
}

// bestMove returns the row with the largest move up (sign 1) or down
// (sign −1), the first in rank order on a tie; nil when none moved that
// way.
func bestMove(rows []RankRow, sign int) *RankRow {
	var best *RankRow
	for i := range rows {
		if v := sign * rows[i].Move; v > 0 && (best == nil || v > sign*best.Move) {
			best = &rows[i]
		}
	}
	return best
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// RenderBulletin writes the bulletin as one self-contained HTML page, in
// the same A4 layout (and phone layout) as the reports.
func RenderBulletin(w io.Writer, m *Bulletin) error {
	list := make([]chartJS, len(m.Charts))
	for i, c := range m.Charts {
		list[i] = chartJS{ID: c.ID, Option: c.Option}
	}
	charts, err := encodeCharts(list)
	if err != nil {
		return err
	}
	data := pageData{M: m, ECharts: echartsJS(), Charts: charts, MapName: MapName}
	if err := bulletinTmpl.Execute(w, data); err != nil {
		return fmt.Errorf("cannot render %s: %w", m.Title, err)
	}
	return nil
}

// RenderBulletinHTML is RenderBulletin into a byte slice.
func RenderBulletinHTML(m *Bulletin) ([]byte, error) {
	var buf bytes.Buffer
	if err := RenderBulletin(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

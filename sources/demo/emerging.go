package demo

import (
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riskwatch/riskwatch/schemas"
)

// tagEmerging seeds the plan and the cases of the emerging issues.
const tagEmerging = 6

// EmergingIssue is an injected burst of similar complaints in one village
// over a few days, filed under several categories: the ground truth of
// the emerging-issue detector (indices/emerging).
type EmergingIssue struct {
	// Label names the issue: its topic and first day.
	Label string
	// Topic is the topic's short name (停水, 停电, …).
	Topic string
	// Town and Village are region codes.
	Town, Village string
	// Start and End are the first and last day (Asia/Shanghai dates) with
	// cases.
	Start, End time.Time
	// Categories are the taxonomy codes the cases are filed under.
	Categories []string
	// CaseIDs are the ids of the cases generated so far (cases after Now
	// are not generated).
	CaseIDs []string
}

// emergingState is the generator's plan of emerging issues.
type emergingState struct {
	issues []emIssue
	today  []emMember // cases of the day being generated
}

type emIssue struct {
	EmergingIssue
	topic            int
	cats             []int
	startIdx, endIdx int
	counts           []int // cases per day
	picker           picker
}

type emMember struct {
	c     *caseState
	issue int
}

// emTopic is one topic: a text is a subject, a detail and a demand, so the
// cases of one issue share the subject's words and differ in the rest.
type emTopic struct {
	name                       string
	subjects, details, demands []string
}

var emTopics = []emTopic{
	{"停水",
		[]string{"停水", "突然停水", "已经停水好几天", "自来水停了"},
		[]string{"老人孩子没水用", "做饭洗澡都成问题", "没有提前通知", "附近商店桶装水涨价", "厕所没法冲"},
		[]string{"要求尽快恢复供水", "希望有关部门督促恢复供水", "物业和水务公司互相推诿", "请给个说法"}},
	{"停电",
		[]string{"停电", "反复停电", "大面积停电", "一直停电"},
		[]string{"冰箱里的东西都坏了", "晚上黑灯瞎火", "电梯停运老人下不了楼", "没有任何停电通知"},
		[]string{"要求供电部门尽快恢复供电", "希望说明停电原因", "请尽快抢修线路"}},
	{"供暖",
		[]string{"暖气不热", "供暖温度不达标", "家里暖气冰凉"},
		[]string{"室内只有十几度", "老人孩子冻感冒了", "交了取暖费不供热", "热力公司电话打不通"},
		[]string{"要求热力公司尽快解决", "要求退还部分取暖费", "希望有关部门督促供暖"}},
	{"燃气",
		[]string{"燃气停供", "天然气停了", "燃气突然停气"},
		[]string{"没法做饭", "燃气公司没有通知", "充值了用不上气", "饭店也没法营业"},
		[]string{"要求尽快恢复供气", "请燃气公司说明情况", "希望尽快恢复"}},
	{"垃圾",
		[]string{"垃圾没人清运", "垃圾堆积好多天", "垃圾站满了没人拉"},
		[]string{"臭味熏天", "苍蝇蚊子很多", "垃圾都堆到路边了", "保洁公司说没结到钱"},
		[]string{"要求尽快清运", "希望有关部门管一管", "请尽快处理"}},
	{"预付卡",
		[]string{"健身房突然关门", "健身房老板跑路", "健身房停业联系不上"},
		[]string{"办的年卡还没用完", "刚充了几千元", "会员费退不了", "教练也找不到人"},
		[]string{"要求退还预付款", "希望帮忙追回会员费", "请市场监管部门处理"}},
	{"封路",
		[]string{"道路施工封路", "修路把路全封了", "出村道路被挖断"},
		[]string{"车辆进不去出不来", "孩子上学要绕很远", "施工没有公示工期", "下雨后泥泞不堪"},
		[]string{"要求留出通行道路", "希望尽快完工", "请说明工期"}},
	{"异味",
		[]string{"化工厂排放异味", "工厂夜里排放刺鼻气味", "附近工厂有刺鼻异味"},
		[]string{"晚上不敢开窗", "闻了头晕恶心", "孩子咳嗽不止", "多次反映没有结果"},
		[]string{"要求环保部门检查", "要求工厂停产整改", "请尽快处理"}},
}

// emergingCategorySets are the category mixes an issue is filed under.
var emergingCategorySets = [][]string{
	{"property", "consumer", "other"},
	{"property", "environment", "other"},
	{"consumer", "neighbor", "other"},
	{"property", "consumer", "environment"},
}

// planEmerging draws the emerging issues of the period: on average one
// every ten days, each in a village drawn by residents, 2–4 days long
// with 10–24 cases, after the first five weeks (so that the detector has a
// baseline).
func (g *Generator) planEmerging() {
	r := rand.New(rand.NewPCG(mix(g.seed, tagEmerging, 0, 0), tagEmerging))
	var villages picker
	for li := range g.leaves {
		if lf := &g.leaves[li]; lf.isVillage && lf.town >= 0 {
			villages.add(int32(li), lf.weight)
		}
	}
	if len(villages.leaves) == 0 || g.lastIdx < 40 {
		return
	}
	n := (g.lastIdx + 1 - 35) / 10
	for i := 0; i < n; i++ {
		li := villages.leaves[pick(r, villages.cum)]
		lf := &g.leaves[li]
		days := 2 + r.IntN(3)
		start := 35 + r.IntN(g.lastIdx+1-35-days+1)
		ti := r.IntN(len(emTopics))
		set := emergingCategorySets[r.IntN(len(emergingCategorySets))]
		size := 10 + r.IntN(15)
		is := emIssue{topic: ti, startIdx: start, endIdx: start + days - 1, counts: make([]int, days)}
		for j := 0; j < size; j++ {
			is.counts[r.IntN(days)]++
		}
		for _, code := range set {
			is.cats = append(is.cats, catIndex(code))
		}
		is.picker.add(li, 1)
		first := time.Unix(dayStartUnix(g.fromDay+start), 0).In(cst)
		is.EmergingIssue = EmergingIssue{
			Label:      emTopics[ti].name + "-" + lf.code + "-" + first.Format("2006-01-02"),
			Topic:      emTopics[ti].name,
			Town:       g.towns[lf.town].code,
			Village:    lf.code,
			Start:      first,
			End:        first.AddDate(0, 0, days-1),
			Categories: set,
		}
		g.em.issues = append(g.em.issues, is)
	}
}

// emergingCases appends the day's cases of the emerging issues to buf.
func (g *Generator) emergingCases(d int, dayStart int64, buf []*caseState) []*caseState {
	g.em.today = g.em.today[:0]
	for ii := range g.em.issues {
		is := &g.em.issues[ii]
		if d < is.startIdx || d > is.endIdx {
			continue
		}
		for j := 0; j < is.counts[d-is.startIdx]; j++ {
			seed := mix(g.seed, tagEmerging, uint64(ii+1), uint64(d)<<24|uint64(j))
			cat := is.cats[j%len(is.cats)]
			c := g.newCase(seed, dayStart, cat, &is.picker, schemas.LevelVillage)
			if c == nil {
				continue
			}
			// Filed under the issue's category, whatever the clerk's
			// words would have said, and worded as the topic.
			c.rec.Category, c.rec.CategoryText = catCodes[cat], ""
			c.rec.Summary = emergingText(g.cs.r, &emTopics[is.topic], g.leaves[c.leaf].place)
			c.rec.RepeatOf = ""
			buf = append(buf, c)
			g.em.today = append(g.em.today, emMember{c: c, issue: ii})
		}
	}
	return buf
}

// noteEmerging records the ids of the day's emerging cases, once the day's
// cases are numbered.
func (g *Generator) noteEmerging() {
	for _, m := range g.em.today {
		is := &g.em.issues[m.issue]
		is.CaseIDs = append(is.CaseIDs, m.c.rec.CaseID)
	}
	clear(g.em.today)
	g.em.today = g.em.today[:0]
}

func emergingText(r *rand.Rand, t *emTopic, place string) string {
	var b strings.Builder
	switch r.IntN(4) {
	case 0:
		b.WriteString("反映")
	case 1:
		b.WriteString("群众来电反映")
	}
	b.WriteString(place)
	b.WriteString(t.subjects[r.IntN(len(t.subjects))])
	b.WriteString("，")
	b.WriteString(t.details[r.IntN(len(t.details))])
	if r.IntN(2) == 0 {
		b.WriteString("，")
		b.WriteString(t.details[r.IntN(len(t.details))])
	}
	b.WriteString("，")
	b.WriteString(t.demands[r.IntN(len(t.demands))])
	b.WriteString("。")
	return b.String()
}

// Emerging returns the emerging issues of the stream with the ids of the
// cases generated so far: run the stream to its end first for the full
// ground truth. Nil unless Options.Emerging is set.
func (g *Generator) Emerging() []EmergingIssue {
	out := make([]EmergingIssue, 0, len(g.em.issues))
	for _, is := range g.em.issues {
		e := is.EmergingIssue
		e.CaseIDs = append([]string(nil), is.CaseIDs...)
		e.Categories = append([]string(nil), is.Categories...)
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

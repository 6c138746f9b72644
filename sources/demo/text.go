package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
)

// Names. Tongliao is about half Mongolian: many people go by a Mongolian
// given name, alone or after a short surname such as 包 or 白.
var (
	hanSurnames = strings.Fields(`王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 高 林 罗
		郑 梁 谢 宋 唐 许 韩 冯 邓 曹 彭 曾 肖 田 董 袁 潘 于 蒋 蔡 余 杜 叶 程 苏 魏 吕 丁 任 沈
		姚 卢 姜 崔 钟 谭 陆 汪 范 金 石 廖 贾 夏 付 方 白 邹 孟 熊 秦 邱 江 尹 薛 闫 段 雷 侯 龙
		史 陶 贺 顾 毛 郝 龚 邵 万 钱 严 武 戴 孔 常 齐 关 佟`)
	hanGiven = strings.Fields(`建国 建华 国庆 志强 志刚 海军 海峰 立新 文华 秀兰 秀英 桂芳 淑珍
		玉兰 春梅 丽娟 晓东 红梅 凤琴 振华 永生 德胜 长青 福全 玉芬 金凤 宏伟 俊杰 晓燕 丽华 明
		强 伟 磊 静 敏 艳 军 勇 杰 娜 涛 超 亮 丽 霞 红 刚 平 辉 鹏 慧 颖 瑞 雪 婷 宇 浩`)
	mongolSurnames = strings.Fields(`包 白 宝 吴 韩 那 鲍 敖 乌 海 陶`)
	mongolGiven    = strings.Fields(`巴特尔 其其格 乌云 额尔敦 苏日娜 图雅 那顺 朝鲁 阿拉坦 宝音
		哈斯 斯琴 乌力吉 满都拉 萨仁 格日勒 娜仁 孟和 吉日嘎拉 白音 乌兰 塔娜 查干 敖日格乐 青格勒
		额尔德木图 宝力道 呼和 达来 锡林`)
)

// buildNames returns the table of full names, without any that contains a
// classification keyword (a name must never decide a category).
func buildNames(kw []string) []string {
	var out []string
	add := func(n string) {
		if !containsAny(n, kw) {
			out = append(out, n)
		}
	}
	for _, s := range hanSurnames {
		for _, g := range hanGiven {
			add(s + g)
		}
	}
	for _, g := range mongolGiven {
		add(g)
		for _, s := range mongolSurnames {
			if !strings.HasPrefix(g, s) {
				add(s + g)
			}
		}
		// Mongolian names are common among Han families too.
		for _, s := range []string{"王", "李", "张", "刘", "赵"} {
			add(s + g)
		}
	}
	return out
}

// allKeywords returns every classification keyword of the taxonomy.
func allKeywords() []string {
	var kw []string
	for _, c := range schemas.Taxonomy {
		kw = append(kw, c.Keywords...)
	}
	return kw
}

func containsAny(s string, kw []string) bool {
	for _, k := range kw {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

// A template is a summary with placeholders, split once into parts:
//
//	{A} {B}  party names        {N} number of parties
//	{P}      the place          {T} the town (for "到…综治中心")
//	{M}      the amount         {C} a company
type template struct {
	parts  []tpart
	names  int    // how many party names it uses (0, 1 or 2)
	months uint16 // bit m-1 set: usable in month m; 0 means every month
}

type tpart struct {
	lit string
	ph  byte
}

func parseTemplate(s string, months uint16) template {
	t := template{months: months}
	for s != "" {
		i := strings.IndexByte(s, '{')
		if i < 0 || i+2 >= len(s) || s[i+2] != '}' {
			t.parts = append(t.parts, tpart{lit: s})
			break
		}
		t.parts = append(t.parts, tpart{lit: s[:i], ph: s[i+1]})
		switch s[i+1] {
		case 'A':
			t.names = max(t.names, 1)
		case 'B':
			t.names = 2
		}
		s = s[i+3:]
	}
	return t
}

// Months masks for the templates that only make sense in a season.
const (
	heatingMonths = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<9 | 1<<10 | 1<<11 // October to April
	allMonths     = 0
)

// summaryTemplates holds the summary templates of every category. Each one
// contains a keyword of its own category and none of a category tried
// before it (see schemas.ClassifyOrder); a test checks it on the generated
// stream.
var summaryTemplates = [numCats][]struct {
	text   string
	months uint16
}{
	catNeighbor: {
		{"{P}居民{A}反映，邻居{B}在两家之间砌墙，堵住了通行道路，双方多次争吵，请求调解。", allMonths},
		{"{A}与邻居{B}因宅基地界址发生争执，{B}翻建时越界约半米，双方互不相让。", allMonths},
		{"{P}{A}反映楼上住户{B}家卫生间漏水，导致其家天花板受损，协商赔偿未果。", allMonths},
		{"{A}与{B}两家因院外柴禾堆放占道问题产生矛盾，邻里关系紧张，网格员上门了解情况。", allMonths},
	},
	catNoise: {
		{"{P}居民{A}反映，楼下{B}经营的烧烤店夜间噪音扰民，多次沟通无果。", allMonths},
		{"{A}反映小区广场舞音响声音过大，每晚持续到十点以后，严重影响休息，噪音扰民。", allMonths},
		{"{A}反映邻居{B}家装修声从早到晚不断，周末也不停工，双方发生口角。", allMonths},
	},
	catFamily: {
		{"{P}村民{A}反映，其与丈夫{B}因感情不和要求离婚，双方对子女抚养问题分歧较大。", allMonths},
		{"{A}反映，其子女对赡养老人问题相互推诿，{B}长期不承担赡养费用，请求调解。", allMonths},
		{"{A}与{B}订婚后解除婚约，双方就返还彩礼{M}发生纠纷。", allMonths},
		{"{A}兄弟姐妹因父母遗留房屋继承问题产生矛盾，{B}不同意分家方案。", allMonths},
	},
	catLabor: {
		{"{A}反映，其在{C}务工期间受伤，单位拒不认定工伤，要求依法赔偿{M}。", allMonths},
		{"{A}等{N}人反映，{C}未签订劳动合同即将其辞退，且未缴纳社保。", allMonths},
		{"{A}反映{C}长期安排加班却不支付加班费，双方劳资矛盾激化。", allMonths},
	},
	catWage: {
		{"{A}等{N}名农民工反映，{C}拖欠其工资{M}，多次讨要无果。", allMonths},
		{"{A}反映，其在{P}工地务工，包工头{B}拖欠工钱{M}至今未付。", allMonths},
		{"{A}等{N}人到{T}综治中心反映{C}欠薪问题，涉及金额{M}，要求年前结清工资。", allMonths},
	},
	catLand: {
		{"{P}村民{A}反映，{B}占用其承包地约三亩，双方因地界问题多次发生争执。", allMonths},
		{"{A}等{N}户村民反映，村集体土地承包合同到期后重新发包程序不公开。", allMonths},
		{"{A}反映，其将耕地流转给{B}种植，对方拖欠流转费{M}。", allMonths},
		{"{A}与{B}因土地确权面积不一致发生纠纷，请求核实。", allMonths},
	},
	catGrassland: {
		{"{P}牧民{A}反映，{B}越界在其承包的草牧场放牧，双方多次发生口角。", allMonths},
		{"{A}反映禁牧期内{B}偷牧，牛羊进入其打草场，造成草场损毁。", allMonths},
		{"{A}与{B}因两家草场边界划分不清发生争执，涉及面积约两百亩。", allMonths},
		{"{A}等{N}户牧民反映林地权属不清，{B}擅自砍伐。", allMonths},
	},
	catExpropriation: {
		{"{A}等{N}户反映，{P}征地补偿款{M}迟迟未发放到位。", allMonths},
		{"{A}反映，其房屋被列入棚改范围，对拆迁安置方案不满意。", allMonths},
		{"{A}反映项目施工方在未达成协议情况下强拆其仓房，要求赔偿{M}。", allMonths},
	},
	catProperty: {
		{"{P}小区业主{A}等{N}户反映，冬季供暖温度不达标，室温不足十八度，物业公司推诿。", heatingMonths},
		{"{A}反映物业公司收取停车位管理费标准不透明，业主意见较大。", allMonths},
		{"{A}等{N}户购房户反映，开发商逾期交房已超过一年，要求退还房款。", allMonths},
		{"{A}反映房屋质量问题，墙体开裂，物业维修不及时。", allMonths},
	},
	catConsumer: {
		{"{A}反映在某健身房办理预付卡{M}，商家突然停业，要求退款。", allMonths},
		{"{A}反映其在某电器商家购买的冰箱出现质量问题，售后拒绝退货。", allMonths},
		{"{A}等{N}名消费者反映某培训机构收费后停课，要求退款。", allMonths},
	},
	catMedical: {
		{"{A}反映其父亲在某医院手术后出现并发症，认为存在医疗过错，要求赔偿{M}。", allMonths},
		{"{A}家属与医院因误诊问题发生医患纠纷，情绪较为激动。", allMonths},
		{"{A}反映某诊所医生用药不当，导致其病情加重。", allMonths},
	},
	catTraffic: {
		{"{A}驾驶的农用三轮车与{B}的轿车发生剐蹭，双方对责任认定和赔偿有争议。", allMonths},
		{"{A}反映，其家人在{P}路段被{B}驾车撞伤，住院治疗花费{M}，肇事方拒绝赔付。", allMonths},
		{"{A}与{B}发生追尾交通事故，对修车费用协商未果。", allMonths},
	},
	catFinance: {
		{"{A}反映，{B}向其借款{M}后到期不还，多次催要无果。", allMonths},
		{"{A}与{B}因民间借贷利息计算发生纠纷，{B}称已还清欠款。", allMonths},
		{"{A}反映{B}以投资养殖为名借走{M}，至今未归还。", allMonths},
	},
	catFinanceMass: {
		{"{A}等{N}人反映，某公司以高额回报为诱饵非法集资，涉及金额{M}，负责人已失联。", allMonths},
		{"{A}等{N}名群众反映某投资公司理财暴雷，本金{M}无法兑付。", allMonths},
		{"{A}等{N}户反映某合作社以入股分红为名向村民集资{M}，到期不能返还。", allMonths},
	},
	catEnvironment: {
		{"{P}居民{A}等反映，附近养殖场排污，污水直排渠道，臭味严重。", allMonths},
		{"{A}反映周边搅拌站粉尘污染严重，影响居民生活。", allMonths},
		{"{A}反映某饭店油烟直排，异味影响周边住户。", allMonths},
	},
	catPetition: {
		{"{A}对法院作出的民事判决不服，多次到信访部门申诉，要求再审。", allMonths},
		{"{A}反映其胜诉案件长期得不到执行，对方{B}拒不履行判决。", allMonths},
		{"{A}对本人涉法涉诉案件处理结果有异议，反复信访。", allMonths},
	},
	catCampus: {
		{"{A}反映其孩子在学校遭受同学欺凌，要求学校严肃处理。", allMonths},
		{"{A}等{N}名家长反映幼儿园伙食差，与园方发生争执。", allMonths},
		{"{A}反映孩子在校园内摔伤，与学校就责任承担产生分歧。", allMonths},
	},
	catOther: {
		{"{A}反映其与{B}因琐事发生口角，要求有关部门调解。", allMonths},
		{"{A}反映{B}饲养的犬只多次咬伤路人，要求处理。", allMonths},
		{"{A}反映其户籍信息登记有误，多次办理未果。", allMonths},
		{"{A}与{B}因合伙经营分账问题产生矛盾。", allMonths},
	},
}

// categoryTexts are the free-text categories an intake clerk writes when no
// code is chosen; each classifies to its category.
var categoryTexts = [numCats][]string{
	catNeighbor:      {"邻里纠纷", "邻居矛盾", "宅基地界纠纷", "通行纠纷"},
	catNoise:         {"噪音扰民", "噪声投诉"},
	catFamily:        {"婚姻家庭纠纷", "赡养纠纷", "彩礼纠纷", "离婚纠纷"},
	catLabor:         {"劳资纠纷", "劳动合同纠纷", "工伤纠纷"},
	catWage:          {"拖欠农民工工资", "讨薪", "欠薪"},
	catLand:          {"土地承包纠纷", "承包地纠纷", "土地流转纠纷"},
	catGrassland:     {"草牧场纠纷", "草场边界纠纷", "林权纠纷"},
	catExpropriation: {"征地拆迁", "拆迁补偿", "征地补偿款纠纷"},
	catProperty:      {"物业纠纷", "供暖纠纷", "房产纠纷"},
	catConsumer:      {"消费纠纷", "预付卡退款"},
	catMedical:       {"医疗纠纷", "医患纠纷"},
	catTraffic:       {"交通事故纠纷", "车辆剐蹭"},
	catFinance:       {"民间借贷纠纷", "借款纠纷"},
	catFinanceMass:   {"非法集资", "涉众型集资"},
	catEnvironment:   {"环境污染", "油烟污染", "排污问题"},
	catPetition:      {"涉法涉诉信访", "申诉"},
	catCampus:        {"校园纠纷", "学生欺凌"},
	catOther:         {"其他纠纷", "一般民事纠纷"},
}

// companies stand in for the other side of labour disputes.
var companies = []string{"某建筑公司", "某物流公司", "某煤矿", "某餐饮店", "某农牧业公司", "某劳务公司", "某装修队", "某砖厂"}

// extremeSentences are the extreme-risk words the rule alarms look for.
var extremeSentences = []string{
	"当事人情绪激动，扬言如不解决将到市里上访。",
	"当事人扬言要采取极端方式讨说法。",
	"当事人称如不解决将跳楼。",
	"当事人扬言要报复对方。",
}

// appendDigits appends n decimal digits of v (leading zeros kept).
func appendDigits(b []byte, v uint64, n int) []byte {
	var tmp [20]byte
	for i := n - 1; i >= 0; i-- {
		tmp[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, tmp[:n]...)
}

// fullWidth rewrites the ASCII digits of b[from:] as full-width digits.
func fullWidth(b []byte, from int) []byte {
	digits := string(b[from:])
	b = b[:from]
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c >= '0' && c <= '9' {
			b = utf8.AppendRune(b, rune('０'+rune(c-'0')))
		} else {
			b = append(b, c)
		}
	}
	return b
}

// appendMobile appends a synthetic mainland mobile number, 1380000xxxx:
// valid-looking, obviously not a real subscriber. One in twenty is written
// 138-0000-xxxx, one in twenty with full-width digits.
func appendMobile(b []byte, r *rand.Rand) []byte {
	tail := uint64(r.IntN(10000))
	switch r.IntN(20) {
	case 0:
		b = append(b, "138-0000-"...)
		return appendDigits(b, tail, 4)
	case 1:
		from := len(b)
		b = append(b, "1380000"...)
		b = appendDigits(b, tail, 4)
		return fullWidth(b, from)
	}
	b = append(b, "1380000"...)
	return appendDigits(b, tail, 4)
}

// idWeights and idCheck compute the check character of an 18-digit ID
// number (GB 11643, ISO 7064 MOD 11-2).
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheck = "10X98765432"

// appendID appends a synthetic 18-digit ID number of the county: a real
// area code, a valid birth date, the order code 99x (conventionally
// unassigned here, so it is recognizably synthetic) and a valid check
// character.
func appendID(b []byte, county string, r *rand.Rand) []byte {
	from := len(b)
	b = append(b, county[:6]...)
	year := 1950 + r.IntN(55)
	month := 1 + r.IntN(12)
	day := 1 + r.IntN(28)
	b = appendDigits(b, uint64(year), 4)
	b = appendDigits(b, uint64(month), 2)
	b = appendDigits(b, uint64(day), 2)
	b = append(b, '9', '9')
	b = appendDigits(b, uint64(r.IntN(10)), 1)
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(b[from+i]-'0') * idWeights[i]
	}
	return append(b, idCheck[sum%11])
}

// appendAmount appends an amount the way a clerk writes it: 3.5万元, 120万元,
// 8000元.
func appendAmount(b []byte, amt float64) []byte {
	if amt >= 10000 {
		wan := amt / 10000
		if wan >= 100 {
			b = strconv.AppendInt(b, int64(math.Round(wan)), 10)
		} else {
			b = strconv.AppendFloat(b, math.Round(wan*10)/10, 'f', -1, 64)
		}
		return append(b, "万元"...)
	}
	b = strconv.AppendInt(b, int64(amt), 10)
	return append(b, "元"...)
}

// shortVillage drops the administrative suffix of a village name.
func shortVillage(name string) string {
	for _, suf := range []string{"社区居民委员会", "社区居委会", "居民委员会", "居委会", "村民委员会", "村委会", "嘎查委员会", "嘎查村委会", "委员会"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			switch {
			case strings.HasSuffix(suf, "社区居委会") || strings.HasSuffix(suf, "社区居民委员会"):
				return s + "社区"
			case strings.HasPrefix(suf, "嘎查"):
				return s + "嘎查"
			case strings.HasPrefix(suf, "村"):
				if strings.HasSuffix(s, "村") || strings.HasSuffix(s, "嘎查") {
					return s
				}
				return s + "村"
			}
			return s
		}
	}
	return name
}

package schemas

import "fmt"

// Category is one entry of the dispute taxonomy. Codes are stable: they are
// stored in ClickHouse and in configuration, so a code is never reused for a
// different meaning; new categories get new codes.
type Category struct {
	Code   string // stable code, e.g. "labor.wage_arrears"
	Parent string // code of the parent group ("" for a group)
	NameZH string // the name the centers use
	NameEN string
	// Keywords classify free text (category_text, summary) when a record has
	// no category code. The first category, in taxonomy order, with a keyword
	// contained in the text wins, so specific entries come before general ones.
	Keywords []string
}

// Taxonomy is the category taxonomy in force: the built-in one below unless
// SetTaxonomy replaced it at start with a deployment's categories file.
// Groups (Parent == "") come
// first; leaves point at their group. "other" is the fallback and has no
// keywords.
var Taxonomy = []Category{
	// Groups.
	{Code: "neighbor", NameZH: "邻里纠纷", NameEN: "Neighbour disputes",
		Keywords: []string{"邻里", "邻居", "楼上", "楼下", "漏水", "占道", "宅基地界", "通行"}},
	{Code: "family", NameZH: "婚姻家庭", NameEN: "Marriage and family",
		Keywords: []string{"婚姻", "离婚", "家暴", "家庭暴力", "赡养", "抚养", "彩礼", "继承", "分家", "夫妻"}},
	{Code: "labor", NameZH: "劳资纠纷", NameEN: "Labour disputes",
		Keywords: []string{"劳动合同", "工伤", "辞退", "社保", "加班费", "劳务", "劳资"}},
	{Code: "land", NameZH: "土地承包", NameEN: "Land contracting",
		Keywords: []string{"土地承包", "承包地", "耕地", "流转", "地界", "确权", "口粮田"}},
	{Code: "grassland", NameZH: "草牧场/山林权属", NameEN: "Grassland, pasture and forest rights",
		Keywords: []string{"草牧场", "草场", "牧场", "放牧", "禁牧", "山林", "林地", "林权"}},
	{Code: "expropriation", NameZH: "征地拆迁", NameEN: "Land expropriation and demolition",
		Keywords: []string{"征地", "拆迁", "补偿款", "安置", "棚改", "强拆"}},
	{Code: "property", NameZH: "物业/房产", NameEN: "Property management and housing",
		Keywords: []string{"物业", "房产", "购房", "交房", "房屋质量", "供暖", "取暖费", "停车位", "业主", "烂尾"}},
	{Code: "consumer", NameZH: "消费纠纷", NameEN: "Consumer disputes",
		Keywords: []string{"消费", "退款", "退货", "商家", "预付卡", "质量问题", "售后"}},
	{Code: "medical", NameZH: "医疗纠纷", NameEN: "Medical disputes",
		Keywords: []string{"医疗", "医院", "医患", "手术", "误诊", "医生"}},
	{Code: "traffic", NameZH: "交通事故", NameEN: "Traffic accidents",
		Keywords: []string{"交通事故", "车祸", "撞", "剐蹭", "追尾", "肇事"}},
	{Code: "finance", NameZH: "民间借贷/涉众金融", NameEN: "Private lending and mass-investor finance",
		Keywords: []string{"借款", "借贷", "欠款", "高利贷", "非法集资", "理财", "集资", "投资", "P2P"}},
	{Code: "environment", NameZH: "环境污染", NameEN: "Environmental pollution",
		Keywords: []string{"污染", "排污", "粉尘", "异味", "臭味", "污水", "垃圾", "油烟"}},
	{Code: "petition", NameZH: "涉法涉诉信访", NameEN: "Law- and litigation-related petitions",
		Keywords: []string{"涉法涉诉", "判决", "执行", "申诉", "法院", "再审", "信访"}},
	{Code: "campus", NameZH: "校园纠纷", NameEN: "Campus disputes",
		Keywords: []string{"校园", "学校", "学生", "霸凌", "欺凌", "老师", "幼儿园"}},
	{Code: "other", NameZH: "其他", NameEN: "Other"},

	// Leaves (more specific, so they are matched before their groups).
	{Code: "neighbor.noise", Parent: "neighbor", NameZH: "噪音扰民", NameEN: "Noise",
		Keywords: []string{"噪音", "噪声", "扰民", "吵闹", "装修声", "广场舞"}},
	{Code: "labor.wage_arrears", Parent: "labor", NameZH: "拖欠农民工工资", NameEN: "Migrant workers' wage arrears",
		Keywords: []string{"拖欠工资", "欠薪", "讨薪", "农民工工资", "拖欠工钱", "工钱", "欠工资", "工资"}},
	{Code: "finance.mass", Parent: "finance", NameZH: "涉众金融", NameEN: "Mass-investor finance",
		Keywords: []string{"非法集资", "集资", "P2P", "理财暴雷", "庞氏"}},
}

// OtherCategory is the fallback code when nothing matches.
const OtherCategory = "other"

// CategoryByCode indexes Taxonomy by code.
func CategoryByCode() map[string]Category {
	m := make(map[string]Category, len(Taxonomy))
	for _, c := range Taxonomy {
		m[c.Code] = c
	}
	return m
}

// ClassifyOrder returns the taxonomy in the order keywords are tried: leaves
// before groups, each in taxonomy order, so that "拖欠农民工工资" wins over
// the general 劳资纠纷.
func ClassifyOrder() []Category {
	out := make([]Category, 0, len(Taxonomy))
	for _, c := range Taxonomy {
		if c.Parent != "" {
			out = append(out, c)
		}
	}
	for _, c := range Taxonomy {
		if c.Parent == "" && len(c.Keywords) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// ValidateTaxonomy checks that codes are unique, parents exist and are
// groups, and every category has names. It exists so that a taxonomy edited
// by hand fails loudly.
func ValidateTaxonomy(cats []Category) error {
	seen := map[string]Category{}
	for i, c := range cats {
		if c.Code == "" || c.NameZH == "" || c.NameEN == "" {
			return fmt.Errorf("category %d: code, name_zh and name_en are required", i)
		}
		if _, dup := seen[c.Code]; dup {
			return fmt.Errorf("category %q: duplicate code", c.Code)
		}
		seen[c.Code] = c
	}
	for _, c := range cats {
		if c.Parent == "" {
			continue
		}
		p, ok := seen[c.Parent]
		if !ok {
			return fmt.Errorf("category %q: unknown parent %q", c.Code, c.Parent)
		}
		if p.Parent != "" {
			return fmt.Errorf("category %q: parent %q is not a group", c.Code, c.Parent)
		}
	}
	if _, ok := seen[OtherCategory]; !ok {
		return fmt.Errorf("taxonomy has no %q category", OtherCategory)
	}
	return nil
}

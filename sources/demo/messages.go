package demo

import (
	"fmt"
	"strings"
)

// LabelledMessage is a citizen's message with the category staff gave it
// (a taxonomy group code) and the family of phrasings it was written from.
// Families are for evaluation: a classifier tested on families it never
// saw must have learned its category's vocabulary, not the phrasings.
type LabelledMessage struct {
	Text   string
	Label  string
	Family string
}

// messageFamily is one way of telling one kind of problem: each message
// takes one phrase of every part, in order, and fills the placeholders
// ({P} place, {C} company or unit, {M} amount, {D} duration, {A} a name).
type messageFamily struct {
	label string
	parts [][]string
}

// messageFamilies are written so that the families of one category share
// the category's ordinary words (工资, 老板 …) but not their sentences, and
// so that every category also meets other categories' keywords in
// passing, as real messages do (a wage complaint by a teacher, a policy
// that is "not carried out").
var messageFamilies = []messageFamily{
	// Labour.
	{"labor", [][]string{
		{"我们是在{P}干活的农民工", "本人在{C}的工地上做瓦工", "我和几个老乡跟着包工头{A}干活", "我们一个班组十几个人在{P}搞装修"},
		{"干了{D}活，工钱{M}一直没给", "活干完了，老板拿各种理由拖着不结账", "包工头说开发商没拨款，欠我们的钱不给", "年底了还有{M}血汗钱没拿到"},
		{"打电话不接，找到人就说再等等", "去项目部要过好几次，保安不让进", "家里等着这笔钱给孩子交学费"},
		{"请劳动监察帮我们讨个说法", "希望政府出面让老板把钱结清", "恳请有关部门督促尽快支付"},
	}},
	{"labor", [][]string{
		{"我在{C}上班{D}了", "本人是{C}的一名员工", "我在{P}一家厂子当操作工"},
		{"公司一直没给我们交社保，也不签合同", "厂里突然说我们不用来了，一分钱补偿都没有", "每天加班到晚上十点，加班费一分没有", "上个月在车间把手弄伤了，厂里不给算工伤"},
		{"和人事说过几次都没用", "车间主任说不想干就走人", "同车间的工友情况都一样"},
		{"请劳动部门帮忙维权", "想问问这种情况能不能申请仲裁", "希望有关部门查一查这家企业"},
	}},
	{"labor", [][]string{
		{"我是{P}的一名代课老师", "我在{C}做保洁{D}", "我是{P}的一名护工", "我在{C}当保安"},
		{"工资已经{D}没发了", "单位每月只发一半工资，说是效益不好", "说好的绩效和补贴到现在都没兑现", "合同到期后单位不续签，押着最后两个月工资"},
		{"问单位领导，说上面没拨钱", "我们几个同事一起去问过", "生活已经很困难了"},
		{"希望上级部门过问一下", "请求依法保障我们的劳动报酬", "盼望早日把拖欠的钱发下来"},
	}},

	// Property management and housing.
	{"property", [][]string{
		{"我是{P}的业主", "我们{P}的住户", "我家住在{P}三号楼"},
		{"物业费年年涨，服务却越来越差", "小区电梯三天两头坏，物业就是不修", "楼道灯坏了{D}，物业没人管", "物业把小区公共车位租给外人收钱"},
		{"给物业打电话一直推脱", "业主群里大家意见很大", "老人孩子出行很不方便"},
		{"请住建部门督促物业整改", "希望街道牵头成立业委会", "要求物业公开收支账目"},
	}},
	{"property", [][]string{
		{"我们{P}今年冬天", "{P}的居民反映", "我家在{P}，家里有老人"},
		{"暖气一点都不热，屋里才十几度", "供暖费交了，暖气片却是凉的", "热力公司说管网老化要等检修", "家里暖气漏水，找了几次没人来修"},
		{"晚上冻得睡不着觉", "老人已经冻感冒了", "整栋楼都是这个情况"},
		{"希望尽快解决供暖问题", "请求退还部分取暖费", "请有关部门督促热力公司"},
	}},
	{"property", [][]string{
		{"我在{C}开发的{P}买了房", "我们是{P}的购房户", "本人{D}前在{P}买了一套商品房"},
		{"到现在还没交房，工地已经停工", "收房时发现墙体开裂，开发商不给修", "开发商迟迟不给办房产证", "交房面积比合同少了好几平米"},
		{"找售楼部没人负责", "几十户业主都是这个情况", "每月还要还房贷"},
		{"请住建局督促开发商", "希望政府帮我们讨个说法", "要求开发商按合同赔偿{M}"},
	}},

	// Environmental pollution.
	{"environment", [][]string{
		{"我们{P}附近", "{P}北边新开了一家厂", "我家住在{P}，旁边有个{C}"},
		{"每天晚上偷偷排放黑烟，气味刺鼻", "化工厂排出的污水直接流进河里", "粉尘特别大，晾的衣服都是灰", "养殖场臭气熏天，夏天根本不敢开窗"},
		{"不少老人小孩咳嗽", "河里的鱼都死了", "反映过多次一直没有改善"},
		{"请环保部门来检测一下", "希望依法查处这家企业", "要求关停整改"},
	}},
	{"environment", [][]string{
		{"{P}门口的", "我们{P}楼下", "{P}旁边的空地上"},
		{"垃圾堆了{D}没人清运", "烧烤摊油烟直接排到居民窗户里", "有人焚烧秸秆和塑料，烟雾很大", "污水井冒水，路面全是脏水"},
		{"苍蝇蚊子特别多", "味道大得路过都要捂鼻子", "居民意见很大"},
		{"请城管和环卫部门处理", "希望尽快清理", "请有关部门管一管"},
	}},
	{"environment", [][]string{
		{"{P}的采石场", "我们{P}旁边的{C}", "村后的砂场"},
		{"爆破和机器声音不说，山体都挖秃了", "矿渣随便倒在河道里", "拉矿的车把地下水都弄脏了，井水发黄", "非法采砂把河床挖得坑坑洼洼"},
		{"庄稼受影响减产", "村民喝水都成问题", "生态破坏很严重"},
		{"请自然资源和环保部门查处", "希望上级派人实地看看", "恳请依法处理"},
	}},

	// Neighbour disputes.
	{"neighbor", [][]string{
		{"我和邻居{A}家", "我家隔壁的{A}", "我们两家是前后院"},
		{"因为宅基地边界吵了好几年", "他家翻盖房子占了我家半米地", "他家在共用的胡同里堆满杂物，车都过不去", "他家把雨水管接到我家院里"},
		{"村里调解过一次没有结果", "两家关系闹得很僵", "前几天差点动手"},
		{"请村委会和司法所帮忙调解", "希望有关部门来现场看看", "请求依法处理"},
	}},
	{"neighbor", [][]string{
		{"我家楼上住户", "我们单元{A}家", "对门邻居"},
		{"每天半夜拖桌椅弹球，吵得睡不着", "养了好几条狗，天天叫个不停", "装修把我家墙面震裂了", "卫生间往下渗水，我家顶棚都泡坏了"},
		{"上门沟通好几次都不理", "老人心脏不好受不了", "物业也说管不了"},
		{"请社区帮忙协调", "希望派出所出面调解", "要求对方赔偿修复"},
	}},
	{"neighbor", [][]string{
		{"我们{P}村民{A}", "我和同村的{A}", "我家和屯里的{A}家"},
		{"为了一棵树的归属闹了矛盾", "他家的牛羊经常跑进我家院子", "两家为了出行的路争执不下", "他家盖的牛棚挡住了我家的采光"},
		{"说了多次他都不听", "邻里之间本来不想闹大", "现在见面就吵"},
		{"请村里主持公道", "希望调解委员会给调解一下", "请帮忙化解矛盾"},
	}},

	// Marriage and family.
	{"family", [][]string{
		{"我和丈夫{A}结婚{D}", "我和妻子", "我和前夫"},
		{"他经常喝酒后动手打我", "感情早就破裂了，他不同意离婚", "离婚时说好的孩子抚养费一直不给", "他把家里的钱都拿去赌了"},
		{"孩子也吓得不敢回家", "娘家人劝过也没用", "我现在带着孩子住在外面"},
		{"请妇联帮助我", "希望有关部门保护我和孩子", "请求调解解决"},
	}},
	{"family", [][]string{
		{"我今年七十多岁了", "我父亲八十岁", "我们老两口"},
		{"几个儿女都不管我们的生活", "儿子儿媳把我赶出了家门", "子女之间为了谁来养老吵翻了", "儿子占着老房子不让我们住"},
		{"身体不好看病都没钱", "村里人都看不下去", "平时只能靠低保过日子"},
		{"请村委会帮忙做做子女工作", "希望依法让子女尽义务", "请求调解"},
	}},
	{"family", [][]string{
		{"父母去世后", "我们兄妹四个", "老人留下一套房子"},
		{"大哥一个人把房子占了不分", "兄弟姐妹为了遗产打得不可开交", "弟弟私自把老宅卖了", "姐姐拿着存折不让别人看"},
		{"亲戚调解几次都不欢而散", "一家人闹得不来往了", "我们也不想上法院"},
		{"请人民调解委员会帮忙", "希望公平分配", "请司法所帮助调解"},
	}},

	// Consumer disputes.
	{"consumer", [][]string{
		{"我在{C}办了一张会员卡", "我在{P}的健身房充了{M}", "去年在{C}给孩子报了培训班"},
		{"现在店铺突然关门，老板联系不上", "还没用几次就说要转让，钱不退", "培训机构倒闭了，剩下的课时费不退", "商家换了老板说以前的卡不认"},
		{"好多人都是这个情况", "我们去店里只看到一张通知", "打客服电话一直占线"},
		{"请市场监管部门帮忙追回", "希望依法处理商家", "要求退还剩余的钱"},
	}},
	{"consumer", [][]string{
		{"我在{C}网店买了一台冰箱", "本人在{P}的商场买了一部手机", "我从{C}买了一批化肥"},
		{"用了不到一个月就坏了，商家不给换", "收到货发现是翻新机，店家不认账", "化肥是假的，种下去的庄稼都不长", "说好的七天无理由，现在不给退"},
		{"找售后推来推去", "聊天记录和小票都有", "损失了{M}"},
		{"请消协帮忙维权", "希望监管部门查处", "要求商家赔偿"},
	}},
	{"consumer", [][]string{
		{"我在{P}的饭店吃饭", "我们在{C}报了旅游团", "我在{P}的超市"},
		{"吃完后全家上吐下泻", "导游强制购物，不买就甩脸色", "买到过期食品，商家拒不赔偿", "结账时价格比标价高了不少"},
		{"已经去医院看过了", "同团的人都很生气", "有照片为证"},
		{"请市场监管局处理", "希望严查此类行为", "要求退一赔三"},
	}},

	// Land expropriation and demolition.
	{"expropriation", [][]string{
		{"我们{P}的地被征了", "我家在{P}的房子被划进了拆迁范围", "村里{D}前搞项目占了我们的地"},
		{"补偿标准太低，和周边差太多", "到现在补偿款都没有到位", "补偿款被村干部截留了一部分", "没谈好就把房子推了"},
		{"问村里说上面还没批下来", "一家人现在没地方住", "好几户都是这个情况"},
		{"请求按照政策足额补偿", "希望上级部门查一查钱去哪了", "要求给个说法"},
	}},
	{"expropriation", [][]string{
		{"我们{P}棚户区改造", "{P}旧城改造项目", "我家是{P}的回迁户"},
		{"说好两年回迁，现在{D}了还没房", "过渡费停发了，只能自己租房", "安置房面积和协议不符", "分房摇号不公开，有人拿了好几套"},
		{"租房子每月要{M}", "老人等不到回迁了", "问指挥部没人给答复"},
		{"请政府尽快兑现承诺", "希望公开安置方案", "要求按协议安置"},
	}},
	{"expropriation", [][]string{
		{"{P}修路占用了我家的耕地", "我家的果园因为建厂被征用", "高速公路从我们{P}经过"},
		{"地上的树木和大棚没给算补偿", "只补了土地钱，青苗费没给", "征地面积量得比实际少", "施工队直接开进来毁了庄稼"},
		{"我们找过镇里几次", "全家就指着这点地过日子", "至今没人出面解决"},
		{"请求重新丈量核实", "希望依法补偿地上附着物", "请上级督促落实"},
	}},

	// Law- and litigation-related petitions.
	{"petition", [][]string{
		{"我的案子{D}前就判了", "法院判对方赔偿我{M}", "我和{C}的合同纠纷已经判决生效"},
		{"可对方一直不给钱，申请强制执行也没结果", "执行法官说对方名下没财产", "案子一直拖着不执行", "对方转移了财产，法院不管"},
		{"我去了好多次", "打官司花光了积蓄", "判决书有什么用"},
		{"请求督促法院依法执行", "希望上级法院过问", "请求纪委监督"},
	}},
	{"petition", [][]string{
		{"我对{P}法院的判决不服", "我的案件审理不公", "我是一起刑事案件的受害人家属"},
		{"证据明明清楚，却判我败诉", "二审维持原判，我要申诉", "公安立案后{D}没有进展", "对方找了关系，案子不了了之"},
		{"我一直在走申诉程序", "到处反映没人理", "家里老人因为这事病倒了"},
		{"请求检察院监督", "希望重新调查", "请求依法纠正"},
	}},
	{"petition", [][]string{
		{"我反映的问题", "我为这个事情", "关于我家的纠纷"},
		{"已经走了{D}的信访程序", "信访局答复后没有落实", "法院说不归他们管，政府说要走诉讼", "复议和诉讼都走完了还是没结果"},
		{"来回跑了很多次", "每次都让回去等消息", "材料递了一大摞"},
		{"请求领导接访", "希望给个最终处理意见", "请依法依规解决"},
	}},
}

// Fillers shared by every family.
var (
	msgOpeners = []string{"", "", "您好，", "领导好，", "尊敬的领导：", "你好，我想反映个问题，", "我要投诉，", "麻烦问一下，"}
	msgPlaces  = []string{"科尔沁区", "开鲁县", "奈曼旗", "库伦旗", "扎鲁特旗", "霍林郭勒市", "东风小区", "明仁苏木",
		"大林镇", "新城区", "河西街道", "建国路", "和平街", "阳光花园", "幸福里小区", "西拉木伦", "钱家店镇", "胜利村"}
	msgCompanies = []string{"某建筑公司", "当地一家企业", "一家私人公司", "某物流公司", "某商贸公司", "一家食品厂",
		"某房地产公司", "村里的合作社", "某连锁店", "某教育机构"}
	msgDurations = []string{"三个月", "半年", "一年多", "两年", "好几个月", "四十多天", "大半年", "五年"}
	msgAmounts   = []string{"两万多元", "八千元", "五万元", "十几万", "三千多块", "一万二", "六万八", "二十万元"}
	msgNames     = []string{"老王", "张某", "李某某", "老刘", "赵某", "包某", "那某", "孙某"}
	// msgAsides mention other categories' words in passing.
	msgAsides = []string{"上级的政策执行不到位，", "孩子还在学校上学，", "我爱人在医院住院，", "家里还欠着别人的钱，",
		"前几天还为这事和人吵了一架，", "之前也打过12345，", "村里的干部也知道这个事，", "我们都是老实本分的人，",
		"听说网上也有人反映过，", "现在疫情过后生意也不好做，"}
	msgClosers = []string{"", "", "谢谢！", "盼复。", "望尽快解决！", "急！", "万分感谢。", "请领导重视。"}
)

// LabelledMessages returns n messages labelled with taxonomy group codes,
// in families as listed; the same seed gives the same messages.
func LabelledMessages(n int, seed uint64) []LabelledMessage {
	s := newStream(seed ^ 0x6d657373616765) // "message"
	r := s.r
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	fill := func(p string) string {
		if !strings.Contains(p, "{") {
			return p
		}
		return strings.NewReplacer("{P}", pick(msgPlaces), "{C}", pick(msgCompanies), "{M}", pick(msgAmounts),
			"{D}", pick(msgDurations), "{A}", pick(msgNames)).Replace(p)
	}
	familyIndex := map[string]int{}
	out := make([]LabelledMessage, n)
	for i := range out {
		fi := r.IntN(len(messageFamilies))
		f := messageFamilies[fi]
		var b strings.Builder
		b.WriteString(pick(msgOpeners))
		for j, part := range f.parts {
			b.WriteString(fill(pick(part)))
			if j == 1 && r.IntN(3) == 0 {
				b.WriteString("，")
				b.WriteString(pick(msgAsides))
			} else if j < len(f.parts)-1 {
				b.WriteString(pick([]string{"，", "，", "。", "；", "，而且"}))
			}
		}
		b.WriteString(pick([]string{"。", "！", "。", ""}))
		b.WriteString(pick(msgClosers))
		// Number the families within their label.
		k, ok := familyIndex[fmt.Sprint(fi)]
		if !ok {
			for _, g := range messageFamilies[:fi] {
				if g.label == f.label {
					k++
				}
			}
			familyIndex[fmt.Sprint(fi)] = k
		}
		out[i] = LabelledMessage{Text: strings.ReplaceAll(b.String(), "，，", "，"), Label: f.label, Family: fmt.Sprintf("%s/%d", f.label, k+1)}
	}
	return out
}

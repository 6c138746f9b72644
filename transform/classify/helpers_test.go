package classify

import (
	"math/rand/v2"
	"strings"
)

// phrases are hand-written fragments per label for synthetic messages:
// a message joins a subject, a problem and a request of its label with
// shared filler, so labels share most characters and differ in a few
// phrases.
var phrases = map[string][3][]string{
	"labor": {
		{"我在建筑工地干活", "本人在工厂上班", "我们几个工人在车间"},
		{"老板拖欠工资三个月", "公司不给缴社保", "被无故辞退没有补偿", "加班费一直不发"},
		{"请求劳动监察处理", "希望帮忙讨回工钱", "要求公司依法赔偿"},
	},
	"property": {
		{"我是小区业主", "本楼住户反映", "我们小区居民"},
		{"物业公司乱收费", "电梯坏了一个月没人修", "暖气不热室温太低", "地下车库漏水严重"},
		{"请求住建部门督促物业", "希望尽快维修", "要求物业退还费用"},
	},
	"traffic": {
		{"我家门口的路口", "村里通往镇上的公路", "本市公交线路"},
		{"红绿灯坏了车辆乱行", "公交车班次太少等车一小时", "道路坑洼不平车辆难行", "货车超载超速经常发生"},
		{"请求交通部门整治", "希望增加班次", "要求尽快修路"},
	},
}

var fillers = []string{"，", "。", "，情况属实，", "，已经反映多次，", "，影响很大，", "！"}

// synth returns n messages with labels cycling over the phrase table.
func synth(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	labels := []string{"labor", "property", "traffic"}
	out := make([]Example, n)
	for i := range out {
		l := labels[i%len(labels)]
		p := phrases[l]
		var b strings.Builder
		b.WriteString(p[0][rng.IntN(len(p[0]))])
		b.WriteString(fillers[rng.IntN(len(fillers))])
		b.WriteString(p[1][rng.IntN(len(p[1]))])
		b.WriteString(fillers[rng.IntN(len(fillers))])
		b.WriteString(p[2][rng.IntN(len(p[2]))])
		out[i] = Example{Text: b.String(), Label: l}
	}
	return out
}

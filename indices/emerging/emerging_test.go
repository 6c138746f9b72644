package emerging

import (
	"fmt"
	"reflect"
	"runtime"
	"sort"
	"testing"
	"time"
)

var at = time.Date(2026, 5, 20, 0, 0, 0, 0, time.UTC)

// waterOutage is 20 hand-written complaints about one water outage, in
// different words, filed under three categories.
var waterOutage = []string{
	"阳光花园小区已经停水两天了，物业一直不给说法",
	"阳光花园小区停水三天没人管，老人孩子没水用",
	"我住阳光花园小区，突然停水，生活用水非常困难",
	"阳光花园停水好几天了，要求尽快恢复供水",
	"阳光花园小区停水期间商家趁机涨价卖桶装水",
	"阳光花园小区停水，超市桶装水一桶涨到**元",
	"阳光花园小区从周一开始停水，到现在还没来水",
	"阳光花园小区停水两天，物业电话打不通",
	"反映阳光花园小区停水问题，至今未恢复供水",
	"阳光花园小区连续停水，居民无法做饭洗澡",
	"阳光花园小区停水没有提前通知，物业不负责",
	"阳光花园小区停水了，水务公司说是管道破裂",
	"阳光花园小区停水三天，小区门口小卖部桶装水涨价",
	"阳光花园小区停水，希望政府督促尽快恢复供水",
	"阳光花园小区停水两天多了，厕所都没法冲",
	"阳光花园小区停水，物业只贴了个通知没有送水",
	"阳光花园小区停水，老人下楼提水很困难",
	"阳光花园小区停水问题一直没解决，要求给个说法",
	"阳光花园小区停水，商家卖水价格翻倍",
	"阳光花园小区停水第三天了，什么时候恢复供水",
}

// unrelated is complaints of one town on different topics.
var unrelated = []string{
	"邻居装修噪音太大，晚上十点还在施工",
	"公司拖欠三个月工资不发，老板联系不上",
	"楼下饭店油烟直排，影响居民开窗",
	"网购的手机有质量问题，商家拒绝退货",
	"村里道路坑洼不平，下雨后积水严重",
	"和邻居因宅基地边界发生争执",
	"小区电梯经常故障，上个月困人两次",
	"培训机构关门跑路，学费不退",
	"路边违章停车堵住消防通道",
	"养殖场臭味扰民，夏天尤其严重",
}

func complaint(id, place, cat, text string, t time.Time) Complaint {
	return Complaint{ID: id, Place: place, Spot: place + "-01", Category: cat, At: t, Text: text}
}

func TestDetectFindsClusterAcrossCategories(t *testing.T) {
	cats := []string{"物业", "消费", "其他"}
	var cs []Complaint
	var want []string
	for i, text := range waterOutage {
		id := fmt.Sprintf("w%02d", i)
		want = append(want, id)
		cs = append(cs, complaint(id, "town1", cats[i%3], text, at.Add(-time.Duration(i*3+1)*time.Hour)))
	}
	for i, text := range unrelated {
		cs = append(cs, complaint(fmt.Sprintf("u%02d", i), "town1", "其他", text, at.Add(-time.Duration(i*5+2)*time.Hour)))
	}
	got, err := Detect(cs, at, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("got %d clusters, want 1: %+v", len(got), got)
	}
	c := got[0]
	sort.Strings(want)
	if !reflect.DeepEqual(c.Members, want) {
		t.Errorf("members %v, want %v", c.Members, want)
	}
	if !reflect.DeepEqual(c.Categories, []string{"其他", "消费", "物业"}) {
		t.Errorf("categories %v", c.Categories)
	}
	if c.Size != 20 || c.Place != "town1" || !reflect.DeepEqual(c.Spots, []string{"town1-01"}) {
		t.Errorf("size %d place %q spots %v", c.Size, c.Place, c.Spots)
	}
	if !c.First.Equal(at.Add(-58*time.Hour)) || !c.Last.Equal(at.Add(-time.Hour)) {
		t.Errorf("first %v last %v", c.First, c.Last)
	}
	found := false
	for _, text := range waterOutage {
		found = found || text == c.Representative
	}
	if !found {
		t.Errorf("representative %q is not a member's text", c.Representative)
	}
}

func TestDetectDoesNotClusterUnrelatedComplaints(t *testing.T) {
	var cs []Complaint
	for i, text := range unrelated {
		// Twice each topic's place would be needed to link; here every
		// complaint is on its own topic, in one town, in the window.
		cs = append(cs, complaint(fmt.Sprintf("u%02d", i), "town1", []string{"物业", "消费", "其他"}[i%3], text, at.Add(-time.Duration(i+1)*time.Hour)))
	}
	opt := DefaultOptions()
	opt.MinSize = 2
	opt.MinCategories = 1
	got, err := Detect(cs, at, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("got %d clusters of unrelated complaints: %+v", len(got), got)
	}
}

func TestDetectKeepsPlacesApart(t *testing.T) {
	// The same outage text split over two towns, 4 in each: below MinSize
	// in each town, so nothing is reported.
	var cs []Complaint
	for i, text := range waterOutage[:8] {
		cs = append(cs, complaint(fmt.Sprintf("w%02d", i), fmt.Sprintf("town%d", i%2), []string{"物业", "消费"}[(i/2)%2], text, at.Add(-time.Duration(i+1)*time.Hour)))
	}
	got, err := Detect(cs, at, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("clusters across towns: %+v", got)
	}
}

func TestDetectSingleCategoryBurstIsLeftToCategoryAlarms(t *testing.T) {
	var cs []Complaint
	for i, text := range waterOutage {
		cs = append(cs, complaint(fmt.Sprintf("w%02d", i), "town1", "物业", text, at.Add(-time.Duration(i+1)*time.Hour)))
	}
	got, err := Detect(cs, at, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("one-category burst reported: %+v", got)
	}
	opt := DefaultOptions()
	opt.MinCategories = 1
	if got, _ = Detect(cs, at, opt); len(got) != 1 || got[0].Size != 20 {
		t.Fatalf("with MinCategories 1: got %+v, want one cluster of 20", got)
	}
}

// recurring is one steady topic: square-dance noise, six complaints every
// three days.
var recurring = []string{
	"广场舞音响声音太大，晚上吵得睡不着",
	"小区广场舞音响太吵，影响休息",
	"晚上广场舞音响噪音扰民，多次反映无果",
	"广场舞音响声音太大，孩子没法写作业",
	"广场舞噪音扰民，音响开到很晚",
	"反映广场舞音响声音太大扰民",
}

func TestDetectSteadyTopicIsNotABurst(t *testing.T) {
	cats := []string{"物业", "环境", "其他"}
	window := func(end time.Time, prefix string) []Complaint {
		var cs []Complaint
		for i, text := range recurring {
			cs = append(cs, complaint(fmt.Sprintf("%s%d", prefix, i), "town1", cats[i%3], text, end.Add(-time.Duration(i*8+1)*time.Hour)))
		}
		return cs
	}
	current := window(at, "n")
	// Without history the six complaints are a burst: the control that
	// shows the baseline is what decides below.
	got, err := Detect(current, at, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Size != 6 {
		t.Fatalf("without history: got %+v, want one cluster of 6", got)
	}
	cs := append([]Complaint(nil), current...)
	for w := 1; w <= 9; w++ {
		cs = append(cs, window(at.Add(-time.Duration(w)*72*time.Hour), fmt.Sprintf("b%d-", w))...)
	}
	got, err = Detect(cs, at, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("steady topic reported as a burst: %+v", got)
	}
}

func TestPoissonUpper(t *testing.T) {
	// Values from the Poisson distribution function (R: ppois(n-1, mu,
	// lower.tail = FALSE); the last by summing the tail terms in Python).
	for _, tc := range []struct {
		n    int
		mu   float64
		want float64
	}{
		{1, 2, 0.8646647167633873},
		{6, 6, 0.5543203586353461},
		{5, 0.5, 0.0001721156},
		{20, 0.5, 2.435465429925314e-25},
	} {
		got := poissonUpper(tc.n, tc.mu)
		if d := got/tc.want - 1; d > 1e-3 || d < -1e-3 {
			t.Errorf("poissonUpper(%d, %g) = %g, want %g", tc.n, tc.mu, got, tc.want)
		}
	}
}

// TestDetectIsTheSameOnOneProcessorAndMany: places are searched in
// parallel; the clusters, their order and every field are those of a
// search on one processor. Twelve towns, each with a burst (in a rotated
// subset of the outage texts), the unrelated complaints and a baseline
// of both.
func TestDetectIsTheSameOnOneProcessorAndMany(t *testing.T) {
	cats := []string{"物业", "消费", "其他"}
	var cs []Complaint
	for p := 0; p < 12; p++ {
		town := fmt.Sprintf("town%02d", 11-p) // not in place order
		for i := 0; i < 6+p; i++ {
			text := waterOutage[(i+p)%len(waterOutage)]
			cs = append(cs, complaint(fmt.Sprintf("%s-w%d", town, i), town, cats[i%3], text, at.Add(-time.Duration(i+1)*time.Hour)))
		}
		for i, text := range unrelated {
			cs = append(cs, complaint(fmt.Sprintf("%s-u%d", town, i), town, "其他", text, at.Add(-time.Duration(2*i+3)*time.Hour)))
			cs = append(cs, complaint(fmt.Sprintf("%s-b%d", town, i), town, "其他", text, at.Add(-time.Duration(100+24*i)*time.Hour)))
		}
		if p%3 == 0 { // some baselines hold the outage too
			cs = append(cs, complaint(town+"-bw", town, "物业", waterOutage[p], at.Add(-10*24*time.Hour)))
		}
	}
	run := func(procs int) []Cluster {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		got, err := Detect(cs, at, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	one, many := run(1), run(8)
	if len(one) < 6 {
		t.Fatalf("only %d clusters found on one processor; the test needs bursts in most towns", len(one))
	}
	for i := 1; i < len(one); i++ {
		if one[i-1].Place > one[i].Place {
			t.Fatalf("clusters not in place order: %s before %s", one[i-1].Place, one[i].Place)
		}
	}
	if !reflect.DeepEqual(one, many) {
		t.Fatalf("clusters differ between one and eight processors:\n%+v\n%+v", one, many)
	}
}

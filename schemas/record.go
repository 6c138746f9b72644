package schemas

import (
	_ "embed"
	"encoding/json"
	"time"
)

// ContractVersion is the version of the record contract this build writes and
// understands. A record without a contract version is read as version 1.
const ContractVersion = 1

// Record is the state of one case at one version, exactly as it travels on
// Kafka (one JSON object per message, key = case id). Later versions of the
// same case replace earlier ones. Field names are the wire names.
//
// Optional values are pointers or empty strings so that "absent" and "zero"
// stay distinguishable; transform decides what is required.
type Record struct {
	// Contract is the version of this contract the producer wrote.
	Contract int `json:"contract,omitempty"`

	CaseID  string  `json:"case_id"`
	Version uint32  `json:"version"`
	Source  Source  `json:"source"`
	Channel Channel `json:"channel,omitempty"`

	ReportedAt time.Time  `json:"reported_at"`
	OccurredAt *time.Time `json:"occurred_at,omitempty"`

	RegionCode string   `json:"region_code"`
	GridID     string   `json:"grid_id,omitempty"`
	Lat        *float64 `json:"lat,omitempty"`
	Lon        *float64 `json:"lon,omitempty"`

	Category     string `json:"category,omitempty"`
	CategoryText string `json:"category_text,omitempty"`
	Summary      string `json:"summary,omitempty"`
	// PartyNames lists the names of the people involved. They are used only to
	// mask those names in free text and are never stored.
	PartyNames []string `json:"party_names,omitempty"`
	// PartyDetails are the structured parties, when the producer has them.
	// transform derives pseudonymous keys from them (HMAC-SHA256 under the
	// deployment's secret) to link cases of the same party, and masks their
	// names and organisations in free text; the raw values are never stored.
	PartyDetails []Party `json:"party_details,omitempty"`

	Severity  Severity `json:"severity,omitempty"`
	Parties   uint32   `json:"parties"`
	AmountCNY float64  `json:"amount_cny,omitempty"`

	Status       Status       `json:"status"`
	AssignedUnit string       `json:"assigned_unit,omitempty"`
	DueAt        *time.Time   `json:"due_at,omitempty"`
	ResolvedAt   *time.Time   `json:"resolved_at,omitempty"`
	FeedbackAt   *time.Time   `json:"feedback_at,omitempty"`
	EvaluatedAt  *time.Time   `json:"evaluated_at,omitempty"`
	Satisfaction Satisfaction `json:"satisfaction,omitempty"`

	RepeatOf         string `json:"repeat_of,omitempty"`
	Petition         bool   `json:"petition,omitempty"`
	SuperiorAssigned bool   `json:"superior_assigned,omitempty"`
	Escalated        bool   `json:"escalated,omitempty"`

	// UpdatedAt is the event time of this version: when the case reached
	// the state the record describes. When absent, the ingest time stands
	// in. Windowed figures read the state of each case at the window end
	// from its versions with UpdatedAt at or before it.
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Party is one structured party of a case. Every field is optional; a
// party with none of name, id_number, phone and org is ignored.
type Party struct {
	// Role is free text: 申请人, 被申请人, 当事人, 用工单位 …
	Role string `json:"role,omitempty"`
	// Name is a person's name.
	Name string `json:"name,omitempty"`
	// IDNumber is the resident identity card number (18 characters, the
	// last may be X).
	IDNumber string `json:"id_number,omitempty"`
	// Phone is a mobile or landline number, with or without +86.
	Phone string `json:"phone,omitempty"`
	// Org is the name of an organisation (a company, a cooperative …),
	// for a party that is one or acts for one.
	Org string `json:"org,omitempty"`
}

// Party key kinds (CaseRow.PartyKeyKinds): what a pseudonymous party key
// was derived from.
const (
	PartyKeyID    = "id"    // the normalised ID number
	PartyKeyPhone = "phone" // the normalised phone number
	PartyKeyName  = "name"  // the name together with the case's village
	PartyKeyOrg   = "org"   // the normalised organisation name
)

// Source is the platform a record came from.
type Source string

// Sources of records.
const (
	SourcePlatform      Source = "platform"
	SourceFengqiaoBoard Source = "fengqiao_board"
	SourceHotline       Source = "hotline"
	SourceGrid          Source = "grid"
	SourceImport        Source = "import"
)

// Channel is how a case reached the center.
type Channel string

// Channels, with the Chinese names the centers use in Labels.
const (
	ChannelVisit    Channel = "visit"    // 来访
	ChannelPhone    Channel = "phone"    // 来电
	ChannelOnline   Channel = "online"   // 网上
	ChannelGrid     Channel = "grid"     // 网格员上报
	ChannelReferral Channel = "referral" // 转办
	ChannelSuperior Channel = "superior" // 上级交办
)

// Severity is the handling difficulty recorded at acceptance.
type Severity string

// Severities.
const (
	SeveritySimple    Severity = "simple"    // 简易
	SeverityGeneral   Severity = "general"   // 一般
	SeverityDifficult Severity = "difficult" // 疑难
)

// Status is the workflow state of a case.
type Status string

// Statuses in workflow order.
const (
	StatusAccepted Status = "accepted" // 受理
	StatusRouted   Status = "routed"   // 分流
	StatusHandling Status = "handling" // 办理
	StatusResolved Status = "resolved" // 化解
	StatusFailed   Status = "failed"   // 未化解
	StatusClosed   Status = "closed"   // 办结
)

// Satisfaction is the party's evaluation of the handling.
type Satisfaction string

// Satisfaction values.
const (
	SatisfactionSatisfied    Satisfaction = "satisfied"    // 满意
	SatisfactionBasic        Satisfaction = "basic"        // 基本满意
	SatisfactionDissatisfied Satisfaction = "dissatisfied" // 不满意
)

// Enum lists the allowed wire values of one enumerated field, in the order of
// their ClickHouse Enum8 codes (code = index+1; 0 is the empty value).
type Enum struct {
	Field  string
	Values []string
	Labels []string // Chinese names, same order as Values
}

// Enums are the enumerated fields of the contract. The ClickHouse Enum8
// definitions in the migrations use the same order; a test keeps them equal.
var Enums = []Enum{
	{"source", []string{"platform", "fengqiao_board", "hotline", "grid", "import"},
		[]string{"综治平台", "网上枫桥留言板", "12345热线", "网格上报", "导入"}},
	{"channel", []string{"visit", "phone", "online", "grid", "referral", "superior"},
		[]string{"来访", "来电", "网上", "网格员上报", "转办", "上级交办"}},
	{"severity", []string{"simple", "general", "difficult"},
		[]string{"简易", "一般", "疑难"}},
	{"status", []string{"accepted", "routed", "handling", "resolved", "failed", "closed"},
		[]string{"受理", "分流", "办理", "化解", "未化解", "办结"}},
	{"satisfaction", []string{"satisfied", "basic", "dissatisfied"},
		[]string{"满意", "基本满意", "不满意"}},
}

// EnumFor returns the enum definition of a field, or false.
func EnumFor(field string) (Enum, bool) {
	for _, e := range Enums {
		if e.Field == field {
			return e, true
		}
	}
	return Enum{}, false
}

// Code returns the Enum8 code of v (index+1), or 0 when v is empty or unknown.
func (e Enum) Code(v string) int8 {
	for i, s := range e.Values {
		if s == v {
			return int8(i + 1)
		}
	}
	return 0
}

// Label returns the Chinese name of v, or v itself when unknown.
func (e Enum) Label(v string) string {
	for i, s := range e.Values {
		if s == v {
			return e.Labels[i]
		}
	}
	return v
}

// MarshalRecord encodes r as the wire JSON, stamping the current contract
// version when r has none.
func MarshalRecord(r Record) ([]byte, error) {
	if r.Contract == 0 {
		r.Contract = ContractVersion
	}
	return json.Marshal(r)
}

// RecordJSONSchema is the JSON Schema (draft 2020-12) of the record contract,
// for producers on other platforms.
//
//go:embed record.schema.json
var RecordJSONSchema []byte

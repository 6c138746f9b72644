package schemas

import "time"

// CaseRow is one record after transform: exactly the columns of the cases and
// case_events tables (migration 0001), in their order. transform produces it,
// the store writes it; neither needs to know the other.
//
// Times are absolute instants; ClickHouse shows them in Asia/Shanghai.
// ReportedDate is the local (Asia/Shanghai) calendar date of ReportedAt at
// midnight UTC, as ClickHouse's Date type expects.
type CaseRow struct {
	Source   Source
	CaseID   string
	Version  uint32
	Contract uint16
	Channel  Channel

	ReportedAt   time.Time
	ReportedDate time.Time
	OccurredAt   *time.Time

	// RegionCode is the most precise known unit, normalized to the registry's
	// code; RegionLevel is its level. The ancestor codes are filled for every
	// level at or above it and empty below it.
	RegionCode  string
	RegionLevel uint8
	CityCode    string
	CountyCode  string
	TownCode    string
	VillageCode string
	GridID      string
	Lat, Lon    *float64

	Category      string // leaf or group code of the taxonomy
	CategoryGroup string // the group code (Category itself for a group)
	// CategoryRule says how Category was decided: "given" (the record carried
	// it), "keyword:<kw>" (matched in category_text or summary),
	// "model:<version>" (the learned classifier), or "default".
	CategoryRule string
	// CategoryConfidence is the learned classifier's probability of
	// Category when CategoryRule is "model:…", else 0.
	CategoryConfidence float32
	CategoryText       string // masked
	Summary            string // masked

	Severity  Severity
	Parties   uint32
	AmountCNY float64 // stored as Decimal(18, 2)

	Status       Status
	AssignedUnit string
	DueAt        *time.Time
	ResolvedAt   *time.Time
	FeedbackAt   *time.Time
	EvaluatedAt  *time.Time
	Satisfaction Satisfaction

	RepeatOf         string
	Petition         bool
	SuperiorAssigned bool
	Escalated        bool
	GroupDispute     bool
	LargeAmount      bool

	IngestedAt time.Time
	Topic      string
	Partition  int32
	Offset     int64

	// UpdatedAt is the event time of this version (the record's updated_at,
	// or IngestedAt when the record has none); column added by migration 0015.
	UpdatedAt time.Time

	// PartyKeys are the pseudonymous keys of the record's party_details
	// ("<key id>:<hex HMAC-SHA256>"), PartyKeyKinds their kinds
	// (PartyKeyID …) and PartyLabels what may be shown for each (a
	// person's surname and *, an organisation's normalised name); the
	// three have the same length. Columns added by migration 0023.
	PartyKeys     []string
	PartyKeyKinds []string
	PartyLabels   []string
}

// IngestErrorRow is one rejected record as the ingest_errors table stores it.
// It never holds raw text: RawMasked is the raw message with personal data
// masked (and cut to a bounded size); the raw bytes go to the dead-letter
// topic only.
type IngestErrorRow struct {
	At         time.Time
	Topic      string
	Partition  int32
	Offset     int64
	MessageKey string
	Reason     string // stable machine code (transform.Reason or an ingest reason)
	Detail     string // human-readable, names the field
	RawSize    uint64
	RawSHA256  string
	RawMasked  string
}

package transform

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/riskwatch/riskwatch/schemas"
	"github.com/riskwatch/riskwatch/transform/classify"
)

// Defaults of Options. A zero option takes its default.
const (
	DefaultGroupThreshold  = 30
	DefaultLargeAmountCNY  = 1_000_000
	DefaultFutureTolerance = 10 * time.Minute
	DefaultMaxMessageBytes = 1 << 20
	DefaultMaxSummaryRunes = 20000
)

// Fixed bounds of the contract (record.schema.json).
const (
	maxCaseIDBytes       = 128
	maxRepeatOfBytes     = 128
	maxGridIDRunes       = 64
	maxCategoryTextRunes = 1024
	maxAssignedUnitRunes = 256
	maxPartyNames        = 1000
	maxPartyNameRunes    = 64
	maxAmountCNY         = 1e15 // below Decimal(18, 2)'s limit of 1e16
	// dueAheadYears bounds due_at, the only time allowed in the future.
	dueAheadYears = 10
	// maxDetailRunes bounds a value quoted in RejectError.Detail.
	maxDetailRunes = 64
	// maxDetailInput is the longest value quoted in a detail at all; a
	// longer one is described by its size, so that building the error of a
	// hostile record stays cheap.
	maxDetailInput = 1024
)

// Options configure a Transformer.
type Options struct {
	// Registry is the region hierarchy; region codes must be known to it.
	// Required.
	Registry *schemas.Registry
	// Taxonomy is the category taxonomy; nil means schemas.Taxonomy.
	Taxonomy []schemas.Category
	// GroupThreshold is the number of parties from which a case is a group
	// dispute (群体性); 0 means DefaultGroupThreshold.
	GroupThreshold uint32
	// LargeAmountCNY is the amount from which a case is a large-amount case;
	// 0 means DefaultLargeAmountCNY.
	LargeAmountCNY float64
	// FutureTolerance is how far after now reported_at and the other past
	// times may lie, for producers whose clocks run ahead; 0 means
	// DefaultFutureTolerance.
	FutureTolerance time.Duration
	// MaxMessageBytes rejects larger messages before decoding; 0 means
	// DefaultMaxMessageBytes.
	MaxMessageBytes int
	// MaxSummaryRunes bounds summary in characters; 0 means
	// DefaultMaxSummaryRunes.
	MaxSummaryRunes int
	// Model is the deployment's learned classifier; nil classifies by the
	// taxonomy's keywords alone. Its labels must be codes of the taxonomy.
	Model *classify.Model
	// KeywordsFirst lets a keyword found in the text decide before the
	// model: the model then classifies only what no keyword matches.
	KeywordsFirst bool
	// KeepPlates leaves licence plates readable in summary and
	// category_text (a deployment whose analysts need them: traffic
	// disputes); by default they are masked like the other contact data.
	KeepPlates bool
	// PartyKeySecret is the deployment secret under which the pseudonymous
	// keys of party_details are derived (HMAC-SHA256), at least 16 bytes.
	// Empty: no keys are derived (the parties are still masked in text).
	PartyKeySecret []byte
	// PartyKeyID names the secret's version; it starts every key, so keys
	// made under different secrets never match. Required with the secret.
	PartyKeyID string
}

// Transformer turns messages into rows. It is immutable after New and safe
// for concurrent use.
type Transformer struct {
	opts       Options
	categories map[string]string // code → group code
	other      string            // group of schemas.OtherCategory
	classifier *classifier
	modelRule  string                  // "model:<version>"
	enums      [numFields]schemas.Enum // enumerated fields, by field
	// zone is the deployment time zone (schemas.Zone()), in which a
	// record's reported date is its local calendar day.
	zone     *time.Location
	earliest time.Time // no time of a record lies before it
	// partySecret is a copy of Options.PartyKeySecret; orgs normalises
	// organisation names with the registry's city and province.
	partySecret []byte
	orgs        *orgNormalizer
}

// Meta is where a message came from. Topic, Partition and Offset are
// copied into the row for audit and replay.
type Meta struct {
	Topic     string
	Partition int32
	Offset    int64
	// Key is the message key (the case id, by contract). Transform does not
	// read it: a key that disagrees with case_id is not a reason to lose
	// the record, and the row carries the case_id.
	Key []byte
}

// New checks the options, fills in defaults and builds a Transformer.
func New(o Options) (*Transformer, error) {
	if o.Registry == nil {
		return nil, errors.New("option Registry is required")
	}
	if o.GroupThreshold == 0 {
		o.GroupThreshold = DefaultGroupThreshold
	}
	switch {
	case math.IsNaN(o.LargeAmountCNY) || math.IsInf(o.LargeAmountCNY, 0) || o.LargeAmountCNY < 0:
		return nil, fmt.Errorf("option LargeAmountCNY: %v is not a non-negative finite amount", o.LargeAmountCNY)
	case o.LargeAmountCNY == 0:
		o.LargeAmountCNY = DefaultLargeAmountCNY
	}
	switch {
	case o.FutureTolerance < 0:
		return nil, fmt.Errorf("option FutureTolerance: %v is negative", o.FutureTolerance)
	case o.FutureTolerance == 0:
		o.FutureTolerance = DefaultFutureTolerance
	}
	switch {
	case o.MaxMessageBytes < 0:
		return nil, fmt.Errorf("option MaxMessageBytes: %d is negative", o.MaxMessageBytes)
	case o.MaxMessageBytes == 0:
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	switch {
	case o.MaxSummaryRunes < 0:
		return nil, fmt.Errorf("option MaxSummaryRunes: %d is negative", o.MaxSummaryRunes)
	case o.MaxSummaryRunes == 0:
		o.MaxSummaryRunes = DefaultMaxSummaryRunes
	}
	if o.Taxonomy == nil {
		o.Taxonomy = schemas.Taxonomy
	}
	if err := checkPartyKey(o.PartyKeySecret, o.PartyKeyID); err != nil {
		return nil, err
	}
	if err := schemas.ValidateTaxonomy(o.Taxonomy); err != nil {
		return nil, fmt.Errorf("option Taxonomy: %w", err)
	}
	cl, err := newClassifier(o.Taxonomy)
	if err != nil {
		return nil, fmt.Errorf("option Taxonomy: %w", err)
	}
	t := &Transformer{
		opts:       o,
		categories: make(map[string]string, len(o.Taxonomy)),
		classifier: cl,
		zone:       schemas.Zone(),
		earliest:   time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC),
		orgs:       newOrgNormalizer(o.Registry),
	}
	t.partySecret = append([]byte(nil), o.PartyKeySecret...)
	t.opts.PartyKeySecret = nil
	for _, c := range o.Taxonomy {
		g := c.Parent
		if g == "" {
			g = c.Code
		}
		t.categories[c.Code] = g
	}
	t.other = t.categories[schemas.OtherCategory]
	if o.Model != nil {
		for _, l := range o.Model.Labels {
			if _, ok := t.categories[l]; !ok {
				return nil, fmt.Errorf("option Model: label %q is not a code of the taxonomy", l)
			}
		}
		t.modelRule = RuleModelPrefix + o.Model.Version
	}
	for _, f := range []field{fSource, fChannel, fSeverity, fStatus, fSatisfaction} {
		e, ok := schemas.EnumFor(f.name())
		if !ok {
			return nil, fmt.Errorf("schemas defines no enum for field %s", f.name())
		}
		t.enums[f] = e
	}
	return t, nil
}

// Transform decodes, validates, normalizes, classifies and masks one
// message. now is the ingestion time: it bounds future times and becomes
// IngestedAt. A rejected message returns a *RejectError, and the same bytes
// are always rejected the same way (given the same now).
func (t *Transformer) Transform(msg []byte, meta Meta, now time.Time) (schemas.CaseRow, error) {
	if e := t.checkMessage(msg); e != nil {
		return schemas.CaseRow{}, e
	}
	var w wire
	fieldErr, fatal := decode(msg, &w, &t.enums)
	if fatal != nil {
		return schemas.CaseRow{}, fatal
	}
	if w.has(fContract) && w.str[fContract] != "" {
		n, e := parseInt(fContract, w.str[fContract])
		if e != nil && e.Reason == ReasonWrongType {
			return schemas.CaseRow{}, e
		}
		if e != nil || (n != 0 && n != schemas.ContractVersion) {
			return schemas.CaseRow{}, reject(ReasonUnsupportedContract, fContract.name(),
				fmt.Sprintf("contract %s; this build understands %d", safeText(w.str[fContract], nil, maxDetailRunes), schemas.ContractVersion))
		}
	}
	if fieldErr != nil {
		return schemas.CaseRow{}, fieldErr
	}
	row, e := t.build(&w, now)
	if e != nil {
		return schemas.CaseRow{}, e
	}
	// Contract 0 or absent is read as version 1, the only one there is.
	row.Contract = schemas.ContractVersion
	row.IngestedAt = now.UTC()
	if row.UpdatedAt.IsZero() {
		// No updated_at: the version counts from when it was ingested.
		row.UpdatedAt = row.IngestedAt
	}
	row.Topic, row.Partition, row.Offset = meta.Topic, meta.Partition, meta.Offset
	return row, nil
}

// checkMessage rejects what must not reach the JSON decoder: messages that
// are too large, empty, not UTF-8 or hold a raw NUL.
func (t *Transformer) checkMessage(msg []byte) *RejectError {
	if len(msg) > t.opts.MaxMessageBytes {
		return reject(ReasonTooLarge, "", fmt.Sprintf("%d bytes, at most %d", len(msg), t.opts.MaxMessageBytes))
	}
	if len(bytes.TrimLeft(msg, " \t\r\n")) == 0 {
		return reject(ReasonEmpty, "", "the message has no content")
	}
	if !utf8.Valid(msg) {
		return reject(ReasonInvalidUTF8, "", fmt.Sprintf("invalid byte sequence at byte %d", invalidUTF8At(msg)))
	}
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		return reject(ReasonNullByte, "", fmt.Sprintf("NUL byte at byte %d", i))
	}
	return nil
}

// build validates a decoded record and turns it into a row. Errors are
// reported in this order: missing required fields, then party_names (the
// names are needed to mask quoted values), then every field in contract
// order.
func (t *Transformer) build(w *wire, now time.Time) (schemas.CaseRow, *RejectError) {
	var row schemas.CaseRow
	for _, f := range []field{fCaseID, fVersion, fSource, fReportedAt, fRegionCode, fParties, fStatus} {
		if !w.has(f) {
			return row, reject(ReasonMissingField, f.name(), "the field is required")
		}
	}

	if len(w.partyNames) > maxPartyNames {
		return row, reject(ReasonTooLong, fPartyNames.name(), fmt.Sprintf("%d names, at most %d", len(w.partyNames), maxPartyNames))
	}
	for i, n := range w.partyNames {
		if c := utf8.RuneCountInString(n); c > maxPartyNameRunes {
			return row, reject(ReasonTooLong, fPartyNames.name(), fmt.Sprintf("name %d has %d characters, at most %d", i+1, c, maxPartyNameRunes))
		}
	}
	if e := checkParties(w.partyDetails); e != nil {
		return row, e
	}
	names := newMasker(append(slices.Clip(w.partyNames), t.partyMaskNames(w.partyDetails)...))
	names.keepPlates = t.opts.KeepPlates
	m := &names

	var e *RejectError
	if row.CaseID, e = identifier(fCaseID, w.str[fCaseID], maxCaseIDBytes, true); e != nil {
		return row, e
	}
	version, e := parseInt(fVersion, w.str[fVersion])
	if e != nil {
		return row, e
	}
	if version < 1 || version > math.MaxUint32 {
		return row, reject(ReasonBadValue, fVersion.name(), fmt.Sprintf("%d is not in 1..%d", version, uint32(math.MaxUint32)))
	}
	row.Version = uint32(version)
	src, e := t.enum(fSource, w, m)
	if e != nil {
		return row, e
	}
	row.Source = schemas.Source(src)
	ch, e := t.enum(fChannel, w, m)
	if e != nil {
		return row, e
	}
	row.Channel = schemas.Channel(ch)

	latest := now.Add(t.opts.FutureTolerance)
	reported, e := t.instant(fReportedAt, w, m, latest)
	if e != nil {
		return row, e
	}
	row.ReportedAt = *reported
	// ClickHouse's Date is a calendar day; the day that counts is the one
	// on the centers' wall clocks.
	y, mo, d := reported.In(t.zone).Date()
	row.ReportedDate = time.Date(y, mo, d, 0, 0, 0, 0, time.UTC)
	if row.OccurredAt, e = t.instant(fOccurredAt, w, m, latest); e != nil {
		return row, e
	}

	if e := t.region(&row, w.str[fRegionCode], m); e != nil {
		return row, e
	}
	t.partyKeys(&row, w.partyDetails)
	if row.GridID, e = identifier(fGridID, w.str[fGridID], maxGridIDRunes, false); e != nil {
		return row, e
	}
	if row.Lat, e = coordinate(fLat, w, 90); e != nil {
		return row, e
	}
	if row.Lon, e = coordinate(fLon, w, 180); e != nil {
		return row, e
	}

	category := strings.TrimSpace(w.str[fCategory])
	if category != "" {
		group, ok := t.categories[category]
		if !ok {
			return row, reject(ReasonUnknownEnum, fCategory.name(), quoteDetail(category, m)+" is not a code of the taxonomy")
		}
		row.Category, row.CategoryGroup, row.CategoryRule = category, group, RuleGiven
	}
	categoryText := cleanText(w.str[fCategoryText])
	if c := utf8.RuneCountInString(categoryText); c > maxCategoryTextRunes {
		return row, reject(ReasonTooLong, fCategoryText.name(), fmt.Sprintf("%d characters, at most %d", c, maxCategoryTextRunes))
	}
	summary := cleanText(w.str[fSummary])
	if c := utf8.RuneCountInString(summary); c > t.opts.MaxSummaryRunes {
		return row, reject(ReasonTooLong, fSummary.name(), fmt.Sprintf("%d characters, at most %d", c, t.opts.MaxSummaryRunes))
	}
	if category == "" {
		// Classified on the text before masking: masking only hides
		// personal data, but a name that contains a keyword (王医生) would
		// otherwise hide the keyword too. The rule names the keyword, which
		// comes from the taxonomy, so it carries no personal data.
		row.Category, row.CategoryGroup, row.CategoryRule = t.classify(categoryText, summary)
	}
	row.CategoryText = m.mask(categoryText)
	row.Summary = m.mask(summary)
	if category == "" && t.opts.Model != nil && !(t.opts.KeywordsFirst && row.CategoryRule != RuleDefault) {
		// The model reads the masked text, as stored: it is trained on
		// stored cases, and a name or number is no evidence of a category.
		p := t.opts.Model.Predict(classify.RecordText(row.CategoryText, row.Summary))
		row.Category, row.CategoryGroup, row.CategoryRule = p.Label, t.categories[p.Label], t.modelRule
		row.CategoryConfidence = float32(p.Confidence)
	}

	sev, e := t.enum(fSeverity, w, m)
	if e != nil {
		return row, e
	}
	row.Severity = schemas.Severity(sev)
	parties, e := parseInt(fParties, w.str[fParties])
	if e != nil {
		return row, e
	}
	if parties < 1 || parties > math.MaxUint32 {
		return row, reject(ReasonBadValue, fParties.name(), fmt.Sprintf("%d is not in 1..%d", parties, uint32(math.MaxUint32)))
	}
	row.Parties = uint32(parties)
	if w.has(fAmountCNY) {
		a, err := strconv.ParseFloat(w.str[fAmountCNY], 64)
		if err != nil || math.IsNaN(a) || math.IsInf(a, 0) || a < 0 || a >= maxAmountCNY {
			return row, reject(ReasonBadValue, fAmountCNY.name(), fmt.Sprintf("%s is not an amount in [0, 1e15)", quoteDetail(w.str[fAmountCNY], nil)))
		}
		row.AmountCNY = a + 0 // +0 turns -0 into 0
	}
	st, e := t.enum(fStatus, w, m)
	if e != nil {
		return row, e
	}
	row.Status = schemas.Status(st)
	row.AssignedUnit = cleanText(w.str[fAssignedUnit])
	if c := utf8.RuneCountInString(row.AssignedUnit); c > maxAssignedUnitRunes {
		return row, reject(ReasonTooLong, fAssignedUnit.name(), fmt.Sprintf("%d characters, at most %d", c, maxAssignedUnitRunes))
	}
	if i := indexControl(row.AssignedUnit); i >= 0 {
		return row, reject(ReasonBadValue, fAssignedUnit.name(), fmt.Sprintf("control character at byte %d", i))
	}
	if row.DueAt, e = t.instant(fDueAt, w, m, now.AddDate(dueAheadYears, 0, 0)); e != nil {
		return row, e
	}
	if row.ResolvedAt, e = t.instant(fResolvedAt, w, m, latest); e != nil {
		return row, e
	}
	if row.FeedbackAt, e = t.instant(fFeedbackAt, w, m, latest); e != nil {
		return row, e
	}
	if row.EvaluatedAt, e = t.instant(fEvaluatedAt, w, m, latest); e != nil {
		return row, e
	}
	sat, e := t.enum(fSatisfaction, w, m)
	if e != nil {
		return row, e
	}
	row.Satisfaction = schemas.Satisfaction(sat)
	// repeat_of names another case, so it is cleaned exactly like case_id
	// or it would not match the id stored for that case.
	if row.RepeatOf, e = identifier(fRepeatOf, w.str[fRepeatOf], maxRepeatOfBytes, false); e != nil {
		return row, e
	}

	row.Petition = w.flag[fPetition]
	row.SuperiorAssigned = w.flag[fSuperiorAssigned] || row.Channel == schemas.ChannelSuperior
	row.Escalated = w.flag[fEscalated]
	row.GroupDispute = row.Parties >= t.opts.GroupThreshold
	row.LargeAmount = row.AmountCNY >= t.opts.LargeAmountCNY
	updated, e := t.instant(fUpdatedAt, w, m, latest)
	if e != nil {
		return row, e
	}
	if updated != nil {
		row.UpdatedAt = *updated
	}
	return row, nil
}

// classify returns category, group and rule for a record without a
// category: category_text is searched first because it is the producer's
// own short label, then the summary.
func (t *Transformer) classify(categoryText, summary string) (code, group, rule string) {
	for _, text := range [2]string{categoryText, summary} {
		if text == "" {
			continue
		}
		if kw, ok := t.classifier.match(text); ok {
			return kw.code, kw.group, kw.rule
		}
	}
	return schemas.OtherCategory, t.other, RuleDefault
}

// region fills the region columns from a region code.
func (t *Transformer) region(row *schemas.CaseRow, raw string, m *masker) *RejectError {
	code := cleanText(raw)
	if code == "" {
		return reject(ReasonBadValue, fRegionCode.name(), "must not be empty")
	}
	norm, ok := t.opts.Registry.Normalize(code)
	if !ok {
		return reject(ReasonUnknownRegion, fRegionCode.name(), quoteDetail(code, m)+" is not a unit of the registry")
	}
	row.RegionCode = norm
	// Walk up with Lookup rather than Ancestors: it allocates nothing, and
	// this runs for every record.
	for c, first := norm, true; c != ""; first = false {
		r, ok := t.opts.Registry.Lookup(c)
		if !ok {
			// Normalize and Lookup disagree: a broken registry, not bad
			// input, but still no reason to panic.
			return reject(ReasonUnknownRegion, fRegionCode.name(), quoteDetail(code, m)+" has no ancestry in the registry")
		}
		if first {
			row.RegionLevel = uint8(r.Level)
		}
		switch r.Level {
		case schemas.LevelCity:
			row.CityCode = r.Code
		case schemas.LevelCounty:
			row.CountyCode = r.Code
		case schemas.LevelTown:
			row.TownCode = r.Code
		case schemas.LevelVillage:
			row.VillageCode = r.Code
		}
		c = r.Parent
	}
	return nil
}

// enum returns the value of an enumerated field, "" when it is absent.
func (t *Transformer) enum(f field, w *wire, m *masker) (string, *RejectError) {
	if !w.has(f) {
		return "", nil
	}
	v := w.str[f]
	e := t.enums[f]
	if e.Code(v) == 0 {
		return "", reject(ReasonUnknownEnum, f.name(), fmt.Sprintf("%s is not one of %s", quoteDetail(v, m), strings.Join(e.Values, ", ")))
	}
	return v, nil
}

// instant parses an optional RFC 3339 time (required ones were checked to
// be present) and bounds it to [1990-01-01, latest].
func (t *Transformer) instant(f field, w *wire, m *masker, latest time.Time) (*time.Time, *RejectError) {
	if !w.has(f) {
		return nil, nil
	}
	v := w.str[f]
	ts, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return nil, reject(ReasonBadValue, f.name(), quoteDetail(v, m)+" is not an RFC 3339 time with offset")
	}
	if ts.Before(t.earliest) {
		return nil, reject(ReasonBadValue, f.name(), quoteDetail(v, m)+" is before 1990-01-01")
	}
	if ts.After(latest) {
		return nil, reject(ReasonFutureTime, f.name(), fmt.Sprintf("%s is after %s", quoteDetail(v, m), latest.UTC().Format(time.RFC3339)))
	}
	ts = ts.UTC()
	return &ts, nil
}

// identifier cleans an id-like string (case_id, grid_id, repeat_of): full
// width to ASCII, trimmed, bounded, no control characters. maxLen counts
// bytes for ids and runes for grid_id, as the contract says.
func identifier(f field, raw string, maxLen int, required bool) (string, *RejectError) {
	s := cleanText(raw)
	if s == "" {
		if required {
			return "", reject(ReasonBadValue, f.name(), "must not be empty")
		}
		return "", nil
	}
	n := len(s)
	unit := "bytes"
	if f == fGridID {
		n, unit = utf8.RuneCountInString(s), "characters"
	}
	if n > maxLen {
		return "", reject(ReasonTooLong, f.name(), fmt.Sprintf("%d %s, at most %d", n, unit, maxLen))
	}
	if i := indexControl(s); i >= 0 {
		return "", reject(ReasonBadValue, f.name(), fmt.Sprintf("control character at byte %d", i))
	}
	return s, nil
}

// coordinate parses an optional latitude or longitude bounded by ±limit.
func coordinate(f field, w *wire, limit float64) (*float64, *RejectError) {
	if !w.has(f) {
		return nil, nil
	}
	v, err := strconv.ParseFloat(w.str[f], 64)
	if err != nil || math.IsNaN(v) || v < -limit || v > limit {
		return nil, reject(ReasonBadValue, f.name(), fmt.Sprintf("%s is not in [-%g, %g]", quoteDetail(w.str[f], nil), limit, limit))
	}
	v += 0 // -0 → 0
	return &v, nil
}

// parseInt parses an integer field from its JSON number literal. A
// fraction or exponent is a wrong type, not a wrong value: the contract
// says integer.
func parseInt(f field, lit string) (int64, *RejectError) {
	if strings.ContainsAny(lit, ".eE") {
		return 0, reject(ReasonWrongType, f.name(), "expected an integer, got "+quoteDetail(lit, nil))
	}
	n, err := strconv.ParseInt(lit, 10, 64)
	if err != nil {
		return 0, reject(ReasonBadValue, f.name(), quoteDetail(lit, nil)+" is out of range")
	}
	return n, nil
}

// indexControl returns the byte index of the first control character in
// s, or -1.
func indexControl(s string) int {
	for i, r := range s {
		if unicode.IsControl(r) {
			return i
		}
	}
	return -1
}

// invalidUTF8At returns the offset of the first invalid UTF-8 sequence.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// quoteDetail quotes a value for RejectError.Detail: masked with the
// record's names (m may be nil) and shortened.
func quoteDetail(s string, m *masker) string {
	if len(s) > maxDetailInput {
		return fmt.Sprintf("(a value of %d bytes)", len(s))
	}
	return strconv.Quote(safeText(s, m, maxDetailRunes))
}

// safeText masks s and shortens it to at most maxRunes runes. It masks
// before shortening, so a cut never leaves the visible part of a number
// that would have been masked whole.
func safeText(s string, m *masker, maxRunes int) string {
	if len(s) > maxDetailInput {
		return fmt.Sprintf("(%d bytes)", len(s))
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if m == nil {
		m = &masker{}
	}
	s = m.mask(normalizeWidth(s))
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	n := 0
	for i := range s {
		if n == maxRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

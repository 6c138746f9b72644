package importer

// The types in this file are the mapping file exactly as it is written in
// YAML. LoadMapping decodes them strictly and compiles them into a Mapping;
// nothing outside this package sees them.

// mappingSpec is the whole mapping file.
type mappingSpec struct {
	// Description is free text for the reader of the file.
	Description string `yaml:"description"`
	// Format is csv (default) or jsonl.
	Format string `yaml:"format"`
	// Encoding is the text encoding of the input: utf-8, gb18030, gbk,
	// utf-16 (with a byte order mark), latin-1 or windows-1252. Default:
	// detected from a byte order mark, else UTF-8.
	Encoding string   `yaml:"encoding"`
	CSV      *csvSpec `yaml:"csv"`
	// Source is the record source, a schemas.Source; default import.
	Source string `yaml:"source"`
	// Timezone is the IANA zone of times written without an offset;
	// default UTC. A date field may override it.
	Timezone string `yaml:"timezone"`
	// Regions is the region CSV (schemas.LoadCSV format), relative to the
	// mapping file; Open loads it.
	Regions string `yaml:"regions"`
	// Versions is final (default: one record with the row's final state) or
	// open_close (version 1 as accepted, version 2 with the final state when
	// the case moved beyond accepted).
	Versions string `yaml:"versions"`
	// Duplicates is reject (default: a case id seen before in the same file
	// is rejected) or keep.
	Duplicates string `yaml:"duplicates"`
	// Polygons are the region boundaries for region candidates with
	// coordinates: true.
	Polygons *polygonsSpec `yaml:"polygons"`
	Fields   fieldsSpec    `yaml:"fields"`
	Region   []placeSpec   `yaml:"region"`
}

// csvSpec holds the CSV reading options.
type csvSpec struct {
	// Delimiter is one character; default ",". "\t" reads TSV.
	Delimiter string `yaml:"delimiter"`
	// Header says whether the first line names the columns; default true.
	Header *bool `yaml:"header"`
	// Columns names the columns in order when Header is false.
	Columns []string `yaml:"columns"`
	// LazyQuotes accepts quotes inside unquoted fields.
	LazyQuotes bool `yaml:"lazy_quotes"`
}

// fieldsSpec says how to build each record field; the keys are the wire
// names of the record contract.
type fieldsSpec struct {
	CaseID           *valueSpec `yaml:"case_id"`
	Channel          *valueSpec `yaml:"channel"`
	ReportedAt       *valueSpec `yaml:"reported_at"`
	OccurredAt       *valueSpec `yaml:"occurred_at"`
	GridID           *valueSpec `yaml:"grid_id"`
	Lat              *valueSpec `yaml:"lat"`
	Lon              *valueSpec `yaml:"lon"`
	Category         *valueSpec `yaml:"category"`
	CategoryText     *valueSpec `yaml:"category_text"`
	Summary          *valueSpec `yaml:"summary"`
	Severity         *valueSpec `yaml:"severity"`
	Parties          *valueSpec `yaml:"parties"`
	AmountCNY        *valueSpec `yaml:"amount_cny"`
	Status           *valueSpec `yaml:"status"`
	AssignedUnit     *valueSpec `yaml:"assigned_unit"`
	DueAt            *valueSpec `yaml:"due_at"`
	ResolvedAt       *valueSpec `yaml:"resolved_at"`
	FeedbackAt       *valueSpec `yaml:"feedback_at"`
	EvaluatedAt      *valueSpec `yaml:"evaluated_at"`
	Satisfaction     *valueSpec `yaml:"satisfaction"`
	RepeatOf         *valueSpec `yaml:"repeat_of"`
	Petition         *valueSpec `yaml:"petition"`
	SuperiorAssigned *valueSpec `yaml:"superior_assigned"`
	Escalated        *valueSpec `yaml:"escalated"`
}

// valueSpec builds one record field from a row.
//
// The value comes from the first rule that matches, else from column,
// constant or template. An empty value takes Empty, else Default, else the
// field stays absent. A non-empty value takes Present when given; else it is
// looked up in Map (falling back to Default; without a default an unmapped
// value rejects the row); else it is used as it is, with Prefix put before
// it. Values written in the mapping are checked against the field's kind
// when the mapping loads; values taken as they are, when the row is read.
type valueSpec struct {
	Column   string  `yaml:"column"`
	Constant *string `yaml:"constant"`
	// Template concatenates columns: "{COMPLAINT_TYPE}: {DESCRIPTOR}".
	Template   string            `yaml:"template"`
	Rules      []ruleSpec        `yaml:"rules"`
	Map        map[string]string `yaml:"map"`
	IgnoreCase bool              `yaml:"ignore_case"`
	Present    *string           `yaml:"present"`
	Empty      *string           `yaml:"empty"`
	Default    *string           `yaml:"default"`
	// Prefix is put before a text value taken as it is (case ids).
	Prefix string `yaml:"prefix"`
	// Format lists the date layouts tried in order (date fields only).
	Format stringList `yaml:"format"`
	// Timezone overrides the mapping's zone (date fields only).
	Timezone string `yaml:"timezone"`
}

// ruleSpec gives Value when every condition in When holds.
type ruleSpec struct {
	// When maps a column name to a condition on its value.
	When  map[string]conditionSpec `yaml:"when"`
	Value string                   `yaml:"value"`
}

// conditionSpec holds when the column's trimmed value, compared without
// regard to case, equals one of Equals, contains one of Contains or starts
// with one of Prefix. Empty: true holds for an empty value.
type conditionSpec struct {
	Equals   stringList `yaml:"equals"`
	Contains stringList `yaml:"contains"`
	Prefix   stringList `yaml:"prefix"`
	Empty    bool       `yaml:"empty"`
}

// placeSpec is one candidate source of the region code; candidates are tried
// in order and the first that yields a code known to the registry wins.
type placeSpec struct {
	Column string `yaml:"column"`
	// Constant is a region code used as it is (a last resort).
	Constant string `yaml:"constant"`
	// Normalize is "" (trim only), upper, lower or zip5.
	Normalize string `yaml:"normalize"`
	// Pattern is a regular expression the normalized value must match; its
	// named groups can be used in Code and mapped through Groups.
	Pattern string                       `yaml:"pattern"`
	Groups  map[string]map[string]string `yaml:"groups"`
	// Map maps the normalized value to a region code.
	Map map[string]string `yaml:"map"`
	// Code builds the region code: {value} is the normalized value, {name}
	// a named group of Pattern, {name:N} the same zero-padded to N digits.
	Code string `yaml:"code"`
	// Fallback candidates are used only when every earlier candidate column
	// is empty: a place that was given but is unknown (outside the registry,
	// unreadable) rejects the row instead of falling back.
	Fallback bool `yaml:"fallback"`
	// Coordinates places the row by its lat and lon fields in the
	// polygons of the mapping's polygons file (point in polygon).
	Coordinates bool `yaml:"coordinates"`
}

// polygonsSpec names the boundaries used to place rows by coordinates.
type polygonsSpec struct {
	// File is a GeoJSON FeatureCollection of Polygon/MultiPolygon features,
	// relative to the mapping file.
	File string `yaml:"file"`
	// Code is the feature property that holds the region code.
	Code string `yaml:"code"`
}

// Package importer turns exports of other platforms (CSV or JSONL files)
// into records of the contract in schemas, for `riskwatch import`.
//
// It sits before Kafka in the flow: the wiring opens the files, calls
// Convert with a mapping and a region registry, and produces each emitted
// record to the disputes topic; from there on an imported case travels like
// any other. This package does no Kafka or ClickHouse I/O and reads no
// clock: it only reads the readers it is given.
//
// A mapping file (YAML, decoded strictly: an unknown key is an error naming
// its path) declares the input format, how every record field is built
// (from a column, a constant or a template, through value maps with
// defaults and ordered rules), the date layouts and the source's time zone,
// and how the source's places map onto the region hierarchy: an ordered
// list of candidate columns, each normalized (upper case, five-digit ZIP,
// a pattern such as "05 Brooklyn") and turned into a region code that the
// registry must know. A closed case becomes one record with its final state
// or, with versions: open_close, version 1 as accepted and version 2 closed.
//
// A short mapping:
//
//	format: csv
//	timezone: America/New_York
//	regions: nyc_regions.csv
//	versions: open_close
//	fields:
//	  case_id: {column: UNIQUE_KEY}
//	  reported_at: {column: OPENDATE, format: date}
//	  resolved_at: {column: CLOSEDATE, format: date}
//	  status: {column: CLOSEDATE, present: closed, empty: accepted}
//	  summary: {template: "{COMPLAINT_TYPE}: {DESCRIPTOR}"}
//	  category:
//	    rules:
//	      - when: {DESCRIPTOR: {contains: [noise]}}
//	        value: neighbor.noise
//	    column: COMPLAINT_TYPE
//	    map: {Housing and Buildings: property}
//	    default: other
//	region:
//	  - {column: ZIP, normalize: zip5, code: "NYC-ZIP-{value}"}
//	  - column: BOROUGH
//	    normalize: upper
//	    map: {BROOKLYN: NYC-B3, MANHATTAN: NYC-B1}
//
// A region candidate {coordinates: true} places a row by its lat and lon
// fields in the polygons of the mapping's polygons key (a GeoJSON file and
// the feature property holding the region code; schemas.Placer, a grid
// index over the polygons): candidates are tried in the order written, so
// code, name and coordinates resolve in whatever order the mapping lists
// them.
//
// The input's text encoding is the mapping's encoding key: utf-8, gb18030
// (gbk, gb2312), utf-16 (a byte order mark is required and gives the byte
// order), latin-1 or windows-1252, decoded with golang.org/x/text. Without
// the key a byte order mark decides, else the input is UTF-8. Bytes that are
// not valid in the encoding are never replaced: the row that holds them is
// rejected (bad_encoding) naming the line and the character.
//
// Conversion streams row by row in bounded memory. A row that cannot make a
// valid record (a date that does not parse, no known region, an unmapped
// value without a default, a duplicate case id …) is rejected with its file,
// physical line and a reason naming the column; it is counted, never
// silently dropped. A value a map does not know that the field's default
// replaces is counted too (Stats.Unmapped), so that a new category in an
// export shows at the end of the import rather than vanishing into the
// default. Region codes are normalised as at ingest (Registry.Normalize:
// a 6-digit county code stands for its 12-digit code), and a constant
// region code is checked against the registry before any row is read.
//
// The mappings for the NYC Council constituent casework and the NYC 311
// sample, with the NYC region file, live in sources/mappings (package
// mappings, embedded in the binary); the tests here convert the whole of
// those real files.
package importer

// Package mappings ships the import mappings and region files that
// `riskwatch import` uses for real exports of other platforms: the NYC
// Council constituent casework (nyc_council.yaml), the NYC 311 service
// requests (nyc311.yaml) and the New York City region hierarchy they resolve
// places against (nyc_regions.csv). SOURCES.md names the data, its licence
// and the rules behind each choice.
//
// The files are embedded in the binary (FS), so an import works without a
// checkout. The package holds no code: sources/importer reads the mapping
// format; the wiring opens files and produces the records to Kafka.
package mappings

package mappings

import "embed"

// FS holds the shipped mapping files (*.yaml), the region files they name
// (*.csv) and SOURCES.md, at the top level. Pass it to importer.Open.
//
//go:embed *.yaml *.csv SOURCES.md
var FS embed.FS

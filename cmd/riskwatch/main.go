// Command riskwatch is the early-warning analytics service for
// social-governance centers. main only hands over to internal/app.
package main

import (
	"os"

	"github.com/riskwatch/riskwatch/internal/app"
)

func main() { os.Exit(app.Main(os.Args[1:], os.Stdout, os.Stderr)) }

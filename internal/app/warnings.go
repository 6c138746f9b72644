package app

import (
	"context"
	"fmt"
	"io"
)

// mountWarnings starts this part inside `riskwatch run`.
func mountWarnings(env *serveEnv) (stop func(), err error) { return nil, nil }

func warningsCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "riskwatch warnings: not built yet")
	return 2
}

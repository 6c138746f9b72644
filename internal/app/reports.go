package app

import (
	"context"
	"fmt"
	"io"
)

// mountReports starts this part inside `riskwatch run`.
func mountReports(env *serveEnv) (stop func(), err error) { return nil, nil }

func reportCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "riskwatch report: not built yet")
	return 2
}

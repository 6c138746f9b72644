package app

import (
	"context"
	"fmt"
	"io"
)

// mountAPI starts this part inside `riskwatch run`.
func mountAPI(env *serveEnv) (stop func(), err error) { return nil, nil }

func tokenCommand(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "riskwatch token: not built yet")
	return 2
}

package servers

import "syscall"

// serverSysProcAttr puts a server in its own process group and has the
// kernel send it SIGKILL when the thread that started it dies, which happens
// when the test binary or `riskwatch run` is killed.
func serverSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

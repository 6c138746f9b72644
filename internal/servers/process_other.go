//go:build !linux

package servers

import "syscall"

// serverSysProcAttr puts a server in its own process group. Only Linux has a
// parent-death signal, so elsewhere a killed parent can leave servers behind.
func serverSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

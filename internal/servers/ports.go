package servers

import (
	"fmt"
	"net"
)

// freePorts returns n distinct TCP ports that were free on 127.0.0.1 a moment
// ago. It binds 127.0.0.1:0 n times, keeping every listener open until all
// ports are known so that the kernel cannot hand out the same port twice, and
// then closes them. Another process may still take a port before the server
// binds it, so callers pick ports immediately before starting the server.
func freePorts(n int) ([]int, error) {
	listeners := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range listeners {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("cannot pick a free loopback port: %w", err)
		}
		listeners = append(listeners, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// fillPorts replaces every zero among *ps with a free loopback port.
func fillPorts(ps ...*int) error {
	missing := 0
	for _, p := range ps {
		if *p == 0 {
			missing++
		}
	}
	if missing == 0 {
		return nil
	}
	free, err := freePorts(missing)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if *p == 0 {
			*p, free = free[0], free[1:]
		}
	}
	return nil
}

// loopback returns the host:port address of port on 127.0.0.1.
func loopback(port int) string {
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
}

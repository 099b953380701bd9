package fakesite

import (
	"net"
	"sync"
	"sync/atomic"
)

// DropServer stands for a host that drops every connection of the
// client's address, as kremlin.ru does for most of the world: it accepts
// each TCP connection and closes it at once with a reset, before any
// answer.
type DropServer struct {
	// URL is http://<address> of the server.
	URL string

	ln    net.Listener
	conns atomic.Int64
	wg    sync.WaitGroup
}

// StartDropServer listens on a loopback port.
func StartDropServer() *DropServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("fakesite: " + err.Error())
	}
	return DropOn(ln)
}

// DropOn drops every connection accepted on ln.
func DropOn(ln net.Listener) *DropServer {
	d := &DropServer{URL: "http://" + ln.Addr().String(), ln: ln}
	d.wg.Add(1)
	go func() {
		defer d.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d.conns.Add(1)
			if tc, ok := c.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close with RST
			}
			_ = c.Close()
		}
	}()
	return d
}

// Connections is the number of connections dropped so far.
func (d *DropServer) Connections() int { return int(d.conns.Load()) }

// Close stops listening.
func (d *DropServer) Close() {
	_ = d.ln.Close()
	d.wg.Wait()
}

package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
)

func TestNetCause(t *testing.T) {
	// A real refused connection: listen, close, dial.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := http.Get("http://" + addr + "/")
	if refused == nil {
		t.Fatal("expected a refused connection")
	}
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"dns not found", &NetError{URL: "http://x.invalid/", Err: &net.DNSError{Name: "x.invalid", Err: "no such host", IsNotFound: true}}, "DNS: no such host x.invalid"},
		{"dns failure", &net.DNSError{Name: "kremlin.ru", Err: "server misbehaving"}, "DNS lookup of kremlin.ru failed"},
		{"refused (real)", &NetError{URL: "http://" + addr, Err: refused}, "connection refused"},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, "connection reset"},
		{"proxy", &net.OpError{Op: "proxyconnect", Err: errors.New("dial tcp: connection refused")}, "the proxy cannot be reached"},
		{"timeout", &NetError{Err: context.DeadlineExceeded, Timeout: true}, "timed out"},
		{"other", fmt.Errorf("something odd"), "network error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := netCause(tt.err); got != tt.want {
				t.Errorf("netCause(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestUnreachableError(t *testing.T) {
	err := error(&UnreachableError{Host: "en.kremlin.ru", Cause: "connection refused", Err: syscall.ECONNREFUSED})
	if !errors.Is(err, ErrUnreachable) || errors.Is(err, ErrUnavailable) {
		t.Errorf("UnreachableError must be ErrUnreachable and not ErrUnavailable")
	}
	if !hostStopped(err) || !hostStopped(&RefusedError{Host: "x"}) || hostStopped(errors.New("x")) {
		t.Errorf("hostStopped misclassifies")
	}
}

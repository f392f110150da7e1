package main

import (
	"net"
	"testing"
	"time"
)

func TestPerClientLimit(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := limitPerClient(inner, 2)
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	a, b, extra := dial(), dial(), dial()
	defer a.Close()
	defer b.Close()
	first, second := <-accepted, <-accepted
	// The third connection is closed by the server: a read sees EOF.
	extra.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := extra.Read(make([]byte, 1)); err == nil {
		t.Fatal("a third connection from the same address was served")
	}
	select {
	case c := <-accepted:
		t.Fatalf("the third connection was handed to the server: %v", c.RemoteAddr())
	default:
	}
	// Closing one frees its slot.
	first.Close()
	c := dial()
	defer c.Close()
	select {
	case got := <-accepted:
		got.Close()
	case <-time.After(2 * time.Second):
		t.Fatal("a freed slot was not reused")
	}
	second.Close()
}

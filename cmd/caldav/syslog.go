package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// syslogHandler sends log records as RFC 5424 messages over UDP or TCP
// (robur's monitoring build logs to syslog). TCP uses octet counting
// (RFC 6587). Sending never blocks logging for long: a failed send is
// dropped and retried with a new connection next time.
type syslogHandler struct {
	network, addr string
	hostname      string
	level         slog.Leveler
	attrs         []slog.Attr
	group         string

	mu   *sync.Mutex
	conn *net.Conn
}

// newSyslogHandler parses "udp://HOST:PORT" or "tcp://HOST:PORT".
func newSyslogHandler(target string, level slog.Leveler) (*syslogHandler, error) {
	network, addr, ok := strings.Cut(target, "://")
	if !ok || (network != "udp" && network != "tcp") {
		return nil, fmt.Errorf("--syslog: %q is not udp://HOST:PORT or tcp://HOST:PORT", target)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("--syslog: %w", err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "-"
	}
	return &syslogHandler{network: network, addr: addr, hostname: host, level: level, mu: &sync.Mutex{}, conn: new(net.Conn)}, nil
}

// Enabled implements slog.Handler.
func (h *syslogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// severity maps slog levels to syslog severities.
func severity(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return 3
	case l >= slog.LevelWarn:
		return 4
	case l >= slog.LevelInfo:
		return 6
	}
	return 7
}

// rfc5424Time is RFC 5424's TIMESTAMP: RFC 3339 with at most six
// fraction digits.
const rfc5424Time = "2006-01-02T15:04:05.000000Z07:00"

// format renders one RFC 5424 message (facility daemon).
func (h *syslogHandler) format(r slog.Record) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "<%d>1 %s %s caldav %d - - %s", 3*8+severity(r.Level), r.Time.UTC().Format(rfc5424Time),
		h.hostname, os.Getpid(), r.Message)
	write := func(a slog.Attr) {
		key := a.Key
		if h.group != "" {
			key = h.group + "." + key
		}
		fmt.Fprintf(&b, " %s=%q", key, a.Value.String())
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(func(a slog.Attr) bool { write(a); return true })
	return b.Bytes()
}

// Handle implements slog.Handler.
func (h *syslogHandler) Handle(_ context.Context, r slog.Record) error {
	msg := h.format(r)
	h.mu.Lock()
	defer h.mu.Unlock()
	if *h.conn == nil {
		c, err := net.DialTimeout(h.network, h.addr, time.Second)
		if err != nil {
			return nil // syslog unreachable: the record still goes to stderr
		}
		*h.conn = c
	}
	if h.network == "tcp" {
		msg = append([]byte(fmt.Sprintf("%d ", len(msg))), msg...)
	}
	_ = (*h.conn).SetWriteDeadline(time.Now().Add(time.Second))
	if _, err := (*h.conn).Write(msg); err != nil {
		(*h.conn).Close()
		*h.conn = nil
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (h *syslogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup implements slog.Handler.
func (h *syslogHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.group = name
	return &c
}

// fanout sends records to several handlers.
type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			_ = h.Handle(ctx, r.Clone())
		}
	}
	return nil
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

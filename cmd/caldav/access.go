package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/gocaldav/gocaldav/dav"
)

// requestInfo travels in a request's context so the access log can name
// the authenticated user.
type requestInfo struct {
	id   string
	user string
}

type infoKey struct{}

// infoOf returns the request's info, or a throwaway one.
func infoOf(ctx context.Context) *requestInfo {
	if ri, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// newRequestID returns 16 hex digits.
func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter records the status and size of an answer.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Hijack lets Expect: 100-continue and upgrades pass through.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijacking not supported")
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// full duplex).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush passes through to the underlying writer.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// accessLog wraps next with a request id (X-Request-Id), an access log
// line per request and the request metrics.
func accessLog(next http.Handler, log *slog.Logger, m *metrics) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &requestInfo{id: newRequestID()}
		w.Header().Set("X-Request-Id", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// A request the handler broke off (http.ErrAbortHandler)
			// is logged too, then the panic goes on to net/http.
			p := recover()
			if sw.status == 0 {
				sw.status = http.StatusOK
			}
			took := time.Since(start)
			m.observe(r.Method, sw.status, took)
			attrs := []slog.Attr{slog.String("id", ri.id), slog.String("user", ri.user), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", sw.status), slog.Int64("bytes", sw.bytes),
				slog.Duration("duration", took), slog.String("remote", r.RemoteAddr)}
			if p != nil {
				attrs = append(attrs, slog.Bool("aborted", true))
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, ri)))
	})
}

// recordingAuth notes the authenticated user for the access log and
// counts failed logins.
type recordingAuth struct {
	inner dav.Authenticator
	m     *metrics
}

// Authenticate implements dav.Authenticator.
func (a recordingAuth) Authenticate(ctx context.Context, r *http.Request) (*dav.Principal, string, error) {
	p, ch, err := a.inner.Authenticate(ctx, r)
	if p != nil {
		infoOf(r.Context()).user = p.Name
	} else if err == nil && r.Header.Get("Authorization") != "" {
		a.m.failedLogin()
	}
	return p, ch, err
}

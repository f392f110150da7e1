package main

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request its handler breaks off (http.ErrAbortHandler) is still in
// the access log, marked aborted, and the panic reaches net/http, which
// then drops the connection.
func TestAccessLogAbortedRequest(t *testing.T) {
	var out bytes.Buffer
	log := slog.New(slog.NewTextHandler(&out, nil))
	h := accessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(207)
		w.Write([]byte("<partial"))
		panic(http.ErrAbortHandler)
	}), log, nil)
	func() {
		defer func() {
			if p := recover(); p == nil || !errors.Is(p.(error), http.ErrAbortHandler) {
				t.Errorf("panic %v, want http.ErrAbortHandler passed on", p)
			}
		}()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("PROPFIND", "/calendars/", nil))
	}()
	line := out.String()
	if !strings.Contains(line, "status=207") || !strings.Contains(line, "aborted=true") || !strings.Contains(line, "bytes=8") {
		t.Errorf("access log: %q", line)
	}
	out.Reset()
	accessLog(http.NotFoundHandler(), log, nil).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/x", nil))
	if strings.Contains(out.String(), "aborted") || !strings.Contains(out.String(), "status=404") {
		t.Errorf("access log of a normal request: %q", out.String())
	}
}

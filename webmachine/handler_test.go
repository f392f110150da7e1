package webmachine

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// serveHTTP runs a test resource through the real http.Handler path.
func serveHTTP(t *testing.T, method, target string, headers map[string]string, setup func(*testResource)) *httptest.ResponseRecorder {
	t.Helper()
	return serveHTTPWith(t, testOptions(0), method, target, headers, setup)
}

func serveHTTPWith(t *testing.T, o Options, method, target string, headers map[string]string, setup func(*testResource)) *httptest.ResponseRecorder {
	t.Helper()
	res := newTestResource()
	if setup != nil {
		setup(res)
	}
	req := httptest.NewRequest(method, target, nil)
	for k, v := range headers {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	Handler(func(*http.Request) Resource { return res }, o).ServeHTTP(rec, req)
	return rec
}

func TestHeadHasNoBody(t *testing.T) {
	rec := serveHTTP(t, "HEAD", "/", nil, nil)
	if rec.Code != 200 || rec.Body.Len() != 0 {
		t.Fatalf("HEAD: %d with %d body bytes", rec.Code, rec.Body.Len())
	}
	if got := rec.Header().Get("Content-Length"); got != "5" {
		t.Errorf("HEAD Content-Length %q, want 5 (the GET body length)", got)
	}
	if rec.Header().Get("ETag") != `"abc"` {
		t.Errorf("HEAD lacks ETag")
	}
}

func TestNoContentHasNoBody(t *testing.T) {
	rec := serveHTTP(t, "DELETE", "/", nil, nil)
	if rec.Code != 204 || rec.Body.Len() != 0 || rec.Header().Get("Content-Type") != "" {
		t.Fatalf("DELETE: %d, body %q, type %q", rec.Code, rec.Body, rec.Header().Get("Content-Type"))
	}
}

func TestGzipEncoding(t *testing.T) {
	long := strings.Repeat("calendar ", 200)
	setup := func(r *testResource) {
		r.providers = []Provider{textProvider("text/plain", long)}
		r.encodings = []Encoding{GzipEncoding()}
	}
	rec := serveHTTP(t, "GET", "/", h("Accept-Encoding", "gzip"), setup)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q", rec.Header().Get("Content-Encoding"))
	}
	if !contains(rec.Header().Values("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q lacks Accept-Encoding", rec.Header().Values("Vary"))
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil || string(plain) != long {
		t.Fatalf("decoded body differs (err %v)", err)
	}
	// Without Accept-Encoding the body stays as it is.
	rec = serveHTTP(t, "GET", "/", nil, setup)
	if rec.Header().Get("Content-Encoding") != "" || rec.Body.String() != long {
		t.Fatalf("identity answer was encoded")
	}
}

func TestStreamBody(t *testing.T) {
	setup := func(r *testResource) {
		r.providers = []Provider{{MediaType: "text/plain", Write: func(_ context.Context, rq *Request) error {
			rq.SetStream(func(w io.Writer) error { _, err := io.WriteString(w, "streamed"); return err })
			return nil
		}}}
	}
	rec := serveHTTP(t, "GET", "/", nil, setup)
	if rec.Body.String() != "streamed" || rec.Header().Get("Content-Length") != "" {
		t.Fatalf("stream: body %q, Content-Length %q", rec.Body, rec.Header().Get("Content-Length"))
	}
}

// TestSizedStreamBody: a stream of known length is sent with its
// Content-Length, and a content coding replaces it with the coded
// length.
func TestSizedStreamBody(t *testing.T) {
	long := strings.Repeat("streamed ", 300)
	setup := func(r *testResource) {
		r.encodings = []Encoding{GzipEncoding()}
		r.providers = []Provider{{MediaType: "text/plain", Write: func(_ context.Context, rq *Request) error {
			rq.SetSizedStream(int64(len(long)), func(w io.Writer) error { _, err := io.WriteString(w, long); return err })
			return nil
		}}}
	}
	rec := serveHTTP(t, "GET", "/", nil, setup)
	if rec.Body.String() != long || rec.Header().Get("Content-Length") != strconv.Itoa(len(long)) {
		t.Fatalf("sized stream: %d body bytes, Content-Length %q, want %d", rec.Body.Len(), rec.Header().Get("Content-Length"), len(long))
	}
	rec = serveHTTP(t, "GET", "/", map[string]string{"Accept-Encoding": "gzip"}, setup)
	if rec.Header().Get("Content-Encoding") != "gzip" || rec.Header().Get("Content-Length") != strconv.Itoa(rec.Body.Len()) {
		t.Fatalf("gzip: Content-Encoding %q, Content-Length %q for %d bytes", rec.Header().Get("Content-Encoding"), rec.Header().Get("Content-Length"), rec.Body.Len())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != long {
		t.Errorf("gzip body decodes to %d bytes, want %d", len(b), len(long))
	}
}

func TestTraceHeader(t *testing.T) {
	o := testOptions(TraceHeader)
	rec := serveHTTPWith(t, o, "GET", "/", nil, nil)
	want := strings.ReplaceAll(pGet200, " ", ",")
	if got := rec.Header().Get(TraceHeaderName); got != want {
		t.Fatalf("trace header\n got %s\nwant %s", got, want)
	}
	rec = serveHTTP(t, "GET", "/", nil, nil)
	if rec.Header().Get(TraceHeaderName) != "" {
		t.Fatalf("trace header sent with tracing off")
	}
}

func TestTraceLogAndPanicLog(t *testing.T) {
	var buf bytes.Buffer
	o := testOptions(TraceLog)
	o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	serveHTTPWith(t, o, "GET", "/x", nil, nil)
	if !strings.Contains(buf.String(), `trace="`+pGet200+`"`) || !strings.Contains(buf.String(), "status=200") {
		t.Errorf("trace log line missing: %s", buf.String())
	}
	buf.Reset()
	rec := serveHTTPWith(t, o, "GET", "/x", nil, func(r *testResource) { r.panicAt = "ETag" })
	if rec.Code != 500 {
		t.Fatalf("panic answered %d", rec.Code)
	}
	if !strings.Contains(buf.String(), "test panic in ETag") {
		t.Errorf("panic not logged: %s", buf.String())
	}
	// The handler goes on serving after a panic.
	if rec := serveHTTPWith(t, o, "GET", "/x", nil, nil); rec.Code != 200 {
		t.Fatalf("after a panic: %d", rec.Code)
	}
}

func TestParseTraceMode(t *testing.T) {
	for in, want := range map[string]TraceMode{"off": 0, "": 0, "log": TraceLog, "header": TraceHeader, "log,header": TraceLog | TraceHeader} {
		got, err := ParseTraceMode(in)
		if err != nil || got != want {
			t.Errorf("ParseTraceMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseTraceMode("loud"); err == nil {
		t.Errorf("ParseTraceMode accepted loud")
	}
}

func TestBasicChallengeEscapes(t *testing.T) {
	if got := BasicChallenge(`a "b" \c`); got != `Basic realm="a \"b\" \\c", charset="UTF-8"` {
		t.Errorf("BasicChallenge = %s", got)
	}
}

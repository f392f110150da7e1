package webmachine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// benchResource is the smallest useful resource: GET with a strong ETag.
type benchResource struct{ Base }

var benchBody = []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")

var benchProviders = []Provider{{MediaType: "text/calendar", Write: func(_ context.Context, r *Request) error {
	r.SetBody(benchBody)
	return nil
}}}

func (benchResource) ContentTypesProvided(context.Context, *Request) ([]Provider, error) {
	return benchProviders, nil
}

func (benchResource) ETag(context.Context, *Request) (ETag, error) { return StrongETag("abc"), nil }

// discardWriter is a ResponseWriter that keeps nothing, so the benchmarks
// measure the handlers, not the recorder.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

// BenchmarkBareHandler is the baseline: a HandlerFunc writing the same
// answer (ETag, Content-Type, Content-Length, body) by hand.
func BenchmarkBareHandler(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Content-Type", "text/calendar")
		w.Header().Set("Content-Length", "32")
		w.WriteHeader(200)
		_, _ = w.Write(benchBody)
	})
	benchHandler(b, h)
}

// BenchmarkGraphGet is one GET through the whole decision graph (tracing
// off). The difference to BenchmarkBareHandler is the graph's overhead.
func BenchmarkGraphGet(b *testing.B) {
	res := benchResource{}
	benchHandler(b, Handler(func(*http.Request) Resource { return res }, Options{}))
}

// BenchmarkGraphGetTraced is the same with the trace recorded and returned
// in a header.
func BenchmarkGraphGetTraced(b *testing.B) {
	res := benchResource{}
	benchHandler(b, Handler(func(*http.Request) Resource { return res }, Options{Trace: TraceHeader}))
}

// BenchmarkRouterGet adds routing with a path parameter.
func BenchmarkRouterGet(b *testing.B) {
	rt := &Router{}
	rt.Handle("/calendars/*", func(*http.Request, map[string]string) Resource { return benchResource{} })
	benchHandlerPath(b, rt, "/calendars/alice/event.ics")
}

func benchHandler(b *testing.B, h http.Handler) { benchHandlerPath(b, h, "/event.ics") }

func benchHandlerPath(b *testing.B, h http.Handler, path string) {
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Accept", "text/calendar, */*;q=0.5")
	w := &discardWriter{h: make(http.Header, 8)}
	b.ReportAllocs()
	for b.Loop() {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

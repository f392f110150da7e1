package webmachine

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"
)

// Options configure how resources are served.
type Options struct {
	// Trace selects what happens to each request's decision trace; the
	// zero value records nothing.
	Trace TraceMode
	// Logger receives internal errors (500s), recovered panics and, with
	// TraceLog, traces. Nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock (for If-Modified-Since in the future); nil means
	// time.Now. Tests set it.
	Now func() time.Time
}

func (o *Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// Result is the answer the graph decided for one request.
type Result struct {
	// Status is the HTTP status.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the response body, nil when there is none or it is a stream.
	Body []byte
	// Stream, when set, writes the body instead of Body.
	Stream func(w io.Writer) error
	// Trace is the decision trace, when Options.Trace asked for one.
	Trace *Trace
	// Err is the internal error behind a 500, if any.
	Err error
}

// Serve runs res through the decision graph for r and returns the answer
// without writing it anywhere. params are the path parameters (may be nil).
func Serve(ctx context.Context, res Resource, r *http.Request, params map[string]string, o Options) Result {
	rq := &Request{HTTP: r, Params: params, Header: make(http.Header)}
	status, tr, err := o.run(ctx, res, rq)
	out := Result{Status: status, Header: rq.Header, Trace: tr, Err: err}
	if rq.hasBody {
		out.Body, out.Stream = rq.body, rq.stream
	}
	return out
}

// Handler returns an http.Handler that serves every request with a fresh
// resource from newResource.
func Handler(newResource func(*http.Request) Resource, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.ServeHTTP(w, r, newResource(r), nil)
	})
}

// ServeHTTP runs res through the graph for r and writes the answer to w.
// params are the path parameters (may be nil).
func (o Options) ServeHTTP(w http.ResponseWriter, r *http.Request, res Resource, params map[string]string) {
	rq := &Request{HTTP: r, Params: params, Header: w.Header()}
	status, _, _ := o.run(r.Context(), res, rq)
	o.write(w, r, rq, status)
}

// run walks the graph, runs FinishRequest, and turns panics into 500s.
func (o *Options) run(ctx context.Context, res Resource, rq *Request) (status int, tr *Trace, err error) {
	e := engine{ctx: ctx, res: res, rq: rq, now: o.Now}
	if e.now == nil {
		e.now = time.Now
	}
	var start time.Time
	if o.Trace != 0 {
		e.trace = &Trace{Nodes: make([]Node, 0, 32)}
		start = time.Now()
	}
	status = e.walk()
	if st := e.finish(); st != 0 {
		status = st
	}
	if status == http.StatusInternalServerError && e.err != nil {
		o.logger().ErrorContext(ctx, "webmachine: internal error",
			"method", rq.HTTP.Method, "path", rq.HTTP.URL.Path, "node", string(e.node), "err", e.err)
		clear(rq.Header)
		rq.ClearBody()
	}
	if e.trace != nil {
		e.trace.Took = time.Since(start)
		if o.Trace&TraceHeader != 0 {
			rq.Header.Set(TraceHeaderName, e.trace.join(","))
		}
		if o.Trace&TraceLog != 0 {
			o.logger().DebugContext(ctx, "webmachine trace", "method", rq.HTTP.Method,
				"path", rq.HTTP.URL.Path, "status", status, "trace", e.trace.String(), "took", e.trace.Took)
		}
	}
	return status, e.trace, e.err
}

// walk runs the graph, turning a panic into a 500 with the panic as error.
func (e *engine) walk() (status int) {
	defer e.recoverPanic(&status)
	return e.b13()
}

// finish runs FinishRequest; a non-zero status replaces the answer.
func (e *engine) finish() (status int) {
	defer e.recoverPanic(&status)
	err := e.res.FinishRequest(e.ctx, e.rq)
	note[any](e, "FinishRequest", nil, err)
	if err != nil {
		return e.fail(err)
	}
	return 0
}

// recoverPanic, deferred, turns a panic into a 500 in *status.
func (e *engine) recoverPanic(status *int) {
	if p := recover(); p != nil {
		e.err = fmt.Errorf("webmachine: panic at node %s: %v\n%s", e.node, p, debug.Stack())
		*status = http.StatusInternalServerError
	}
}

// bodyless reports whether a status may not carry a body (RFC 9110 §6.4.1).
func bodyless(status int) bool {
	return status == http.StatusNoContent || status == http.StatusNotModified || status < 200
}

// write sends the answer: Content-Type and Content-Encoding for the
// representation, Content-Length for in-memory bodies, no body for HEAD.
func (o *Options) write(w http.ResponseWriter, r *http.Request, rq *Request, status int) {
	h := rq.Header
	if bodyless(status) || !rq.hasBody {
		if !bodyless(status) && !rq.hasBody {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(status)
		return
	}
	if h.Get("Content-Type") == "" && rq.MediaType != "" {
		ct := rq.MediaType
		if rq.Charset != "" {
			ct += "; charset=" + rq.Charset
		}
		h.Set("Content-Type", ct)
	}
	body, stream := rq.body, rq.stream
	if rq.encoding != nil && rq.represented {
		encoded, err := encodeBody(rq, rq.encoding)
		if err != nil {
			o.logger().ErrorContext(r.Context(), "webmachine: encoding body", "encoding", rq.Encoding, "err", err)
		} else {
			h.Set("Content-Encoding", rq.encoding.Name)
			body, stream = encoded, nil
		}
	}
	switch {
	case stream == nil:
		h.Set("Content-Length", strconv.Itoa(len(body)))
	case rq.size >= 0:
		h.Set("Content-Length", strconv.FormatInt(rq.size, 10))
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if stream != nil {
		if err := stream(w); err != nil {
			o.logger().ErrorContext(r.Context(), "webmachine: streaming body", "path", r.URL.Path, "err", err)
			// The status is sent: a body cut short must not look
			// complete (a chunked one would end with its last chunk).
			panic(http.ErrAbortHandler)
		}
		return
	}
	_, _ = w.Write(body)
}

// encodeBody applies a content coding to the response body in memory.
func encodeBody(rq *Request, enc *Encoding) ([]byte, error) {
	var buf bytes.Buffer
	wc, err := enc.Wrap(&buf)
	if err != nil {
		return nil, fmt.Errorf("webmachine: %s encoder: %w", enc.Name, err)
	}
	if rq.stream != nil {
		err = rq.stream(wc)
	} else {
		_, err = wc.Write(rq.body)
	}
	if err != nil {
		return nil, fmt.Errorf("webmachine: %s encoding: %w", enc.Name, err)
	}
	if err := wc.Close(); err != nil {
		return nil, fmt.Errorf("webmachine: %s encoding: %w", enc.Name, err)
	}
	return buf.Bytes(), nil
}

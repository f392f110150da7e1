package webmachine

import (
	"io"
	"net/http"
)

// Request is one exchange as it travels through the decision graph: the
// incoming HTTP request and the answer being built (webmachine's Rd).
type Request struct {
	// HTTP is the incoming request.
	HTTP *http.Request
	// Params holds the path parameters the [Router] matched (":name"
	// segments; "*" holds the rest of a wildcard route). Nil without a router.
	Params map[string]string
	// Header holds the response headers being built.
	Header http.Header
	// Auth is set by IsAuthorized to whatever identifies the requester; the
	// graph never reads it.
	Auth any
	// MediaType is the media type content negotiation chose (c3/c4).
	MediaType string
	// Charset is the charset chosen (e5/e6); empty when none was negotiated.
	Charset string
	// Encoding is the content coding chosen (f6/f7); "identity" by default.
	Encoding string
	// Redirect asks, after a POST, for a 303 to the Location header instead
	// of a 201 or 200.
	Redirect bool

	body     []byte
	stream   func(w io.Writer) error
	size     int64 // the stream's length, -1 when unknown
	hasBody  bool
	encoding *Encoding
	// represented marks a body produced by a Provider in o18, the only
	// body the chosen content coding applies to.
	represented bool
}

// Param returns the path parameter name, or "" when it was not matched.
func (r *Request) Param(name string) string { return r.Params[name] }

// Method returns the request method.
func (r *Request) Method() string { return r.HTTP.Method }

// SetBody replaces the response body with b.
func (r *Request) SetBody(b []byte) {
	r.body, r.stream, r.hasBody = b, nil, true
}

// SetStream makes the response body the output of write, called once when
// the answer is written, so large bodies need not be held in memory. Its
// Content-Length is unknown. When write fails, the status and part of the
// body are already sent: the connection is broken off (the handler
// panics with http.ErrAbortHandler), so that the client does not take
// the part for the whole.
func (r *Request) SetStream(write func(w io.Writer) error) { r.SetSizedStream(-1, write) }

// SetSizedStream is SetStream for a body whose length is known (its
// Content-Length, unless a content coding applies): a body held in pieces
// is sent without joining them.
func (r *Request) SetSizedStream(size int64, write func(w io.Writer) error) {
	r.body, r.stream, r.size, r.hasBody = nil, write, size, write != nil
}

// HasBody reports whether a response body was set.
func (r *Request) HasBody() bool { return r.hasBody }

// Body returns the response body set with SetBody (nil for a stream).
func (r *Request) Body() []byte { return r.body }

// ClearBody removes any response body.
func (r *Request) ClearBody() { r.body, r.stream, r.hasBody = nil, nil, false }

package dav

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// Paths deeper than maxPathSegments answer 414, as a request target and
// as a Destination; an access check of a missing resource walks up its
// ancestors, so depth must be bounded (2,000 segments cost seconds).
func TestPathDepthLimit(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(201, "PUT", "/calendars/c/a.ics", "x")
	deep := "/calendars/" + strings.Repeat("x/", maxPathSegments)
	for _, m := range []string{"GET", "PROPFIND", "PUT", "DELETE", "MKCOL"} {
		e.Must(414, m, deep, "")
	}
	e.Must(414, "COPY", "/calendars/c/a.ics", "", "Destination", deep+"a.ics")
	e.Must(404, "GET", "/calendars/"+strings.Repeat("x/", maxPathSegments-1), "")
}

// truncatedBody is a request body that ends before its Content-Length.
type truncatedBody struct{ sent bool }

func (b *truncatedBody) Read(p []byte) (int, error) {
	if b.sent {
		return 0, io.ErrUnexpectedEOF
	}
	b.sent = true
	return copy(p, "BEGIN:VCAL"), nil
}

// A body cut short is the client's error (400), not the server's (500).
func TestTruncatedBodyIs400(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	for m, path := range map[string]string{"PUT": "/calendars/c/a.ics", "PROPFIND": "/calendars/c/", "PROPPATCH": "/calendars/c/", "MKCOL": "/calendars/c/d/"} {
		req := httptest.NewRequest(m, path, &truncatedBody{})
		req.ContentLength = 100
		req.SetBasicAuth("root", "secret")
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != 400 {
			t.Errorf("%s with a truncated body: %d, want 400\n%s", m, rec.Code, rec.Body)
		}
	}
}

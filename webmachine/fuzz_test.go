package webmachine

import (
	"net/http/httptest"
	"testing"
)

// FuzzConditionalHeaders: any If-* and Accept-* values go through the
// graph without a panic or a 500.
func FuzzConditionalHeaders(f *testing.F) {
	f.Add(`"abc"`, `W/"x", *`, "Tue, 02 Jan 2024 12:00:00 GMT", "text/*;q=0.5, */*;q=bogus", "gzip;q=0, identity", "utf-8;q=1")
	f.Add(`"`, `,,,`, "garbage", ";;;", "*;q=0", "")
	f.Fuzz(func(t *testing.T, ifMatch, ifNoneMatch, date, accept, enc, charset string) {
		for _, method := range []string{"GET", "PUT", "PROPPATCH"} {
			req := httptest.NewRequest(method, "/x", nil)
			set := func(k, v string) {
				if v != "" {
					req.Header[k] = []string{v}
				}
			}
			set("If-Match", ifMatch)
			set("If-None-Match", ifNoneMatch)
			set("If-Modified-Since", date)
			set("If-Unmodified-Since", date)
			set("Accept", accept)
			set("Accept-Encoding", enc)
			set("Accept-Charset", charset)
			set("Content-Type", "text/plain")
			res := newTestResource()
			res.charsets = []string{"utf-8", "iso-8859-1"}
			res.encodings = []Encoding{GzipEncoding()}
			out := Serve(req.Context(), res, req, nil, testOptions(0))
			if out.Status >= 500 {
				t.Fatalf("%s: status %d (%v)", method, out.Status, out.Err)
			}
		}
	})
}

package webmachine

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Node paths shared by the table below, as in ocaml-webmachine's Path
// module: the prefix every request walks, and the prefix to g7 without
// negotiation headers.
const (
	pStart   = "b13 b12 b11 b10 b9 b8 b7 b6 b5 b4 b3"
	pToG7    = pStart + " c3 d4 e5 f6 g7"
	pExists  = pToG7 + " g7b"
	pMissing = pToG7 + " h7b h7"
	pNoConds = pExists + " g8 h10 i12 l13"
	pGet200  = pNoConds + " m16 n16 o16 o16b o18 o18b"
)

var (
	testModified = time.Date(2024, 1, 2, 12, 0, 0, 0, time.UTC)
	testNow      = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	dayBefore    = testModified.Add(-24 * time.Hour).Format(http.TimeFormat)
	dayAfter     = testModified.Add(24 * time.Hour).Format(http.TimeFormat)
)

// newTestResource returns a resource with an ETag and a modification date.
func newTestResource() *testResource {
	return &testResource{etag: StrongETag("abc"), modified: testModified}
}

type graphCase struct {
	name    string
	method  string
	target  string // default /res
	headers map[string]string
	body    string
	setup   func(*testResource)
	status  int
	path    string
	check   func(t *testing.T, res Result, tr *testResource)
}

// serveCase runs one case through Serve with tracing on.
func serveCase(t *testing.T, c graphCase) (Result, *testResource) {
	t.Helper()
	tr := newTestResource()
	if c.setup != nil {
		c.setup(tr)
	}
	target := c.target
	if target == "" {
		target = "/res"
	}
	method := c.method
	if method == "" {
		method = http.MethodGet
	}
	req := httptest.NewRequest(method, target, strings.NewReader(c.body))
	for k, v := range c.headers {
		req.Header.Set(k, v)
	}
	res := Serve(context.Background(), tr, req, nil, testOptions(TraceRecord))
	return res, tr
}

func TestGraphPaths(t *testing.T) {
	plain := map[string]string{"Content-Type": "text/plain"}
	cases := []graphCase{
		{name: "b13 service unavailable", setup: func(r *testResource) { r.unavailable = true }, status: 503, path: "b13"},
		{name: "b12 unknown method", method: "BREW", status: 501, path: "b13 b12"},
		{name: "b11 URI too long", setup: func(r *testResource) { r.tooLong = true }, status: 414, path: "b13 b12 b11"},
		{name: "b10 method not allowed", method: "PUT", setup: func(r *testResource) { r.allowed = []string{"GET", "HEAD"} },
			status: 405, path: "b13 b12 b11 b10",
			check: func(t *testing.T, res Result, _ *testResource) { wantHeader(t, res, "Allow", "GET, HEAD") }},
		{name: "b9 malformed", setup: func(r *testResource) { r.malformed = true }, status: 400, path: "b13 b12 b11 b10 b9"},
		{name: "b8 unauthorized", setup: func(r *testResource) { r.challenge = BasicChallenge("calendar") },
			status: 401, path: "b13 b12 b11 b10 b9 b8",
			check: func(t *testing.T, res Result, _ *testResource) {
				wantHeader(t, res, "WWW-Authenticate", `Basic realm="calendar", charset="UTF-8"`)
			}},
		{name: "b7 forbidden", setup: func(r *testResource) { r.forbidden = true }, status: 403, path: "b13 b12 b11 b10 b9 b8 b7"},
		{name: "b6 bad content headers", setup: func(r *testResource) { r.badContentHeaders = true }, status: 501, path: "b13 b12 b11 b10 b9 b8 b7 b6"},
		{name: "b5 unknown content type", setup: func(r *testResource) { r.unknownContentType = true }, status: 415, path: "b13 b12 b11 b10 b9 b8 b7 b6 b5"},
		{name: "b4 entity too large", setup: func(r *testResource) { r.tooLarge = true }, status: 413, path: "b13 b12 b11 b10 b9 b8 b7 b6 b5 b4"},
		{name: "b3 OPTIONS", method: "OPTIONS",
			setup:  func(r *testResource) { r.allowed = []string{"GET", "OPTIONS"}; r.options = http.Header{"Dav": {"1"}} },
			status: 200, path: pStart,
			check: func(t *testing.T, res Result, _ *testResource) {
				wantHeader(t, res, "Allow", "GET, OPTIONS")
				wantHeader(t, res, "DAV", "1")
			}},
		{name: "c4 no acceptable type", headers: map[string]string{"Accept": "application/json"}, status: 406, path: pStart + " c3 c4"},
		{name: "d5 language refused", headers: map[string]string{"Accept-Language": "de"},
			setup: func(r *testResource) { r.languageRefused = true }, status: 406, path: pStart + " c3 d4 d5"},
		{name: "e6 no acceptable charset", headers: map[string]string{"Accept-Charset": "iso-8859-5"},
			setup: func(r *testResource) { r.charsets = []string{"utf-8"} }, status: 406, path: pStart + " c3 d4 e5 e6"},
		{name: "f7 identity refused", headers: map[string]string{"Accept-Encoding": "identity;q=0"},
			status: 406, path: pStart + " c3 d4 e5 f6 f7"},
		{name: "o18b GET 200", status: 200, path: pGet200,
			check: func(t *testing.T, res Result, _ *testResource) {
				wantBody(t, res, "hello")
				wantHeader(t, res, "ETag", `"abc"`)
				wantHeader(t, res, "Last-Modified", "Tue, 02 Jan 2024 12:00:00 GMT")
			}},
		{name: "o18b multiple choices", setup: func(r *testResource) { r.multiple = true }, status: 300, path: pGet200},
		{name: "g7b PROPFIND", method: "PROPFIND", status: 207, path: pExists,
			check: func(t *testing.T, res Result, _ *testResource) { wantBody(t, res, "PropFind") }},
		{name: "g7b REPORT", method: "REPORT", status: 207, path: pExists},
		{name: "g7b MKCOL on existing", method: "MKCOL", status: 405, path: pExists,
			check: func(t *testing.T, res Result, _ *testResource) {
				if strings.Contains(res.Header.Get("Allow"), "MKCOL") {
					t.Errorf("Allow %q lists MKCOL", res.Header.Get("Allow"))
				}
			}},
		{name: "g7b MKCALENDAR on existing", method: "MKCALENDAR", status: 403, path: pExists,
			check: func(t *testing.T, res Result, _ *testResource) { wantBody(t, res, "resource-must-be-null") }},
		{name: "h7b MKCOL on missing", method: "MKCOL", setup: func(r *testResource) { r.missing = true; r.davStatus = 201 },
			status: 201, path: pToG7 + " h7b"},
		{name: "g11 If-Match mismatch", headers: map[string]string{"If-Match": `"xyz"`}, status: 412, path: pExists + " g8 g9 g11"},
		{name: "h7 If-Match on missing", headers: map[string]string{"If-Match": "*"}, setup: func(r *testResource) { r.missing = true },
			status: 412, path: pMissing},
		{name: "h12 modified since", headers: map[string]string{"If-Unmodified-Since": dayBefore}, status: 412,
			path: pExists + " g8 h10 h11 h12"},
		{name: "i4 PUT to moved resource", method: "PUT", headers: plain,
			setup:  func(r *testResource) { r.missing = true; r.movedPerm = "/new" },
			status: 301, path: pMissing + " i7 i4",
			check: func(t *testing.T, res Result, _ *testResource) { wantHeader(t, res, "Location", "/new") }},
		{name: "j18 GET If-None-Match star", headers: map[string]string{"If-None-Match": "*"}, status: 304,
			path:  pExists + " g8 h10 i12 i13 j18",
			check: func(t *testing.T, res Result, _ *testResource) { wantHeader(t, res, "ETag", `"abc"`) }},
		{name: "j18 PUT If-None-Match star", method: "PUT", headers: map[string]string{"If-None-Match": "*"}, status: 412,
			path: pExists + " g8 h10 i12 i13 j18"},
		{name: "k13 GET If-None-Match match", headers: map[string]string{"If-None-Match": `"abc"`}, status: 304,
			path: pExists + " g8 h10 i12 i13 k13 j18"},
		{name: "k5 moved permanently", setup: func(r *testResource) { r.missing = true; r.previouslyExisted = true; r.movedPerm = "/p" },
			status: 301, path: pMissing + " i7 k7 k5"},
		{name: "l5 moved temporarily", setup: func(r *testResource) { r.missing = true; r.previouslyExisted = true; r.movedTemp = "/t" },
			status: 307, path: pMissing + " i7 k7 k5 l5",
			check: func(t *testing.T, res Result, _ *testResource) { wantHeader(t, res, "Location", "/t") }},
		{name: "m5 gone", setup: func(r *testResource) { r.missing = true; r.previouslyExisted = true },
			status: 410, path: pMissing + " i7 k7 k5 l5 m5"},
		{name: "l7 not found", setup: func(r *testResource) { r.missing = true }, status: 404, path: pMissing + " i7 k7 l7"},
		{name: "m7 POST to missing refused", method: "POST", setup: func(r *testResource) { r.missing = true },
			status: 404, path: pMissing + " i7 k7 l7 m7"},
		{name: "n5 POST to gone refused", method: "POST", setup: func(r *testResource) { r.missing = true; r.previouslyExisted = true },
			status: 410, path: pMissing + " i7 k7 k5 l5 m5 n5"},
		{name: "n5 POST to gone allowed", method: "POST",
			setup:  func(r *testResource) { r.missing = true; r.previouslyExisted = true; r.allowMissingPost = true },
			status: 200, path: pMissing + " i7 k7 k5 l5 m5 n5 n11 p11 o20 o18 o18b",
			check: func(t *testing.T, res Result, _ *testResource) { wantBody(t, res, "posted") }},
		{name: "m7 POST to missing allowed, creates", method: "POST", target: "/coll/", headers: plain, body: "new",
			setup: func(r *testResource) {
				r.missing = true
				r.allowMissingPost = true
				r.postCreate = true
				r.createPath = "item"
			},
			status: 201, path: pMissing + " i7 k7 l7 m7 n11 p11",
			check: func(t *testing.T, res Result, tr *testResource) {
				wantHeader(t, res, "Location", "/coll/item")
				if len(tr.accepted) != 1 || tr.accepted[0] != "new" {
					t.Errorf("acceptor got %q, want [new]", tr.accepted)
				}
			}},
		{name: "l17 not modified since", headers: map[string]string{"If-Modified-Since": dayAfter}, status: 304,
			path: pExists + " g8 h10 i12 l13 l14 l15 l17"},
		{name: "m20 delete fails", method: "DELETE", setup: func(r *testResource) { r.deleteFails = true },
			status: 500, path: pNoConds + " m16 m20"},
		{name: "m20b delete accepted", method: "DELETE", setup: func(r *testResource) { r.deleteAccepted = true },
			status: 202, path: pNoConds + " m16 m20 m20b"},
		{name: "o20 delete done", method: "DELETE", status: 204, path: pNoConds + " m16 m20 m20b o20"},
		{name: "n11 POST creates", method: "POST", headers: plain, body: "x",
			setup: func(r *testResource) { r.postCreate = true; r.createPath = "/abs/new" }, status: 201,
			path:  pNoConds + " m16 n16 n11 p11",
			check: func(t *testing.T, res Result, _ *testResource) { wantHeader(t, res, "Location", "/abs/new") }},
		{name: "n11 POST redirects", method: "POST", setup: func(r *testResource) { r.redirect = true }, status: 303,
			path: pNoConds + " m16 n16 n11"},
		{name: "n11 POST fails", method: "POST", setup: func(r *testResource) { r.postFails = true }, status: 500,
			path: pNoConds + " m16 n16 n11"},
		{name: "n11 POST processed", method: "POST", status: 200, path: pNoConds + " m16 n16 n11 p11 o20 o18 o18b"},
		{name: "o14 PUT conflict", method: "PUT", headers: plain, setup: func(r *testResource) { r.conflict = true },
			status: 409, path: pNoConds + " m16 n16 o16 o14"},
		{name: "o14 PUT unsupported type", method: "PUT", headers: map[string]string{"Content-Type": "image/png"},
			status: 415, path: pNoConds + " m16 n16 o16 o14"},
		{name: "o14 PUT without Content-Type", method: "PUT", status: 415, path: pNoConds + " m16 n16 o16 o14"},
		{name: "p11 PUT replaces", method: "PUT", headers: plain, body: "v2", status: 204,
			path: pNoConds + " m16 n16 o16 o14 p11 o20",
			check: func(t *testing.T, res Result, tr *testResource) {
				if len(tr.accepted) != 1 || tr.accepted[0] != "v2" {
					t.Errorf("acceptor got %q", tr.accepted)
				}
			}},
		{name: "p11 PUT creates", method: "PUT", headers: plain, setup: func(r *testResource) { r.missing = true },
			status: 201, path: pMissing + " i7 i4 p3 p11"},
		{name: "p3 PUT conflict on missing", method: "PUT", headers: plain, setup: func(r *testResource) { r.missing = true; r.conflict = true },
			status: 409, path: pMissing + " i7 i4 p3"},
		{name: "o16b PROPPATCH", method: "PROPPATCH", status: 207, path: pNoConds + " m16 n16 o16 o16b"},
		{name: "o16b PROPPATCH If-Match mismatch", method: "PROPPATCH", headers: map[string]string{"If-Match": `"old"`},
			status: 412, path: pExists + " g8 g9 g11"},
		{name: "o16b ACL", method: "ACL", setup: func(r *testResource) { r.davStatus = 200 }, status: 200,
			path: pNoConds + " m16 n16 o16 o16b"},
		{name: "o16b COPY", method: "COPY", headers: map[string]string{"Destination": "http://example.com/other/", "Overwrite": "F"},
			setup: func(r *testResource) { r.davStatus = 201 }, status: 201, path: pNoConds + " m16 n16 o16 o16b",
			check: func(t *testing.T, res Result, _ *testResource) {
				wantHeader(t, res, "X-Destination", "/other/")
				wantHeader(t, res, "X-Overwrite", "F")
			}},
		{name: "o16b COPY without Destination", method: "COPY", status: 400, path: pNoConds + " m16 n16 o16 o16b"},
		{name: "o16b COPY bad Overwrite", method: "COPY", headers: map[string]string{"Destination": "/x", "Overwrite": "maybe"},
			status: 400, path: pNoConds + " m16 n16 o16 o16b"},
		{name: "o16b COPY to another server", method: "COPY", headers: map[string]string{"Destination": "http://elsewhere.test/x"},
			status: 502, path: pNoConds + " m16 n16 o16 o16b"},
		{name: "o16b MOVE onto itself", method: "MOVE", headers: map[string]string{"Destination": "/res"},
			status: 403, path: pNoConds + " m16 n16 o16 o16b"},
		{name: "o16b MOVE with dot segments", method: "MOVE", headers: map[string]string{"Destination": "/a/../b"},
			status: 400, path: pNoConds + " m16 n16 o16 o16b"},
		{name: "error in a callback is a 500", setup: func(r *testResource) { r.failAt = "ResourceExists" }, status: 500, path: pToG7},
		{name: "panic in a callback is a 500", setup: func(r *testResource) { r.panicAt = "Forbidden" }, status: 500,
			path: "b13 b12 b11 b10 b9 b8 b7"},
		{name: "halt with a body", setup: func(r *testResource) { r.haltAt = "Expires"; r.haltStatus = 418 }, status: 418,
			path:  pGet200[:len(pGet200)-len(" o18b")],
			check: func(t *testing.T, res Result, _ *testResource) { wantBody(t, res, "halted in Expires") }},
		{name: "error in FinishRequest is a 500", setup: func(r *testResource) { r.failAt = "FinishRequest" }, status: 500, path: pGet200,
			check: func(t *testing.T, res Result, _ *testResource) {
				if res.Body != nil || res.Header.Get("ETag") != "" {
					t.Errorf("a 500 kept the failed answer's body or headers: %q %v", res.Body, res.Header)
				}
			}},
	}
	seen := map[int]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, tr := serveCase(t, c)
			if res.Status != c.status {
				t.Errorf("status %d, want %d (err %v)", res.Status, c.status, res.Err)
			}
			if got := res.Trace.String(); got != c.path {
				t.Errorf("path\n got %s\nwant %s", got, c.path)
			}
			if !tr.finished && c.setup == nil {
				t.Errorf("FinishRequest was not called")
			}
			if c.check != nil {
				c.check(t, res, tr)
			}
		})
		seen[c.status] = true
	}
	// Every status the graph itself can produce appears at least once.
	for _, st := range []int{200, 201, 202, 204, 207, 300, 301, 303, 304, 307, 400, 401, 403, 404, 405, 406,
		409, 410, 412, 413, 414, 415, 500, 501, 502, 503} {
		if !seen[st] {
			t.Errorf("no case reaches status %d", st)
		}
	}
}

func TestTraceRecordsCallbacks(t *testing.T) {
	res, _ := serveCase(t, graphCase{status: 200})
	var names []string
	for _, c := range res.Trace.Calls {
		names = append(names, string(c.Node)+":"+c.Callback)
	}
	got := strings.Join(names, " ")
	for _, want := range []string{"b13:ServiceAvailable", "g7:ResourceExists", "o18:ETag", "o18:Provider text/plain"} {
		if !strings.Contains(got, want) {
			t.Errorf("trace calls %q lack %q", got, want)
		}
	}
	for _, c := range res.Trace.Calls {
		if c.Callback == "ResourceExists" && c.Result != true {
			t.Errorf("ResourceExists recorded %v, want true", c.Result)
		}
	}
	if !strings.Contains(res.Trace.CallsString(), "g7 ResourceExists -> true") {
		t.Errorf("CallsString:\n%s", res.Trace.CallsString())
	}
}

func TestNoTraceWhenOff(t *testing.T) {
	req := httptest.NewRequest("GET", "/", nil)
	res := Serve(context.Background(), newTestResource(), req, nil, Options{})
	if res.Trace != nil {
		t.Fatalf("trace recorded with tracing off: %v", res.Trace)
	}
	if res.Status != 200 {
		t.Fatalf("status %d", res.Status)
	}
}

// testOptions returns options with a fixed clock and a logger that drops
// everything.
func testOptions(mode TraceMode) Options {
	return Options{Trace: mode, Now: func() time.Time { return testNow },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

func wantHeader(t *testing.T, res Result, name, want string) {
	t.Helper()
	if got := res.Header.Get(name); got != want {
		t.Errorf("header %s = %q, want %q", name, got, want)
	}
}

func wantBody(t *testing.T, res Result, want string) {
	t.Helper()
	if got := string(res.Body); got != want {
		t.Errorf("body %q, want %q", got, want)
	}
}

package webmachine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// preconditioned is a test resource with its own precondition.
type preconditioned struct {
	*testResource
	holds  bool
	err    error
	exists []bool // the exists argument of each call
}

func (p *preconditioned) Precondition(_ context.Context, _ *Request, exists bool) (bool, error) {
	p.exists = append(p.exists, exists)
	return p.holds, p.err
}

// A Preconditioner is asked at g7p for every method but OPTIONS, on
// existing and missing resources: false answers 412, a halt its status,
// true lets the graph go on as without it.
func TestPreconditioner(t *testing.T) {
	for _, c := range []struct {
		method  string
		missing bool
		holds   bool
		err     error
		want    int
		asked   bool
	}{
		{"GET", false, true, nil, 200, true},
		{"GET", false, false, nil, 412, true},
		{"PUT", true, false, nil, 412, true},
		{"PUT", true, true, nil, 201, true},
		{"DELETE", false, false, nil, 412, true},
		{"GET", false, true, Halt(http.StatusBadRequest), 400, true},
		{"OPTIONS", false, false, nil, 200, false},
	} {
		res := newTestResource()
		res.missing = c.missing
		res.allowed = []string{"GET", "HEAD", "PUT", "DELETE", "OPTIONS"}
		p := &preconditioned{testResource: res, holds: c.holds, err: c.err}
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(c.method, "/", nil)
		req.Header.Set("Content-Type", "text/plain")
		Handler(func(*http.Request) Resource { return p }, testOptions(0)).ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Errorf("%s (missing %v, holds %v, err %v): %d, want %d", c.method, c.missing, c.holds, c.err, rec.Code, c.want)
		}
		if asked := len(p.exists) == 1; asked != c.asked || (asked && p.exists[0] == c.missing) {
			t.Errorf("%s (missing %v): asked %v", c.method, c.missing, p.exists)
		}
	}
}

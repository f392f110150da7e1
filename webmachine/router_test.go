package webmachine

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// echoResource answers GET with the route name and its parameters.
type echoResource struct {
	Base
	name   string
	params map[string]string
}

func (e *echoResource) ContentTypesProvided(context.Context, *Request) ([]Provider, error) {
	return []Provider{{MediaType: "text/plain", Write: func(_ context.Context, r *Request) error {
		s := e.name
		for _, k := range []string{"id", "user", "*"} {
			if v, ok := r.Params[k]; ok {
				s += " " + k + "=" + v
			}
		}
		r.SetBody([]byte(s))
		return nil
	}}}, nil
}

func TestRouter(t *testing.T) {
	rt := &Router{}
	for _, route := range []struct{ pattern, name string }{
		{"/.well-known/caldav", "wellknown"},
		{"/users/:id", "user"},
		{"/groups/:id/users/:user", "member"},
		{"/groups/:id", "group"},
		{"/calendars/*", "calendars"},
	} {
		name := route.name
		rt.Handle(route.pattern, func(_ *http.Request, p map[string]string) Resource {
			return &echoResource{name: name, params: p}
		})
	}
	for _, c := range []struct {
		path   string
		status int
		body   string
	}{
		{"/.well-known/caldav", 200, "wellknown"},
		{"/users/alice", 200, "user id=alice"},
		{"/users/alice/", 200, "user id=alice"},
		{"/users/", 404, ""},
		{"/users/a/b", 404, ""},
		{"/groups/staff/users/bob", 200, "member id=staff user=bob"},
		{"/groups/staff", 200, "group id=staff"},
		{"/calendars", 200, "calendars *="},
		{"/calendars/", 200, "calendars *="},
		{"/calendars/alice/", 200, "calendars *=alice/"},
		{"/calendars/alice/e%20v.ics", 200, "calendars *=alice/e v.ics"},
		{"/calendars/../users/x", 400, ""},
		{"/calendars/./x", 400, ""},
		{"/nothing", 404, ""},
	} {
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, httptest.NewRequest("GET", c.path, nil))
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d", c.path, rec.Code, c.status)
			continue
		}
		if c.status == 200 && rec.Body.String() != c.body {
			t.Errorf("%s: body %q, want %q", c.path, rec.Body, c.body)
		}
	}
}

func TestRouterRejectsBadPatterns(t *testing.T) {
	for _, p := range []string{"users", "/a/*/b", "/a/:"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("pattern %q accepted", p)
				}
			}()
			(&Router{}).Handle(p, nil)
		}()
	}
}

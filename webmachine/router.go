package webmachine

import (
	"fmt"
	"net/http"
	"strings"
)

// Factory makes the resource that serves one request. The router calls it
// once per request, so a resource may keep per-request state in its fields.
type Factory func(r *http.Request, params map[string]string) Resource

// Router dispatches requests by path pattern to resource factories.
//
// A pattern is a sequence of segments: a literal ("users"), a parameter
// (":id", which matches one non-empty segment) or, last, a wildcard ("*",
// which matches the rest of the path: zero or more segments). So
// "/calendars/*" matches "/calendars", "/calendars/" and "/calendars/a/b";
// the rest is available as Params["*"]. Routes are tried in the order
// added. A path with "." or ".." segments is answered 400 before routing,
// and an unmatched path 404.
type Router struct {
	// Options are used for every request the router serves.
	Options Options
	// NotFound serves paths no route matches; nil answers a plain 404.
	NotFound http.Handler

	routes []route
}

type route struct {
	segments []string
	wildcard bool
	factory  Factory
}

// Handle adds a route. It panics on a malformed pattern: patterns are
// program constants.
func (rt *Router) Handle(pattern string, factory Factory) {
	if !strings.HasPrefix(pattern, "/") {
		panic(fmt.Sprintf("webmachine: route pattern %q must start with /", pattern))
	}
	segs := splitPath(pattern)
	r := route{factory: factory}
	for i, s := range segs {
		if s == "*" {
			if i != len(segs)-1 {
				panic(fmt.Sprintf("webmachine: route pattern %q: * must come last", pattern))
			}
			r.wildcard = true
			break
		}
		if s == ":" {
			panic(fmt.Sprintf("webmachine: route pattern %q: parameter without a name", pattern))
		}
		r.segments = append(r.segments, s)
	}
	rt.routes = append(rt.routes, r)
}

// splitPath splits a path into its non-empty segments.
func splitPath(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r == '/' })
}

// match returns the route's parameters for segs, or ok false.
func (r *route) match(segs []string, rawPath string) (map[string]string, bool) {
	if len(segs) < len(r.segments) || !r.wildcard && len(segs) != len(r.segments) {
		return nil, false
	}
	var params map[string]string
	for i, s := range r.segments {
		if name, ok := strings.CutPrefix(s, ":"); ok {
			if params == nil {
				params = make(map[string]string, len(r.segments)+1)
			}
			params[name] = segs[i]
			continue
		}
		if s != segs[i] {
			return nil, false
		}
	}
	if r.wildcard {
		if params == nil {
			params = make(map[string]string, 1)
		}
		rest := strings.Join(segs[len(r.segments):], "/")
		if rest != "" && strings.HasSuffix(rawPath, "/") {
			rest += "/"
		}
		params["*"] = rest
	}
	return params, true
}

// ServeHTTP dispatches r to the first matching route.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := splitPath(r.URL.Path)
	for _, s := range segs {
		if s == "." || s == ".." {
			http.Error(w, "Bad request: dot segments in path", http.StatusBadRequest)
			return
		}
	}
	for i := range rt.routes {
		if params, ok := rt.routes[i].match(segs, r.URL.Path); ok {
			rt.Options.ServeHTTP(w, r, rt.routes[i].factory(r, params), params)
			return
		}
	}
	if rt.NotFound != nil {
		rt.NotFound.ServeHTTP(w, r)
		return
	}
	http.Error(w, "Not found", http.StatusNotFound)
}

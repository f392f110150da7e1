package dav

import (
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

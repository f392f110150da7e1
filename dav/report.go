package dav

import (
	"context"
	"net/http"

	"github.com/gocaldav/gocaldav/webmachine"
)

// Report answers REPORT (RFC 3253 §3.6) with the registered report named
// by the body's root element; an unknown one is 403
// DAV:supported-report.
func (r *resource) Report(ctx context.Context, rq *webmachine.Request) (int, error) {
	limits := r.s.Limits.orDefault()
	body, err := readBody(r.c.HTTP, limits)
	if err != nil {
		return 0, halt(err)
	}
	root, err := parseXML(body, limits)
	if err != nil {
		return 0, halt(err)
	}
	if root == nil {
		return 0, halt(Errorf(http.StatusBadRequest, "REPORT needs a body"))
	}
	n, err := r.target()
	if err != nil {
		return 0, err
	}
	rep := r.s.registry().reports[nameOf(root)]
	if rep == nil || (rep.Applies != nil && !rep.Applies(n)) {
		return 0, halt(Precondition(http.StatusForbidden, DAVName("supported-report"),
			"the report "+clark(nameOf(root))+" is not supported on this resource"))
	}
	status, out, err := rep.Run(ctx, r.c, n, root)
	if err != nil {
		return 0, halt(err)
	}
	setXMLBody(rq, out)
	return status, nil
}

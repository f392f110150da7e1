package dav

import (
	"context"
	"net/http"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/webmachine"
)

// reportBody reads and parses the REPORT body once; the privilege check
// and Report share it.
func (r *resource) reportBody() (*etree.Element, error) {
	if r.reportRead {
		return r.reportRoot, r.reportErr
	}
	r.reportRead = true
	var err error
	r.reportRoot, err = r.readXML()
	if err == nil && r.reportRoot == nil {
		err = Errorf(http.StatusBadRequest, "REPORT needs a body")
	}
	r.reportErr = err
	return r.reportRoot, err
}

// report returns the registered report the body names, or nil when the
// body is unreadable or names no known report.
func (r *resource) report() *Report {
	root, err := r.reportBody()
	if err != nil {
		return nil
	}
	return r.s.registry().reports[nameOf(root)]
}

// reportPrivilege is the privilege REPORT needs on the request URI: the
// report's own, or DAV:read (also when the body is bad: Report answers
// that once access is granted).
func (r *resource) reportPrivilege() Privilege {
	if rep := r.report(); rep != nil && rep.Privilege != "" {
		return rep.Privilege
	}
	return propfile.PrivRead
}

// Report answers REPORT (RFC 3253 §3.6) with the registered report named
// by the body's root element; an unknown one is 403
// DAV:supported-report.
func (r *resource) Report(ctx context.Context, rq *webmachine.Request) (int, error) {
	root, err := r.reportBody()
	if err != nil {
		return 0, halt(err)
	}
	n, err := r.target()
	if err != nil {
		return 0, err
	}
	rep := r.report()
	if rep == nil || (rep.Applies != nil && !rep.Applies(n)) {
		return 0, halt(Precondition(http.StatusForbidden, DAVName("supported-report"),
			"the report "+clark(nameOf(root))+" is not supported on this resource"))
	}
	status, out, err := rep.Run(ctx, r.c, n, root)
	if err != nil {
		return 0, halt(err)
	}
	if rep.ContentType != "" {
		rq.Header.Set("Content-Type", rep.ContentType)
		rq.SetBody(out)
	} else {
		setXMLBody(rq, out)
	}
	return status, nil
}

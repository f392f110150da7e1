package dav

import (
	"context"
	"fmt"
	"net/http"
	"runtime"

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

// reportSlot waits for one of the slots REPORTs run in: one fewer than
// the processors (at least one), so however many large reports arrive at
// once, a core stays free for small requests (no head-of-line blocking of
// GET and PROPFIND behind a 10,000-object calendar-query or a recurrence
// expansion). The returned func gives the slot back.
func (s *Server) reportSlot(ctx context.Context) (func(), error) {
	s.reportOnce.Do(func() { s.reportSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1)) })
	select {
	case s.reportSlots <- struct{}{}:
		return func() { <-s.reportSlots }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("dav: waiting to run a report: %w", ctx.Err())
	}
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
	release, err := r.s.reportSlot(ctx)
	if err != nil {
		return 0, err
	}
	status, out, err := rep.Run(ctx, r.c, n, root)
	release()
	if err != nil {
		return 0, halt(err)
	}
	ct := rep.ContentType
	if ct == "" {
		ct = xmlContentType
	}
	rq.Header.Set("Content-Type", ct)
	setBody(rq, out)
	return status, nil
}

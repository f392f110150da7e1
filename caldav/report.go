package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/caldav/query"
	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/internal/readahead"
)

// registerReports adds calendar-query (RFC 4791 §7.8) and
// calendar-multiget (§7.9), both on calendars and their objects, and
// free-busy-query (§7.10) on the collections of the calendar tree.
func (h *handler) registerReports(reg *dav.Registry) {
	reg.AddReport(dav.Report{Name: nameCalDAV("calendar-query"), Applies: h.reportApplies, Run: h.calendarQuery})
	reg.AddReport(dav.Report{Name: nameCalDAV("calendar-multiget"), Applies: h.reportApplies, Run: h.calendarMultiget})
	reg.AddReport(h.freeBusyReport())
}

// reportApplies is true on calendar collections and on the objects in
// them.
func (h *handler) reportApplies(n *dav.Node) bool {
	if n.Collection {
		return isCalendar(n)
	}
	parent, err := n.Parent()
	return err == nil && isCalendar(parent)
}

// reportRequest is what a calendar report asks to return for each object.
type reportRequest struct {
	props dav.PropRequest
	// data is the calendar-data request; nil when calendar-data is not
	// asked for (robur returns it always; RFC 4791 only when asked).
	data *query.CalendarData
}

// parseReportRequest reads the DAV:prop (with CALDAV:calendar-data),
// DAV:allprop or DAV:propname of a report body.
func parseReportRequest(root *etree.Element) (reportRequest, error) {
	props, _ := dav.ParsePropRequest(root, func(n dav.Name) bool { return n == nameCalendarData })
	req := reportRequest{props: props}
	if props.NameOnly() {
		return req, nil
	}
	prop := childNamed(root, dav.DAVName("prop"))
	if prop == nil {
		return req, nil
	}
	if el := childNamed(prop, nameCalendarData); el != nil {
		cd, err := query.ParseCalendarData(el)
		if err != nil {
			return req, queryError(err)
		}
		req.data = cd
	}
	return req, nil
}

// childNamed returns e's first child element named n (namespace by URI).
func childNamed(e *etree.Element, n dav.Name) *etree.Element {
	for _, c := range e.ChildElements() {
		if c.Tag == n.Local && c.NamespaceURI() == n.Space {
			return c
		}
	}
	return nil
}

// queryError maps a query error to the REPORT's answer: 403 with the
// CALDAV precondition element it names, or 400.
func queryError(err error) error {
	qe, ok := query.AsError(err)
	if !ok {
		return fmt.Errorf("caldav: %w", err)
	}
	if qe.Condition == "" {
		return dav.Errorf(qe.Status, "%v", qe.Err)
	}
	return dav.Precondition(qe.Status, nameCalDAV(qe.Condition), qe.Err.Error())
}

// errTooMany is the 507 answer of a report that would exceed the server's
// limits (RFC 4791 §7.8 postcondition DAV:number-of-matches-within-limits).
func errTooMany(what string) error {
	return dav.Precondition(http.StatusInsufficientStorage, nameTooManyMatches, what)
}

// reportRun is one report being answered.
type reportRun struct {
	h       *handler
	c       *dav.Call
	req     reportRequest
	ms      *dav.Multistatus
	count   int
	zoneFor func(obj *dav.Node) *time.Location
}

// options are the query options for an object of the calendar whose
// floating zone is loc.
func (h *handler) options(loc *time.Location) query.Options {
	return query.Options{Floating: loc, Resolver: h.o.Resolver, Limits: h.recurLimits(h.o.ExpandLimit)}
}

// unparsed stands for an object known to be iCalendar (its span exists)
// that respond reads only if the calendar-data asked for needs the
// parsed form: the stored bytes are sent as they are otherwise.
var unparsed = &object{}

// respond adds the response for object (or collection) n: the requested
// properties as PROPFIND gives them, and calendar-data when asked. o is
// n parsed, or unparsed; stored, when not nil, is n's stored content,
// already read.
func (r *reportRun) respond(ctx context.Context, n *dav.Node, o *object, stored []byte) error {
	r.count++
	if r.count > r.h.o.MaxResults {
		return errTooMany(fmt.Sprintf("the report matches more than %d resources", r.h.o.MaxResults))
	}
	resp, err := r.h.s.PropResponse(ctx, r.c, r.ms, n, r.req.props)
	if err != nil {
		return fmt.Errorf("caldav: properties of %s: %w", n.Href(), err)
	}
	if r.req.data == nil {
		return nil
	}
	if o == unparsed && !r.req.data.Identity() {
		if o, err = r.h.load(n); err != nil {
			return err
		}
	}
	if o == nil || (o != unparsed && o.cal == nil) {
		resp.Name(http.StatusNotFound, nameCalendarData)
		return nil
	}
	if r.req.data.Identity() && stored == nil {
		if stored, err = n.Content(); err != nil {
			return fmt.Errorf("caldav: %w", err)
		}
	}
	data, err := r.req.data.Render(stored, o.queried, r.h.options(r.zoneFor(n))) // nil only for unparsed, when identity
	switch {
	case recur.IsTooMany(err):
		return errTooMany(fmt.Sprintf("%s expands to more than %d instances", n.Href(), r.h.o.ExpandLimit))
	case err != nil:
		r.h.o.Logger.WarnContext(ctx, "caldav: cannot render calendar data", "href", n.Href(), "err", err)
		resp.Name(http.StatusInternalServerError, nameCalendarData)
		return nil
	}
	// data is this response's own (read or rendered for it, never
	// changed afterwards): the property shares it rather than copy it.
	resp.Prop(http.StatusOK, propfile.TextProperty(nameCalendarData, unsafe.String(unsafe.SliceData(data), len(data))))
	return nil
}

// calendarQuery answers CALDAV:calendar-query (RFC 4791 §7.8) on a
// calendar (Depth 1: its members; Depth 0: nothing, the collection is no
// calendar object) or on one of its objects. Objects the filter matches
// get a response; unreadable ones are left out as PROPFIND leaves them
// out.
func (h *handler) calendarQuery(ctx context.Context, c *dav.Call, n *dav.Node, root *etree.Element) (int, dav.Body, error) {
	req, err := parseReportRequest(root)
	if err != nil {
		return 0, nil, err
	}
	filterEl := childNamed(root, nameCalDAV("filter"))
	if filterEl == nil {
		return 0, nil, dav.Precondition(http.StatusForbidden, nameCalDAV(query.CondValidFilter), "calendar-query needs a CALDAV:filter")
	}
	filter, err := query.ParseFilter(filterEl)
	if err != nil {
		return 0, nil, queryError(err)
	}
	queryZone, err := h.queryTimezone(root)
	if err != nil {
		return 0, nil, err
	}
	depth := strings.ToLower(strings.TrimSpace(c.HTTP.Header.Get("Depth")))
	var calendar *dav.Node
	var index *calendarIndex // the members, for a query on the calendar
	if n.Collection {
		calendar = n
		if depth == "1" || depth == "infinity" {
			if index, err = h.calendarIndexOf(n); err != nil {
				return 0, nil, err
			}
		}
	} else if calendar, err = n.Parent(); err != nil {
		return 0, nil, fmt.Errorf("caldav: %w", err)
	}
	zone := queryZone
	if zone == nil {
		zone = h.floatingZone(calendar)
	}
	q := &queryRun{reportRun: reportRun{h: h, c: c, req: req, ms: dav.NewMultistatus(), zoneFor: func(*dav.Node) *time.Location { return zone }},
		filter: filter, opts: h.options(zone), pre: prefilterOf(filter), quick: timeRangeOnlyOf(filter)}
	if index == nil {
		if !n.Collection {
			var sp *span
			if len(q.pre) > 0 || q.quick != nil {
				if s, err := h.spanFor(n); err == nil && s != nil {
					sp = s
				}
			}
			if sp != nil && q.pre.excludes(sp) {
				return http.StatusMultiStatus, q.ms, nil // its instances lie elsewhere in time
			}
			if err := q.visit(ctx, n, sp); err != nil {
				return 0, nil, err
			}
		}
		return http.StatusMultiStatus, q.ms, nil
	}
	visited := 0
	err = index.candidates(q.pre, func(i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		dav.Pace(visited)
		visited++
		m := &index.members[i]
		return q.visit(ctx, calendar.Member(m.name, m.hash, m.propID), m.span)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusMultiStatus, q.ms, nil
}

// queryRun is one calendar-query being answered.
type queryRun struct {
	reportRun
	filter *query.Filter
	opts   query.Options
	pre    prefilter
	quick  *timeRangeOnly
}

// visit answers for object t, whose span is sp (nil when unknown) and
// which the prefilter kept: it is left out when unreadable or when it
// does not match the filter.
func (q *queryRun) visit(ctx context.Context, t *dav.Node, sp *span) error {
	h := q.h
	if ok, err := h.s.AllowedNode(ctx, q.c, t, "read"); err != nil || !ok {
		if err != nil {
			return fmt.Errorf("caldav: access check: %w", err)
		}
		return nil
	}
	if q.quick != nil && sp != nil && sp.exactCount(q.quick.comp) <= h.o.ExpandLimit {
		// A time range on an object whose few instances are known:
		// decided without parsing it.
		if matched, decided := sp.decide(q.quick); decided {
			if matched {
				return q.respond(ctx, t, unparsed, nil)
			}
			return nil
		}
	}
	o, err := h.load(t)
	if err != nil {
		return err
	}
	if o.cal == nil {
		h.o.Logger.WarnContext(ctx, "caldav: member is not iCalendar", "href", t.Href(), "err", o.err)
		return nil
	}
	ok, err := q.filter.Match(o.queried, q.opts)
	switch {
	case recur.IsTooMany(err):
		return errTooMany(fmt.Sprintf("%s expands to more than %d instances", t.Href(), h.o.ExpandLimit))
	case errors.Is(err, query.ErrInvalidData):
		h.o.Logger.WarnContext(ctx, "caldav: cannot evaluate filter on stored object", "href", t.Href(), "err", err)
		return nil
	case err != nil:
		return fmt.Errorf("caldav: matching %s: %w", t.Href(), err)
	}
	if !ok {
		return nil
	}
	return q.respond(ctx, t, o, nil)
}

// queryTimezone reads the query's CALDAV:timezone (RFC 4791 §9.8) or
// CALDAV:timezone-id (RFC 7809 §5.2); nil when it has neither.
func (h *handler) queryTimezone(root *etree.Element) (*time.Location, error) {
	if el := childNamed(root, nameCalDAV("timezone")); el != nil {
		loc, err := h.parseZone(el.Text())
		if err != nil {
			return nil, dav.Precondition(http.StatusForbidden, nameValidData, "CALDAV:timezone: "+err.Error())
		}
		return loc, nil
	}
	if el := childNamed(root, nameCalDAV("timezone-id")); el != nil {
		loc, err := h.o.Resolver.Named(strings.TrimSpace(el.Text()))
		if err != nil {
			return nil, dav.Precondition(http.StatusForbidden, nameCalDAV("valid-timezone"), "CALDAV:timezone-id: "+err.Error())
		}
		return loc, nil
	}
	return nil, nil
}

// calendarMultiget answers CALDAV:calendar-multiget (RFC 4791 §7.9): one
// response per DAV:href, which may name any readable resource; a missing
// one gets 404, an unreadable one 403. Calendar data of a resource that
// is not iCalendar is reported missing (404).
func (h *handler) calendarMultiget(ctx context.Context, c *dav.Call, _ *dav.Node, root *etree.Element) (int, dav.Body, error) {
	req, err := parseReportRequest(root)
	if err != nil {
		return 0, nil, err
	}
	var hrefs []string
	for _, e := range root.ChildElements() {
		if e.Tag == "href" && e.NamespaceURI() == dav.NS {
			hrefs = append(hrefs, strings.TrimSpace(e.Text()))
		}
	}
	if len(hrefs) == 0 {
		return 0, nil, dav.Errorf(http.StatusBadRequest, "calendar-multiget needs at least one DAV:href")
	}
	if len(hrefs) > h.o.MaxResults {
		return 0, nil, errTooMany(fmt.Sprintf("more than %d hrefs", h.o.MaxResults))
	}
	zones := map[string]*time.Location{}
	run := &reportRun{h: h, c: c, req: req, ms: dav.NewMultistatus(), zoneFor: func(obj *dav.Node) *time.Location {
		key := strings.Join(obj.Segs[:len(obj.Segs)-1], "/")
		if loc, ok := zones[key]; ok {
			return loc
		}
		parent, err := obj.Parent()
		var loc *time.Location
		if err == nil && isCalendar(parent) {
			loc = h.floatingZone(parent)
		}
		zones[key] = loc
		return loc
	}}
	parents := memberLookup{s: h.s, rd: c.Snapshot}
	// The members are looked up and read by loaders of their own while
	// this goroutine encodes the answers of those read before.
	fetch := func(i int) multigetMember {
		dav.Pace(i)
		return h.fetchMember(&parents, hrefs[i], &req)
	}
	for m := range readahead.Seq(len(hrefs), multigetLoaders, fetch) {
		if err := ctx.Err(); err != nil {
			return 0, nil, err
		}
		if m.status != 0 {
			run.ms.Add(m.href).Status(m.status)
			continue
		}
		if m.n != nil { // checked before a failure to read it is reported
			if ok, err := h.s.AllowedNode(ctx, c, m.n, "read"); err != nil || !ok {
				if err != nil {
					return 0, nil, fmt.Errorf("caldav: access check: %w", err)
				}
				run.ms.Add(m.href).Status(http.StatusForbidden)
				continue
			}
		}
		if m.err != nil {
			return 0, nil, m.err
		}
		if err := run.respond(ctx, m.n, m.o, m.stored); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusMultiStatus, run.ms, nil
}

// multigetLoaders is how many goroutines look up and read a multiget's
// members: with the request's own, which encodes, they keep two cores
// busy.
const multigetLoaders = 2

// multigetMember is one href of a calendar-multiget, looked up and read.
type multigetMember struct {
	href   string
	status int // 400 or 404: the whole response for href
	n      *dav.Node
	o      *object // nil for a collection; unparsed when not parsed
	stored []byte  // the stored bytes, when they are the calendar data
	err    error   // a failure of the store
}

// fetchMember looks up and reads what a multiget answers for href. It
// runs ahead of the encoding, so it checks no privilege and touches
// nothing of the request but the lookup's own state: the caller checks
// access before it uses what was read.
func (h *handler) fetchMember(parents *memberLookup, href string, req *reportRequest) multigetMember {
	m := multigetMember{href: href}
	segs, err := dav.HrefSegments(href)
	if err != nil {
		m.status = http.StatusBadRequest
		return m
	}
	if m.n, err = parents.lookup(segs); err != nil {
		m.err = fmt.Errorf("caldav: %w", err)
		return m
	}
	switch {
	case m.n == nil:
		m.status = http.StatusNotFound
	case m.n.Collection:
	case req.data == nil:
		m.o = unparsed // no data asked for
	case req.data.Identity() && h.knownICalendar(m.n):
		m.o = unparsed // the stored bytes are the answer
		if m.stored, err = m.n.Content(); err != nil {
			m.err = fmt.Errorf("caldav: %w", err)
		}
	default:
		m.o, m.err = h.load(m.n)
	}
	return m
}

// memberLookup looks up resources through their parent collections, each
// looked up once: the hrefs of a multiget are mostly members of one
// calendar. It is safe for concurrent use.
type memberLookup struct {
	s       *dav.Server
	rd      dav.Reader
	mu      sync.Mutex
	parents map[string]*dav.Node // by path; nil when missing
}

// lookup returns the node at segs, nil when it is missing.
func (l *memberLookup) lookup(segs []string) (*dav.Node, error) {
	if len(segs) == 0 {
		return l.s.Lookup(l.rd, segs)
	}
	parent, err := l.parent(segs[:len(segs)-1])
	if err != nil || parent == nil || !parent.Collection {
		return nil, err
	}
	return parent.Child(segs[len(segs)-1])
}

// parent returns the node at dir, looked up on first use. Child does
// not change the parent, so concurrent lookups share it.
func (l *memberLookup) parent(dir []string) (*dav.Node, error) {
	key := strings.Join(dir, "/")
	l.mu.Lock()
	defer l.mu.Unlock()
	if parent, ok := l.parents[key]; ok {
		return parent, nil
	}
	parent, err := l.s.Lookup(l.rd, dir)
	if err != nil {
		return nil, err
	}
	if l.parents == nil {
		l.parents = map[string]*dav.Node{}
	}
	l.parents[key] = parent
	return parent, nil
}

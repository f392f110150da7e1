package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/query"
	"github.com/gocaldav/gocaldav/caldav/recur"
	icalValue "github.com/gocaldav/gocaldav/caldav/recur/value"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/propfile"
)

// freeBusyContentType is the media type of a free-busy-query answer.
const freeBusyContentType = "text/calendar; charset=utf-8"

// maxFreeBusyDepth bounds the collections a Depth: infinity free-busy
// query descends into below the request URI.
const maxFreeBusyDepth = 8

// Free-busy types (RFC 5545 §3.2.9) the report produces.
const (
	fbBusy          = "BUSY"
	fbBusyTentative = "BUSY-TENTATIVE"
	fbFree          = "FREE"
)

// freeBusyReport is CALDAV:free-busy-query (RFC 4791 §7.10). It needs
// only CALDAV:read-free-busy, and a user without it gets 404, not 403.
func (h *handler) freeBusyReport() dav.Report {
	return dav.Report{
		Name:        nameCalDAV("free-busy-query"),
		Applies:     freeBusyApplies,
		Run:         h.freeBusyQuery,
		Privilege:   propfile.PrivReadFreeBusy,
		Conceal:     true,
		ContentType: freeBusyContentType,
	}
}

// freeBusyApplies is true on the collections of the calendar tree; on a
// calendar object the report is refused with 403 (§7.10).
func freeBusyApplies(n *dav.Node) bool {
	return n.Collection && len(n.Segs) > 0 && n.Segs[0] == dav.CalendarsDir
}

// busyPeriod is one busy interval of the answer.
type busyPeriod struct {
	fbtype     string
	start, end time.Time
}

// freeBusyRun collects the busy time of one report.
type freeBusyRun struct {
	h       *handler
	c       *dav.Call
	start   time.Time
	end     time.Time
	objects int
	periods []busyPeriod
}

// freeBusyQuery answers the report: a VCALENDAR with one VFREEBUSY
// covering the requested range, with the merged busy periods of the
// objects below the collection that Depth reaches (0 when absent) and
// the user may read the free-busy time of.
func (h *handler) freeBusyQuery(ctx context.Context, c *dav.Call, n *dav.Node, root *etree.Element) (int, dav.Body, error) {
	tr, err := parseFreeBusyQuery(root)
	if err != nil {
		return 0, nil, err
	}
	depth := strings.ToLower(strings.TrimSpace(c.HTTP.Header.Get("Depth")))
	levels := 0
	switch depth {
	case "", "0":
	case "1":
		levels = 1
	case "infinity":
		levels = maxFreeBusyDepth
	default:
		return 0, nil, dav.Errorf(http.StatusBadRequest, "Depth must be 0, 1 or infinity")
	}
	run := &freeBusyRun{h: h, c: c, start: tr.Start, end: tr.End}
	if err := run.collect(ctx, n, levels); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, dav.BytesBody(run.render(h.now())), nil
}

// parseFreeBusyQuery reads the body: exactly one CALDAV:time-range with
// UTC start and end (§7.10, §9.9). Anything else is a malformed request
// (400): the RFC defines no precondition for it.
func parseFreeBusyQuery(root *etree.Element) (*query.TimeRange, error) {
	var ranges []*etree.Element
	for _, c := range root.ChildElements() {
		if c.Tag == "time-range" && c.NamespaceURI() == dav.NSCalDAV {
			ranges = append(ranges, c)
		}
	}
	if len(ranges) != 1 {
		return nil, dav.Errorf(http.StatusBadRequest, "free-busy-query needs exactly one CALDAV:time-range, found %d", len(ranges))
	}
	tr, err := query.ParseTimeRange(ranges[0], true)
	if err != nil {
		var qe *query.Error
		if errors.As(err, &qe) {
			return nil, dav.Errorf(http.StatusBadRequest, "%v", qe.Err)
		}
		return nil, dav.Errorf(http.StatusBadRequest, "%v", err)
	}
	return tr, nil
}

// collect adds the busy time of the members of collection n, descending
// levels more levels; members the user may not read the free-busy time
// of are skipped.
func (r *freeBusyRun) collect(ctx context.Context, n *dav.Node, levels int) error {
	if levels == 0 {
		return nil
	}
	kids, err := n.Children()
	if err != nil {
		return fmt.Errorf("caldav: listing %s: %w", n.Href(), err)
	}
	var zone *time.Location
	if isCalendar(n) {
		zone = r.h.floatingZone(n)
	}
	for _, k := range kids {
		if err := ctx.Err(); err != nil {
			return err
		}
		ok, err := r.h.s.AllowedNode(ctx, r.c, k, string(propfile.PrivReadFreeBusy))
		if err != nil {
			return fmt.Errorf("caldav: access check: %w", err)
		}
		if !ok {
			continue
		}
		if k.Collection {
			if err := r.collect(ctx, k, levels-1); err != nil {
				return err
			}
			continue
		}
		if r.objects++; r.objects > r.h.o.MaxResults {
			return errTooMany(fmt.Sprintf("the free-busy query covers more than %d resources", r.h.o.MaxResults))
		}
		if err := r.object(ctx, k, zone); err != nil {
			return err
		}
	}
	return nil
}

// object adds the busy time of one calendar object whose floating times
// are in zone. Objects that cannot be evaluated are logged and skipped.
func (r *freeBusyRun) object(ctx context.Context, n *dav.Node, zone *time.Location) error {
	o, err := r.h.load(n)
	if err != nil {
		return err
	}
	if o.cal == nil {
		return nil
	}
	opts := r.h.options(zone)
	rctx := recur.Context{Calendar: o.cal, Resolver: opts.Resolver, Floating: zone}
	for _, g := range recur.Groups(o.cal) {
		var err error
		switch g.Name {
		case ical.CompEvent:
			err = r.events(g, rctx, opts.Limits)
		case ical.CompFreeBusy:
			for _, c := range g.Components {
				if err = r.freeBusy(o.cal, c, opts); err != nil {
					break
				}
			}
		}
		switch {
		case recur.IsTooMany(err):
			return errTooMany(fmt.Sprintf("%s expands to more than %d instances", n.Href(), r.h.o.ExpandLimit))
		case err != nil:
			r.h.o.Logger.WarnContext(ctx, "caldav: cannot compute free-busy time of stored object", "href", n.Href(), "err", err)
		}
	}
	return nil
}

// events adds the instances of one VEVENT recurrence set that overlap
// the range, typed by their TRANSP and STATUS (§7.10 table): transparent
// and cancelled instances are free and left out.
func (r *freeBusyRun) events(g recur.Group, rctx recur.Context, lim recur.Limits) error {
	set, err := recur.New(g.Components, rctx)
	if err != nil {
		return err
	}
	instances, err := set.Instances(r.start, r.end, lim)
	if err != nil {
		return err
	}
	for _, in := range instances {
		if fbtype := eventBusyType(in.Component); fbtype != fbFree {
			r.add(fbtype, in.Start, in.End)
		}
	}
	return nil
}

// eventBusyType is the FBTYPE of a VEVENT instance.
func eventBusyType(c *ical.Component) string {
	if p := c.Props.Get(ical.PropTransparency); p != nil && strings.EqualFold(strings.TrimSpace(p.Value), "TRANSPARENT") {
		return fbFree
	}
	status := ""
	if p := c.Props.Get(ical.PropStatus); p != nil {
		status = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	switch status {
	case "CANCELLED":
		return fbFree
	case "TENTATIVE":
		return fbBusyTentative
	}
	return fbBusy
}

// freeBusy adds the busy periods of a stored VFREEBUSY component.
func (r *freeBusyRun) freeBusy(cal *ical.Calendar, c *ical.Component, opts query.Options) error {
	periods, err := query.FreeBusyPeriods(cal, c, opts)
	if err != nil {
		return err
	}
	for _, p := range periods {
		switch {
		case p.Type == fbFree:
		case !isToken(p.Type):
			r.add(fbBusy, p.Start, p.End) // an unusable x-name counts as busy
		default:
			r.add(p.Type, p.Start, p.End)
		}
	}
	return nil
}

// isToken reports whether s can be written as an FBTYPE value as it is.
func isToken(s string) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

// add records a busy period clipped to the range; empty ones are dropped.
func (r *freeBusyRun) add(fbtype string, start, end time.Time) {
	if start.Before(r.start) {
		start = r.start
	}
	if end.After(r.end) {
		end = r.end
	}
	if end.After(start) {
		r.periods = append(r.periods, busyPeriod{fbtype: fbtype, start: start.UTC(), end: end.UTC()})
	}
}

// mergePeriods coalesces overlapping and adjacent periods of the same type and
// sorts the result by start, then type.
func mergePeriods(in []busyPeriod) []busyPeriod {
	sorted := append([]busyPeriod(nil), in...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.fbtype != b.fbtype {
			return a.fbtype < b.fbtype
		}
		return a.start.Before(b.start)
	})
	var out []busyPeriod
	for _, p := range sorted {
		if k := len(out) - 1; k >= 0 && out[k].fbtype == p.fbtype && !p.start.After(out[k].end) {
			if p.end.After(out[k].end) {
				out[k].end = p.end
			}
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

// render writes the answer: one VFREEBUSY with DTSTAMP now, the range as
// DTSTART/DTEND, and one FREEBUSY property per merged period, in UTC.
func (r *freeBusyRun) render(now time.Time) []byte {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\r\n") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:" + r.h.o.ProductID)
	line("BEGIN:VFREEBUSY")
	line("DTSTAMP:" + icalValue.FormatUTC(now))
	line("DTSTART:" + icalValue.FormatUTC(r.start))
	line("DTEND:" + icalValue.FormatUTC(r.end))
	for _, p := range mergePeriods(r.periods) {
		prop := "FREEBUSY"
		if p.fbtype != fbBusy {
			prop += ";FBTYPE=" + p.fbtype
		}
		line(prop + ":" + icalValue.FormatUTC(p.start) + "/" + icalValue.FormatUTC(p.end))
	}
	line("END:VFREEBUSY")
	line("END:VCALENDAR")
	return []byte(b.String())
}

// now is the server's clock.
func (h *handler) now() time.Time {
	if h.s.Now != nil {
		return h.s.Now()
	}
	return time.Now()
}

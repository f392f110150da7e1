package query

import (
	"mime"
	"strings"

	"github.com/beevik/etree"
)

// CalendarData is a parsed CALDAV:calendar-data request element (RFC 4791
// §9.6): which parts of each object to return and how.
type CalendarData struct {
	// Comp selects components and properties; nil means everything.
	Comp *CompSpec
	// Expand asks for recurrence expansion (§9.6.5).
	Expand *TimeRange
	// LimitRecurrenceSet keeps only the overrides that touch the range
	// (§9.6.6).
	LimitRecurrenceSet *TimeRange
	// LimitFreeBusySet keeps only the FREEBUSY periods in the range
	// (§9.6.7).
	LimitFreeBusySet *TimeRange
}

// CompSpec is a CALDAV:comp element (§9.6.1). An empty <comp/> selects the
// whole component; otherwise properties need allprop or prop elements and
// subcomponents need allcomp or comp elements.
type CompSpec struct {
	Name     string
	AllProps bool
	Props    []PropSpec
	AllComps bool
	Comps    []*CompSpec
}

// PropSpec is a CALDAV:prop element of calendar-data (§9.6.4).
type PropSpec struct {
	Name    string
	NoValue bool
}

// Identity reports whether the request returns objects unchanged, so the
// caller can send the stored bytes verbatim.
func (cd *CalendarData) Identity() bool {
	return cd == nil || (cd.Comp == nil && cd.Expand == nil && cd.LimitRecurrenceSet == nil && cd.LimitFreeBusySet == nil)
}

// ParseCalendarData parses a CALDAV:calendar-data element of a REPORT's
// DAV:prop. A content-type other than text/calendar or a version other
// than 2.0 is an *Error naming supported-calendar-data; other malformed
// content is a 400 *Error.
func ParseCalendarData(el *etree.Element) (*CalendarData, error) {
	if !isCalDAV(el, "calendar-data") {
		return nil, badRequest("expected CALDAV:calendar-data, got %s", clark(el))
	}
	if a := el.SelectAttr("content-type"); a != nil {
		mt, _, err := mime.ParseMediaType(a.Value)
		if err != nil || mt != "text/calendar" {
			return nil, precondition(CondSupportedCalendarData, "content-type %q is not supported", a.Value)
		}
	}
	if a := el.SelectAttr("version"); a != nil && strings.TrimSpace(a.Value) != "2.0" {
		return nil, precondition(CondSupportedCalendarData, "iCalendar version %q is not supported", a.Value)
	}
	cd := &CalendarData{}
	for _, k := range el.ChildElements() {
		var err error
		switch {
		case isCalDAV(k, "comp") && cd.Comp == nil:
			cd.Comp, err = parseCompSpec(k, 1)
		case isCalDAV(k, "expand") && cd.Expand == nil && cd.LimitRecurrenceSet == nil:
			cd.Expand, err = rangeAttr(k)
		case isCalDAV(k, "limit-recurrence-set") && cd.Expand == nil && cd.LimitRecurrenceSet == nil:
			cd.LimitRecurrenceSet, err = rangeAttr(k)
		case isCalDAV(k, "limit-freebusy-set") && cd.LimitFreeBusySet == nil:
			cd.LimitFreeBusySet, err = rangeAttr(k)
		default:
			return nil, badRequest("unexpected %s in calendar-data", clark(k))
		}
		if err != nil {
			return nil, err
		}
	}
	if cd.Comp != nil && cd.Comp.Name != "VCALENDAR" {
		return nil, badRequest("calendar-data comp must name VCALENDAR, not %q", cd.Comp.Name)
	}
	return cd, nil
}

// rangeAttr parses expand / limit-*-set: both attributes required.
func rangeAttr(el *etree.Element) (*TimeRange, error) {
	tr, err := ParseTimeRange(el, true)
	if err != nil {
		e, _ := AsError(err)
		return nil, badRequest("%v", e.Err)
	}
	return tr, nil
}

func parseCompSpec(el *etree.Element, depth int) (*CompSpec, error) {
	if depth > maxFilterDepth {
		return nil, badRequest("calendar-data comp nested too deeply")
	}
	a := el.SelectAttr("name")
	if a == nil || strings.TrimSpace(a.Value) == "" {
		return nil, badRequest("calendar-data comp without name")
	}
	cs := &CompSpec{Name: strings.ToUpper(strings.TrimSpace(a.Value))}
	kids := el.ChildElements()
	if len(kids) == 0 {
		cs.AllProps, cs.AllComps = true, true
		return cs, nil
	}
	for _, k := range kids {
		switch {
		case isCalDAV(k, "allprop") && len(cs.Props) == 0:
			cs.AllProps = true
		case isCalDAV(k, "prop") && !cs.AllProps:
			n := k.SelectAttr("name")
			if n == nil || strings.TrimSpace(n.Value) == "" {
				return nil, badRequest("calendar-data prop without name")
			}
			ps := PropSpec{Name: strings.ToUpper(strings.TrimSpace(n.Value))}
			if nv := k.SelectAttr("novalue"); nv != nil {
				switch nv.Value {
				case "yes":
					ps.NoValue = true
				case "no":
				default:
					return nil, badRequest("novalue=%q", nv.Value)
				}
			}
			cs.Props = append(cs.Props, ps)
		case isCalDAV(k, "allcomp") && len(cs.Comps) == 0:
			cs.AllComps = true
		case isCalDAV(k, "comp") && !cs.AllComps:
			sub, err := parseCompSpec(k, depth+1)
			if err != nil {
				return nil, err
			}
			cs.Comps = append(cs.Comps, sub)
		default:
			return nil, badRequest("unexpected %s in calendar-data comp %s", clark(k), cs.Name)
		}
	}
	return cs, nil
}

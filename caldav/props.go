package caldav

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/query"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/propfile"
)

// knownComponents are the component types a calendar may be restricted to
// (RFC 4791 §5.2.3); an absent supported-calendar-component-set allows
// them all.
var knownComponents = []string{ical.CompEvent, ical.CompToDo, ical.CompJournal, ical.CompFreeBusy}

// collations are the text-match collations query supports, for
// CALDAV:supported-collation-set (RFC 4791 §7.5.1).
var collations = []string{query.CollationASCIICasemap, query.CollationOctet, query.CollationUnicodeCasemap}

// registerProperties adds the calendar collection properties of RFC 4791
// §5.2 and §7.5.1 and the principal property calendar-home-set (§6.2.1).
// RFC 4791 says none of them is returned by allprop.
func (h *handler) registerProperties(reg *dav.Registry) {
	reg.AddProperty(dav.Property{Name: nameCalDAV("calendar-description"), Hidden: true})
	reg.AddProperty(dav.Property{Name: nameCalendarTZ, Hidden: true, Check: h.checkTimezoneProp})
	reg.AddProperty(dav.Property{Name: nameComponentSet, Protected: true, SetOnCreate: true, Hidden: true,
		Get: calendarOnly(getComponentSet), Check: checkComponentSet})
	reg.AddProperty(dav.Property{Name: nameSupportedData, Protected: true, Hidden: true,
		Get: calendarOnly(func(*dav.Node) (propfile.Property, bool) {
			return value(nameSupportedData, propfile.Element(nameCalendarData, []propfile.Attr{
				{Name: dav.Name{Local: "content-type"}, Value: "text/calendar"},
				{Name: dav.Name{Local: "version"}, Value: "2.0"},
			})), true
		})})
	reg.AddProperty(dav.Property{Name: nameCalDAV("supported-collation-set"), Protected: true, Hidden: true,
		Get: calendarOnly(func(*dav.Node) (propfile.Property, bool) {
			var kids []propfile.Node
			for _, c := range collations {
				kids = append(kids, propfile.Element(nameCalDAV("supported-collation"), nil, propfile.TextNode(c)))
			}
			return value(nameCalDAV("supported-collation-set"), kids...), true
		})})
	limit := func(local string, text func() (string, bool)) {
		name := nameCalDAV(local)
		reg.AddProperty(dav.Property{Name: name, Protected: true, Hidden: true,
			Get: calendarOnly(func(*dav.Node) (propfile.Property, bool) {
				s, ok := text()
				return propfile.TextProperty(name, s), ok
			})})
	}
	limit("max-resource-size", func() (string, bool) {
		return strconv.Itoa(h.o.MaxResourceSize), h.o.MaxResourceSize > 0
	})
	limit("min-date-time", func() (string, bool) { return formatUTC(h.o.MinDateTime) })
	limit("max-date-time", func() (string, bool) { return formatUTC(h.o.MaxDateTime) })
	limit("max-instances", func() (string, bool) {
		return strconv.Itoa(h.o.MaxInstances), h.o.MaxInstances > 0
	})
	reg.AddProperty(dav.Property{Name: nameCalendarHomeSet, Protected: true, Hidden: true, Get: h.getCalendarHomeSet})
}

// calendarOnly turns a computation on calendar collections into a
// property getter that reports the property missing elsewhere (and when
// the computation has no value).
func calendarOnly(get func(n *dav.Node) (propfile.Property, bool)) func(context.Context, *dav.Call, *dav.Node) (propfile.Property, error) {
	return func(_ context.Context, _ *dav.Call, n *dav.Node) (propfile.Property, error) {
		if !isCalendar(n) {
			return propfile.Property{}, dav.ErrPropNotFound
		}
		p, ok := get(n)
		if !ok {
			return propfile.Property{}, dav.ErrPropNotFound
		}
		return p, nil
	}
}

// value makes a property with the given children.
func value(name dav.Name, children ...propfile.Node) propfile.Property {
	return propfile.Property{Name: name, Value: children}
}

// formatUTC renders an iCalendar UTC date-time; false for the zero time.
func formatUTC(t time.Time) (string, bool) {
	if t.IsZero() {
		return "", false
	}
	return t.UTC().Format("20060102T150405Z"), true
}

// getComponentSet serves the stored supported-calendar-component-set, or
// the types every calendar without one accepts.
func getComponentSet(n *dav.Node) (propfile.Property, bool) {
	if p, ok := n.Props().Get(nameComponentSet); ok {
		return p, true
	}
	var kids []propfile.Node
	for _, c := range knownComponents {
		kids = append(kids, compElement(c))
	}
	return value(nameComponentSet, kids...), true
}

// compElement is <C:comp name="NAME"/>.
func compElement(name string) propfile.Node {
	return propfile.Element(nameCalDAV("comp"), []propfile.Attr{{Name: dav.Name{Local: "name"}, Value: name}})
}

// componentsOf lists the component types a calendar accepts; nil means
// any of knownComponents.
func componentsOf(cal *dav.Node) []string {
	p, ok := cal.Props().Get(nameComponentSet)
	if !ok {
		return nil
	}
	names, _ := compNames(p)
	return names
}

// compNames reads the names of the C:comp elements of a component set;
// ok is false when it holds anything else.
func compNames(p propfile.Property) (names []string, ok bool) {
	ok = true
	for _, v := range p.Value {
		if v.IsText {
			ok = ok && strings.TrimSpace(v.Text) == ""
			continue
		}
		if v.Name != nameCalDAV("comp") {
			ok = false
			continue
		}
		name := ""
		for _, a := range v.Attrs {
			if a.Name.Space == "" && a.Name.Local == "name" {
				name = strings.ToUpper(strings.TrimSpace(a.Value))
			}
		}
		if name == "" {
			ok = false
			continue
		}
		names = append(names, name)
	}
	return names, ok
}

// checkComponentSet validates a supported-calendar-component-set given to
// MKCALENDAR or extended MKCOL: a non-empty list of known component types.
func checkComponentSet(_ context.Context, _ *dav.Call, _ *dav.Node, p propfile.Property) error {
	names, ok := compNames(p)
	if !ok || len(names) == 0 {
		return dav.Precondition(http.StatusForbidden, nameCalDAV("supported-calendar-component"),
			"supported-calendar-component-set must list C:comp elements with a name")
	}
	for _, n := range names {
		known := false
		for _, k := range knownComponents {
			known = known || n == k
		}
		if !known {
			return dav.Precondition(http.StatusForbidden, nameCalDAV("supported-calendar-component"),
				fmt.Sprintf("component type %s is not supported", n))
		}
	}
	return nil
}

// textOf concatenates the character data of a property value.
func textOf(nodes []propfile.Node) string {
	var b strings.Builder
	for _, n := range nodes {
		if n.IsText {
			b.WriteString(n.Text)
		}
	}
	return b.String()
}

// zoneResult is a parsed time zone or why it is not one.
type zoneResult struct {
	loc *time.Location
	err error
}

// errNotTimezone says a calendar-timezone value is not one VTIMEZONE.
var errNotTimezone = errors.New("a calendar with exactly one VTIMEZONE and no other component is needed")

// parseZone reads an iCalendar object holding one VTIMEZONE (the value of
// CALDAV:calendar-timezone, RFC 4791 §5.2.2, or a query's CALDAV:timezone,
// §9.8) into a location, caching the result by text.
func (h *handler) parseZone(text string) (*time.Location, error) {
	if z, ok := h.zones.Get(text); ok {
		return z.loc, z.err
	}
	z := &zoneResult{}
	z.loc, z.err = h.compileZone(text)
	h.zones.Put(text, z)
	return z.loc, z.err
}

func (h *handler) compileZone(text string) (*time.Location, error) {
	// Values often arrive with LF line ends and indentation from XML.
	cal, err := icalobj.Parse([]byte(normaliseICS(text)))
	if err != nil {
		return nil, err
	}
	if len(cal.Children) != 1 || cal.Children[0].Name != ical.CompTimezone {
		return nil, errNotTimezone
	}
	id := cal.Children[0].Props.Get(ical.PropTimezoneID)
	if id == nil || id.Value == "" {
		return nil, errNotTimezone
	}
	loc, err := h.o.Resolver.Location(id.Value, cal)
	if err != nil {
		return nil, fmt.Errorf("caldav: time zone %q: %w", id.Value, err)
	}
	return loc, nil
}

// normaliseICS trims the surrounding whitespace XML leaves around
// iCalendar text and ends lines with CRLF.
func normaliseICS(s string) string {
	lines := strings.Split(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n")
	var b strings.Builder
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		b.WriteString(strings.TrimRight(l, "\r"))
		b.WriteString("\r\n")
	}
	return b.String()
}

// checkTimezoneProp validates CALDAV:calendar-timezone on PROPPATCH,
// MKCALENDAR and extended MKCOL (RFC 4791 §5.2.2, §5.3.1.1).
func (h *handler) checkTimezoneProp(_ context.Context, _ *dav.Call, _ *dav.Node, p propfile.Property) error {
	if _, err := h.parseZone(textOf(p.Value)); err != nil {
		return dav.Precondition(http.StatusForbidden, nameValidData, "calendar-timezone: "+err.Error())
	}
	return nil
}

// floatingZone is the calendar's calendar-timezone, the zone of its
// floating times; nil (UTC) when it has none or it is unusable.
func (h *handler) floatingZone(cal *dav.Node) *time.Location {
	if cal == nil {
		return nil
	}
	p, ok := cal.Props().Get(nameCalendarTZ)
	if !ok {
		return nil
	}
	loc, err := h.parseZone(textOf(p.Value))
	if err != nil {
		h.o.Logger.Warn("caldav: unusable calendar-timezone", "calendar", cal.Href(), "err", err)
		return nil
	}
	return loc
}

// getCalendarHomeSet serves CALDAV:calendar-home-set on principals: the
// stored value (robur stores it on users) or the configured home.
func (h *handler) getCalendarHomeSet(_ context.Context, _ *dav.Call, n *dav.Node) (propfile.Property, error) {
	if !n.Collection || !n.HasType(dav.DAVName("principal")) {
		return propfile.Property{}, dav.ErrPropNotFound
	}
	if p, ok := n.Props().Get(nameCalendarHomeSet); ok {
		return p, nil
	}
	return value(nameCalendarHomeSet, propfile.Element(dav.DAVName("href"), nil, propfile.TextNode(h.o.CalendarHome))), nil
}

package caldav

import (
	"bytes"
	"context"
	"fmt"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/webmachine"
)

// calendarMediaType is the media type of calendar objects and whole
// calendars.
const calendarMediaType = "text/calendar"

// collectionProviders gives a calendar collection its text/calendar
// representation: every member in one VCALENDAR. dav adds its HTML
// listing after it, so a browser that prefers text/html gets that, and a
// client without Accept gets the calendar.
func (h *handler) collectionProviders(_ context.Context, c *dav.Call, n *dav.Node) []webmachine.Provider {
	if !isCalendar(n) {
		return nil
	}
	return []webmachine.Provider{{MediaType: calendarMediaType, Write: func(ctx context.Context, rq *webmachine.Request) error {
		body, err := h.wholeCalendar(ctx, c, n)
		if err != nil {
			return err
		}
		rq.Header.Set("Content-Type", calendarMediaType+"; charset=utf-8")
		rq.SetBody(body)
		return nil
	}}}
}

// wholeCalendar renders every readable member of calendar n as one
// VCALENDAR (robur's directory_as_ics): PRODID, VERSION 2.0, X-WR-CALNAME
// from the display name, each VTIMEZONE once (by TZID), then the other
// components of all members. Members that are not iCalendar are skipped.
func (h *handler) wholeCalendar(ctx context.Context, c *dav.Call, n *dav.Node) ([]byte, error) {
	kids, err := n.Children()
	if err != nil {
		return nil, fmt.Errorf("caldav: listing %s: %w", n.Href(), err)
	}
	out := ical.NewCalendar()
	out.Props.SetText(ical.PropProductID, h.o.ProductID)
	out.Props.SetText(ical.PropVersion, "2.0")
	if name, ok := n.Text(dav.PropDisplayName); ok && name != "" {
		p := ical.NewProp("X-WR-CALNAME")
		p.SetText(name)
		p.Params.Del(ical.ParamValue)
		out.Props.Set(p)
	}
	var zones, comps []*ical.Component
	seenTZ := map[string]bool{}
	for _, k := range kids {
		if k.Collection {
			continue
		}
		if ok, err := h.s.AllowedNode(ctx, c, k, "read"); err != nil || !ok {
			if err != nil {
				return nil, fmt.Errorf("caldav: access check: %w", err)
			}
			continue
		}
		o, err := h.load(k)
		if err != nil {
			return nil, err
		}
		if o.cal == nil {
			h.o.Logger.WarnContext(ctx, "caldav: member is not iCalendar", "href", k.Href(), "err", o.err)
			continue
		}
		for _, comp := range o.cal.Children {
			if comp.Name != ical.CompTimezone {
				comps = append(comps, comp)
				continue
			}
			id := comp.Props.Get(ical.PropTimezoneID)
			if id == nil || seenTZ[id.Value] {
				continue
			}
			seenTZ[id.Value] = true
			zones = append(zones, comp)
		}
	}
	out.Children = append(zones, comps...)
	var buf bytes.Buffer
	if err := icalobj.Encode(&buf, out); err != nil {
		return nil, fmt.Errorf("caldav: encoding %s: %w", n.Href(), err)
	}
	return buf.Bytes(), nil
}

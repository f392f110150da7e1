package query

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/recur"
)

// expandText is expand followed by icalobj.EncodeBytes, written without
// building a component per instance: each component that instances take
// their properties from (a master or an override) is encoded once, as an
// instanceTemplate kept with the object, and an instance writes only the
// lines that differ from one instance to the next. The text is the same,
// byte for byte (TestExpandTextMatchesExpand).
func expandText(x *Object, tr *TimeRange, o Options) ([]byte, error) {
	cal := x.Calendar()
	ctx := o.context(cal)
	b := icalobj.NewBuilder(2048)
	b.Write(x.headText())
	for i, g := range x.groupList() {
		if !recurringComps[g.Name] {
			for _, c := range g.Components {
				t, err := x.template(c, ctx, false)
				if err != nil {
					return nil, err
				}
				t.write(b, recur.Instance{}, false)
			}
			continue
		}
		set, err := x.set(i, ctx)
		insts, withRID, err := groupInstances(g, set, err, tr, o.Limits)
		if err != nil {
			return nil, err
		}
		for _, in := range insts {
			t, err := x.template(in.Component, ctx, true)
			if err != nil {
				return nil, err
			}
			t.write(b, in, withRID)
		}
	}
	b.End(cal.Name)
	return b.Bytes(), nil
}

// calendarHead is the BEGIN line of cal and its properties, as encoded.
func calendarHead(cal *ical.Calendar) []byte {
	b := icalobj.NewBuilder(256)
	b.Begin(cal.Name)
	for _, name := range icalobj.PropNames(nil, cal.Props) {
		b.Props(cal.Props[name])
	}
	return b.Bytes()
}

// instanceTemplate is the encoded text of one component's instances (what
// instanceComp makes of it): text with slots for the lines each instance
// writes itself.
type instanceTemplate struct {
	parts   []templatePart
	endDate bool // the end slot writes a DATE
}

// templatePart is encoded text, or a slot: the line of property slot.
type templatePart struct {
	slot string
	text []byte
}

// plainTemplate is c as written with its zoned times in UTC: text alone.
func plainTemplate(c *ical.Component, ctx recur.Context) (*instanceTemplate, error) {
	if hasZoned(c) {
		c = shallowComp(c)
		if err := zonedToUTC(c, ctx); err != nil {
			return nil, err
		}
	}
	b := icalobj.NewBuilder(512)
	b.Comp(c)
	return &instanceTemplate{parts: []templatePart{{text: b.Bytes()}}}, nil
}

// newInstanceTemplate encodes c as instanceComp rewrites it for an
// instance: without RRULE, RDATE, EXDATE and EXRULE, zoned times in UTC,
// and slots for RECURRENCE-ID, DTSTART and DTEND (DUE for a VTODO) when c
// has it.
func newInstanceTemplate(c *ical.Component, ctx recur.Context) (*instanceTemplate, error) {
	t := &instanceTemplate{}
	endName := ical.PropDateTimeEnd
	if c.Name == ical.CompToDo {
		endName = ical.PropDue
	}
	if p := c.Props.Get(endName); p != nil {
		t.endDate = strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(strings.TrimSpace(p.Value)) == 8
	} else {
		endName = "" // no slot: the instance has no end line either
	}
	b := icalobj.NewBuilder(1024)
	type cut struct {
		slot     string
		from, to int
	}
	var cuts []cut
	from := 0
	b.Begin(c.Name)
	for _, n := range icalobj.PropNames(nil, c.Props, ical.PropRecurrenceID, ical.PropDateTimeStart) {
		switch n {
		case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE":
		case ical.PropRecurrenceID, ical.PropDateTimeStart, endName:
			cuts = append(cuts, cut{from: from, to: b.Len()}, cut{slot: n})
			from = b.Len()
		default:
			props := c.Props[n]
			for i := range props {
				if !isZoned(&props[i]) {
					b.Prop(&props[i])
					continue
				}
				p, err := utcProp(&props[i], ctx)
				if err != nil {
					return nil, err
				}
				b.Prop(&p)
			}
		}
	}
	for _, ch := range c.Children {
		pt, err := plainTemplate(ch, ctx)
		if err != nil {
			return nil, err
		}
		b.Write(pt.parts[0].text)
	}
	b.End(c.Name)
	cuts = append(cuts, cut{from: from, to: b.Len()})
	text := b.Bytes()
	for _, k := range cuts {
		if k.slot == "" && k.from == k.to {
			continue
		}
		t.parts = append(t.parts, templatePart{slot: k.slot, text: text[k.from:k.to:k.to]})
	}
	return t, nil
}

// write writes instance in, which takes its properties from the
// template's component (for a plain template, in is not read).
func (t *instanceTemplate) write(b *icalobj.Builder, in recur.Instance, withRID bool) {
	for _, p := range t.parts {
		switch p.slot {
		case "":
			b.Write(p.text)
		case ical.PropRecurrenceID:
			if withRID && !in.RecurrenceID.IsZero() {
				timeLine(b, p.slot, in.RecurrenceID, in.AllDay)
			}
		case ical.PropDateTimeStart:
			// An instance without a start comes from a component
			// without DTSTART (see recur.Instance.HasStart).
			if in.HasStart {
				timeLine(b, p.slot, in.Start, in.AllDay)
			}
		default:
			timeLine(b, p.slot, in.End, t.endDate)
		}
	}
}

// timeLine writes property name with value t: a DATE, or a DATE-TIME in
// UTC.
func timeLine(b *icalobj.Builder, name string, t time.Time, date bool) {
	b.Line(func(l []byte) []byte {
		l = append(l, name...)
		if date {
			return t.AppendFormat(append(l, ";VALUE=DATE:"...), "20060102")
		}
		return t.UTC().AppendFormat(append(l, ':'), "20060102T150405Z")
	})
}

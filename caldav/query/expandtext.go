package query

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/recur"
)

// expandText is expand followed by icalobj.EncodeBytes, written without
// building a component per instance. The first instance taken from a
// component (a master or an override) is written property by property,
// noting where the lines that differ between instances go; every later
// instance of that component copies the rest from there. The text is
// the same, byte for byte (TestExpandTextMatchesExpand).
func expandText(cal *ical.Calendar, tr *TimeRange, o Options) ([]byte, error) {
	w := expansionWriter{b: icalobj.NewBuilder(2048), ctx: o.context(cal)}
	w.b.Begin(cal.Name)
	w.names = icalobj.PropNames(w.names[:0], cal.Props)
	for _, name := range w.names {
		w.b.Props(cal.Props[name])
	}
	for _, g := range recur.Groups(cal) {
		if !recurringComps[g.Name] {
			for _, c := range g.Components {
				if err := w.comp(c); err != nil {
					return nil, err
				}
			}
			continue
		}
		set, err := recur.New(g.Components, w.ctx)
		if err != nil {
			return nil, dataErr(err)
		}
		insts, err := set.Instances(tr.Start, tr.End, o.Limits)
		if err != nil {
			return nil, dataErr(err)
		}
		withRID := set.Recurring() || len(g.Components) > 1
		for _, in := range insts {
			if err := w.instance(in, withRID); err != nil {
				return nil, err
			}
		}
	}
	w.b.End(cal.Name)
	return w.b.Bytes(), nil
}

// expansionWriter writes one object's expansion.
type expansionWriter struct {
	b     *icalobj.Builder
	ctx   recur.Context
	names []string // scratch
	// written lists the components written so far, with where their
	// text is: few per object, so a linear search.
	written []instanceTemplate
}

// instanceTemplate is where an instance of component of was written:
// text to copy for the next instance, and slots between the pieces.
type instanceTemplate struct {
	of      *ical.Component
	parts   []templatePart
	endDate bool // the end slot writes a DATE
}

// templatePart is written text at [from, to), or a slot: the line of
// property slot, which each instance writes itself.
type templatePart struct {
	slot     string
	from, to int
}

// comp writes a component that is not expanded, with its zoned times in
// UTC.
func (w *expansionWriter) comp(c *ical.Component) error {
	if hasZoned(c) {
		c = shallowComp(c)
		if err := zonedToUTC(c, w.ctx); err != nil {
			return err
		}
	}
	w.b.Comp(c)
	return nil
}

// instance writes in as instanceComp rewrites its component: without
// RRULE, RDATE, EXDATE and EXRULE, with its own DTSTART, DTEND (DUE for
// a VTODO) when the component has one, RECURRENCE-ID when withRID, and
// zoned times in UTC.
func (w *expansionWriter) instance(in recur.Instance, withRID bool) error {
	for i := range w.written {
		if t := &w.written[i]; t.of == in.Component {
			t.repeat(w.b, in, withRID)
			return nil
		}
	}
	c := in.Component
	t := instanceTemplate{of: c}
	endName := ical.PropDateTimeEnd
	if c.Name == ical.CompToDo {
		endName = ical.PropDue
	}
	if p := c.Props.Get(endName); p != nil {
		t.endDate = strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(strings.TrimSpace(p.Value)) == 8
	} else {
		endName = "" // no slot: the instance has no end line either
	}
	b := w.b
	from := b.Len()
	b.Begin(c.Name)
	w.names = icalobj.PropNames(w.names[:0], c.Props, ical.PropRecurrenceID, ical.PropDateTimeStart)
	for _, n := range w.names {
		switch n {
		case ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE":
		case ical.PropRecurrenceID, ical.PropDateTimeStart, endName:
			t.parts = append(t.parts, templatePart{from: from, to: b.Len()}, templatePart{slot: n})
			t.slot(b, n, in, withRID)
			from = b.Len()
		default:
			props := c.Props[n]
			for i := range props {
				if !isZoned(&props[i]) {
					b.Prop(&props[i])
					continue
				}
				p, err := utcProp(&props[i], w.ctx)
				if err != nil {
					return err
				}
				b.Prop(&p)
			}
		}
	}
	for _, ch := range c.Children {
		if err := w.comp(ch); err != nil {
			return err
		}
	}
	b.End(c.Name)
	t.parts = append(t.parts, templatePart{from: from, to: b.Len()})
	w.written = append(w.written, t)
	return nil
}

// repeat writes another instance of t's component.
func (t *instanceTemplate) repeat(b *icalobj.Builder, in recur.Instance, withRID bool) {
	for _, p := range t.parts {
		if p.slot == "" {
			b.Repeat(p.from, p.to)
		} else {
			t.slot(b, p.slot, in, withRID)
		}
	}
}

// slot writes the line of in's property name, if it has one. An instance
// without a start comes from a component without DTSTART (see
// recur.Instance.HasStart), so its DTSTART slot stays empty.
func (t *instanceTemplate) slot(b *icalobj.Builder, name string, in recur.Instance, withRID bool) {
	switch name {
	case ical.PropRecurrenceID:
		if withRID && !in.RecurrenceID.IsZero() {
			timeLine(b, name, in.RecurrenceID, in.AllDay)
		}
	case ical.PropDateTimeStart:
		if in.HasStart {
			timeLine(b, name, in.Start, in.AllDay)
		}
	default:
		timeLine(b, name, in.End, t.endDate)
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

package query

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// recurringComps are the component types whose recurrence sets expand and
// limit-recurrence-set act on.
var recurringComps = map[string]bool{ical.CompEvent: true, ical.CompToDo: true, ical.CompJournal: true}

// expand implements CALDAV:expand (RFC 4791 §9.6.5): one component per
// instance overlapping tr, with overrides applied, RECURRENCE-ID set,
// RRULE/RDATE/EXDATE/EXRULE removed, zoned times converted to UTC and
// VTIMEZONEs dropped. cal is not modified: what the result holds is
// copied (only that: the VTIMEZONEs are not).
func expand(cal *ical.Calendar, tr *TimeRange, o Options) (*ical.Calendar, error) {
	ctx := o.context(cal)
	out := &ical.Component{Name: cal.Name, Props: maps.Clone(cal.Props)}
	for _, g := range recur.Groups(cal) {
		if !recurringComps[g.Name] {
			for _, c := range g.Components {
				c = cloneComp(c)
				if err := zonedToUTC(c, ctx); err != nil {
					return nil, err
				}
				out.Children = append(out.Children, c)
			}
			continue
		}
		set, err := recur.New(g.Components, ctx)
		insts, withRID, err := groupInstances(g, set, err, tr, o.Limits)
		if err != nil {
			return nil, err
		}
		for _, in := range insts {
			c, err := instanceComp(in, withRID, ctx)
			if err != nil {
				return nil, err
			}
			out.Children = append(out.Children, c)
		}
	}
	return &ical.Calendar{Component: out}, nil
}

// groupInstances returns the instances in tr of group g, whose recurrence
// set is set (or err when it could not be made), and whether they carry
// a RECURRENCE-ID (they do in a recurrence set or a group with
// overrides).
func groupInstances(g recur.Group, set *recur.Set, err error, tr *TimeRange, lim recur.Limits) ([]recur.Instance, bool, error) {
	if err != nil {
		return nil, false, dataErr(err)
	}
	insts, err := set.Instances(tr.Start, tr.End, lim)
	if err != nil {
		return nil, false, dataErr(err)
	}
	return insts, set.Recurring() || len(g.Components) > 1, nil
}

// instanceComp writes one instance as a standalone component. It shares
// the property values it leaves as they are with the parsed object, which
// it does not modify.
func instanceComp(in recur.Instance, withRID bool, ctx recur.Context) (*ical.Component, error) {
	c := shallowComp(in.Component)
	for _, n := range []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE"} {
		c.Props.Del(n)
	}
	setTime := func(name string, t time.Time, date bool) {
		p := ical.NewProp(name)
		if date {
			p.Params.Set(ical.ParamValue, "DATE")
			p.Value = t.Format("20060102")
		} else {
			p.Value = value.FormatUTC(t)
		}
		c.Props.Set(p)
	}
	isDate := func(name string) bool {
		p := in.Component.Props.Get(name)
		return p != nil && (strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE") || len(strings.TrimSpace(p.Value)) == 8)
	}
	if in.HasStart {
		setTime(ical.PropDateTimeStart, in.Start, in.AllDay)
	}
	endName := ical.PropDateTimeEnd
	if c.Name == ical.CompToDo {
		endName = ical.PropDue
	}
	if c.Props.Get(endName) != nil {
		setTime(endName, in.End, isDate(endName))
	}
	c.Props.Del(ical.PropRecurrenceID)
	if withRID && !in.RecurrenceID.IsZero() {
		setTime(ical.PropRecurrenceID, in.RecurrenceID, in.AllDay)
	}
	if err := zonedToUTC(c, ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// zonedToUTC rewrites every DATE-TIME (or PERIOD) property that carries a
// TZID into UTC, in c and its subcomponents.
func zonedToUTC(c *ical.Component, ctx recur.Context) error {
	for name, props := range c.Props {
		var out []ical.Prop // a copy, made at the first change
		for i := range props {
			if !isZoned(&props[i]) {
				continue
			}
			p, err := utcProp(&props[i], ctx)
			if err != nil {
				return err
			}
			if out == nil {
				out = slices.Clone(props)
			}
			out[i] = p
		}
		if out != nil {
			c.Props[name] = out
		}
	}
	for _, ch := range c.Children {
		if err := zonedToUTC(ch, ctx); err != nil {
			return err
		}
	}
	return nil
}

// isZoned reports whether p carries a TZID.
func isZoned(p *ical.Prop) bool { return p.Params.Get(ical.PropTimezoneID) != "" }

// hasZoned reports whether a property of c or of its subcomponents
// carries a TZID.
func hasZoned(c *ical.Component) bool {
	for _, props := range c.Props {
		for i := range props {
			if isZoned(&props[i]) {
				return true
			}
		}
	}
	return slices.ContainsFunc(c.Children, hasZoned)
}

// utcProp is p, which carries a TZID, with its values in UTC and without
// the TZID.
func utcProp(p *ical.Prop, ctx recur.Context) (ical.Prop, error) {
	items, err := value.PropList(p)
	if err != nil {
		return ical.Prop{}, dataErr(fmt.Errorf("%s: %w", p.Name, err))
	}
	vals := make([]string, 0, len(items))
	for _, it := range items {
		s, err := utcText(it, ctx)
		if err != nil {
			return ical.Prop{}, dataErr(fmt.Errorf("%s: %w", p.Name, err))
		}
		vals = append(vals, s)
	}
	out := ical.Prop{Name: p.Name, Value: strings.Join(vals, ","), Params: maps.Clone(p.Params)}
	out.Params.Del(ical.PropTimezoneID)
	return out, nil
}

// shallowComp copies a component tree's maps and child lists but shares
// its property slices: changes to the copy replace a property's slice
// (as Props.Set and zonedToUTC do), never write into it.
func shallowComp(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: maps.Clone(c.Props)}
	if len(c.Children) > 0 {
		out.Children = make([]*ical.Component, len(c.Children))
		for i, ch := range c.Children {
			out.Children[i] = shallowComp(ch)
		}
	}
	return out
}

func utcText(it value.Item, ctx recur.Context) (string, error) {
	if it.IsDate() {
		return value.FormatDate(it.Wall), nil
	}
	t, err := ctx.Time(it.DateTime)
	if err != nil {
		return "", err
	}
	if it.Period == nil {
		return value.FormatUTC(t), nil
	}
	if it.Period.HasDuration {
		return value.FormatUTC(t) + "/" + durationText(it.Period.Duration), nil
	}
	e, err := ctx.Time(it.Period.End)
	if err != nil {
		return "", err
	}
	return value.FormatUTC(t) + "/" + value.FormatUTC(e), nil
}

func durationText(d value.Duration) string {
	s := "P"
	if d.Negative {
		s = "-P"
	}
	if d.Days > 0 {
		s += fmt.Sprintf("%dD", d.Days)
	}
	if d.Seconds > 0 || d.Days == 0 {
		s += fmt.Sprintf("T%dS", d.Seconds)
	}
	return s
}

// limitRecurrenceSet implements CALDAV:limit-recurrence-set (§9.6.6): the
// master stays; an override stays when its current or original instance
// overlaps tr (a THISANDFUTURE override when it starts before tr's end).
func limitRecurrenceSet(cal *ical.Calendar, tr *TimeRange, o Options) (*ical.Calendar, error) {
	ctx := o.context(cal)
	drop := map[*ical.Component]bool{}
	for _, g := range recur.Groups(cal) {
		if !recurringComps[g.Name] {
			continue
		}
		var master *ical.Component
		for _, c := range g.Components {
			if c.Props.Get(ical.PropRecurrenceID) == nil {
				master = c
			}
		}
		if master == nil {
			continue
		}
		mset, err := recur.New([]*ical.Component{master}, ctx)
		if err != nil {
			return nil, dataErr(err)
		}
		original, err := mset.Instances(tr.Start, tr.End, o.Limits)
		if err != nil {
			return nil, dataErr(err)
		}
		for _, c := range g.Components {
			if c == master {
				continue
			}
			keep, err := overrideTouches(c, tr, original, ctx, o.Limits)
			if err != nil {
				return nil, err
			}
			if !keep {
				drop[c] = true
			}
		}
	}
	kids := cal.Children[:0]
	for _, c := range cal.Children {
		if !drop[c] {
			kids = append(kids, c)
		}
	}
	cal.Children = kids
	return cal, nil
}

func overrideTouches(c *ical.Component, tr *TimeRange, original []recur.Instance, ctx recur.Context, lim recur.Limits) (bool, error) {
	ridProp := c.Props.Get(ical.PropRecurrenceID)
	rid, _, err := ctx.PropTime(ridProp)
	if err != nil {
		return false, dataErr(err)
	}
	if strings.EqualFold(ridProp.Params.Get("RANGE"), "THISANDFUTURE") && (tr.End.IsZero() || rid.Before(tr.End)) {
		return true, nil
	}
	for _, in := range original {
		if in.RecurrenceID.Equal(rid) {
			return true, nil
		}
	}
	own, err := recur.New([]*ical.Component{c}, ctx)
	if err != nil {
		return false, dataErr(err)
	}
	ok, err := own.Any(tr.Start, tr.End, lim, nil)
	return ok, dataErr(err)
}

// limitFreeBusy implements CALDAV:limit-freebusy-set (§9.6.7): FREEBUSY
// periods outside tr are removed from every VFREEBUSY.
func limitFreeBusy(cal *ical.Calendar, tr *TimeRange, o Options) error {
	m := &matcher{ctx: o.context(cal), lim: o.Limits}
	for _, c := range cal.Children {
		if c.Name != ical.CompFreeBusy {
			continue
		}
		var kept []ical.Prop
		for _, p := range c.Props[ical.PropFreeBusy] {
			items, err := value.PropList(&p)
			if err != nil {
				return dataErr(err)
			}
			raw := strings.Split(p.Value, ",")
			var vals []string
			for i, it := range items {
				se, err := m.periodBounds(it)
				if err != nil {
					return err
				}
				if periodOverlaps(tr, se[0], se[1]) && i < len(raw) {
					vals = append(vals, strings.TrimSpace(raw[i]))
				}
			}
			if len(vals) > 0 {
				p.Value = strings.Join(vals, ",")
				kept = append(kept, p)
			}
		}
		if len(kept) == 0 {
			c.Props.Del(ical.PropFreeBusy)
		} else {
			c.Props[ical.PropFreeBusy] = kept
		}
	}
	return nil
}

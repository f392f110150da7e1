package query

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// freeBusy evaluates a comp-filter on one VFREEBUSY (RFC 4791 §9.9
// VFREEBUSY table, then the filter body).
func (m *matcher) freeBusy(cf *CompFilter, c *ical.Component) (bool, error) {
	if tr := cf.TimeRange; tr != nil {
		ok, err := m.freeBusyOverlaps(c, tr)
		if err != nil || !ok {
			return false, err
		}
	}
	return m.compBody(cf, scope{comp: c})
}

func (m *matcher) freeBusyOverlaps(c *ical.Component, tr *TimeRange) (bool, error) {
	ps, pe := c.Props.Get(ical.PropDateTimeStart), c.Props.Get(ical.PropDateTimeEnd)
	if ps != nil && pe != nil {
		s, _, err := m.ctx.PropTime(ps)
		if err != nil {
			return false, dataErr(err)
		}
		e, _, err := m.ctx.PropTime(pe)
		if err != nil {
			return false, dataErr(err)
		}
		return (tr.Start.IsZero() || !e.Before(tr.Start)) && (tr.End.IsZero() || tr.End.After(s)), nil
	}
	periods, err := m.periods(c)
	if err != nil {
		return false, err
	}
	for _, p := range periods {
		if periodOverlaps(tr, p[0], p[1]) {
			return true, nil
		}
	}
	return false, nil
}

// periodOverlaps is start < period-end AND end > period-start.
func periodOverlaps(tr *TimeRange, s, e time.Time) bool {
	return (tr.Start.IsZero() || tr.Start.Before(e)) && (tr.End.IsZero() || tr.End.After(s))
}

// periods returns the [start, end) of every FREEBUSY period of c.
func (m *matcher) periods(c *ical.Component) ([][2]time.Time, error) {
	var out [][2]time.Time
	for i := range c.Props[ical.PropFreeBusy] {
		items, err := value.PropList(&c.Props[ical.PropFreeBusy][i])
		if err != nil {
			return nil, dataErr(err)
		}
		for _, it := range items {
			se, err := m.periodBounds(it)
			if err != nil {
				return nil, err
			}
			out = append(out, se)
		}
	}
	return out, nil
}

func (m *matcher) periodBounds(it value.Item) ([2]time.Time, error) {
	s, err := m.ctx.Time(it.DateTime)
	if err != nil {
		return [2]time.Time{}, dataErr(err)
	}
	if it.Period == nil {
		return [2]time.Time{s, s}, nil
	}
	if it.Period.HasDuration {
		return [2]time.Time{s, it.Period.Duration.AddTo(s)}, nil
	}
	e, err := m.ctx.Time(it.Period.End)
	if err != nil {
		return [2]time.Time{}, dataErr(err)
	}
	return [2]time.Time{s, e}, nil
}

// FreeBusyPeriod is one period of a FREEBUSY property: its FBTYPE
// (upper case, BUSY when absent) and its [Start, End).
type FreeBusyPeriod struct {
	Type       string
	Start, End time.Time
}

// FreeBusyPeriods lists the FREEBUSY periods of the VFREEBUSY component c
// of cal, resolving times as o says. Errors wrap ErrInvalidData.
func FreeBusyPeriods(cal *ical.Calendar, c *ical.Component, o Options) ([]FreeBusyPeriod, error) {
	m := &matcher{ctx: o.context(cal), lim: o.Limits}
	var out []FreeBusyPeriod
	for i := range c.Props[ical.PropFreeBusy] {
		p := &c.Props[ical.PropFreeBusy][i]
		fbtype := strings.ToUpper(p.Params.Get(ical.ParamFreeBusyType))
		if fbtype == "" {
			fbtype = "BUSY"
		}
		items, err := value.PropList(p)
		if err != nil {
			return nil, dataErr(err)
		}
		for _, it := range items {
			se, err := m.periodBounds(it)
			if err != nil {
				return nil, err
			}
			out = append(out, FreeBusyPeriod{Type: fbtype, Start: se[0], End: se[1]})
		}
	}
	return out, nil
}

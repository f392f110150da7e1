package query

import (
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
)

// Options configures matching and calendar-data transformation.
type Options struct {
	// Floating is the zone for floating date-times and DATE values: the
	// query's CALDAV:timezone, else the collection's calendar-timezone.
	// nil means UTC.
	Floating *time.Location
	// Resolver resolves TZIDs; nil means tz.Default.
	Resolver recur.Resolver
	// Limits bounds recurrence expansion.
	Limits recur.Limits
}

func (o Options) context(cal *ical.Calendar) recur.Context {
	return recur.Context{Calendar: cal, Resolver: o.Resolver, Floating: o.Floating}
}

// Match reports whether the calendar object x matches the filter.
// Errors are recur.ErrTooManyInstances (the query needs too much
// expansion) or wrap ErrInvalidData (x cannot be evaluated).
func (f *Filter) Match(x *Object, o Options) (bool, error) {
	m := &matcher{ctx: o.context(x.Calendar()), lim: o.Limits, obj: x}
	root := scope{comp: x.Calendar().Component}
	return m.compBody(f.Comp, root)
}

type matcher struct {
	ctx recur.Context
	lim recur.Limits
	obj *Object // the object matched (nil when matching parts of one)
}

// scope is the component a filter is evaluated against; inst is set when
// it is one recurrence instance of set.
type scope struct {
	comp *ical.Component
	inst *recur.Instance
	set  *recur.Set
}

func dataErr(err error) error {
	if err == nil || errors.Is(err, recur.ErrTooManyInstances) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrInvalidData, err)
}

// compBody checks a comp-filter's prop-filters and nested comp-filters
// against the component in sc (the time-range is handled by the caller).
func (m *matcher) compBody(cf *CompFilter, sc scope) (bool, error) {
	for _, pf := range cf.Props {
		ok, err := m.prop(pf, sc)
		if err != nil || !ok {
			return false, err
		}
	}
	for _, sub := range cf.Comps {
		ok, err := m.comp(sub, sc)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// comp evaluates a comp-filter whose scope is the parent component sc.
func (m *matcher) comp(cf *CompFilter, parent scope) (bool, error) {
	var kids []*ical.Component
	for _, c := range parent.comp.Children {
		if c.Name == cf.Name {
			kids = append(kids, c)
		}
	}
	if cf.IsNotDefined {
		return len(kids) == 0, nil
	}
	if len(kids) == 0 {
		return false, nil
	}
	switch cf.Name {
	case ical.CompAlarm:
		return m.alarms(cf, kids, parent)
	case ical.CompFreeBusy:
		for _, c := range kids {
			ok, err := m.freeBusy(cf, c)
			if err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	case ical.CompEvent, ical.CompToDo, ical.CompJournal:
		if parent.comp.Name == ical.CompCalendar {
			return m.recurring(cf, parent.comp)
		}
	}
	// Other components (VTIMEZONE, X-, nested ones): no time semantics.
	for _, c := range kids {
		ok, err := m.compBody(cf, scope{comp: c})
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// recurring evaluates a comp-filter on VEVENT/VTODO/VJOURNAL children of
// the calendar: per recurrence instance when there is a time-range, per
// component otherwise.
func (m *matcher) recurring(cf *CompFilter, cal *ical.Component) (bool, error) {
	x := m.obj
	if x == nil || x.Calendar().Component != cal {
		x = NewObject(&ical.Calendar{Component: cal})
	}
	for i, g := range x.groupList() {
		if g.Name != cf.Name {
			continue
		}
		set, err := x.set(i, m.ctx)
		if err != nil {
			return false, dataErr(err)
		}
		if cf.TimeRange == nil {
			for _, c := range g.Components {
				ok, err := m.compBody(cf, scope{comp: c, set: set})
				if err != nil || ok {
					return ok, err
				}
			}
			continue
		}
		var inner error
		tr := cf.TimeRange
		found, err := set.Any(tr.Start, tr.End, m.lim, func(in recur.Instance) bool {
			ok, err := m.compBody(cf, scope{comp: in.Component, inst: &in, set: set})
			if err != nil {
				inner = err
				return true // stop
			}
			return ok
		})
		if inner != nil {
			return false, inner
		}
		if found {
			return true, nil
		}
		if err != nil {
			return false, dataErr(err)
		}
	}
	return false, nil
}

package recur

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur/rrule"
	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// Set is the recurrence set of one component type and UID: an optional
// master component and its RECURRENCE-ID overrides.
type Set struct {
	ctx       Context
	master    *ical.Component
	sh        shape
	loc       *time.Location // zone of the master's DTSTART wall clock
	rule      *rrule.Rule
	rdates    []rdate
	exdates   map[int64]bool
	exDays    map[string]bool // EXDATE;VALUE=DATE on a DATE-TIME set
	overrides []override
	maxShift  time.Duration // largest |start shift| of a THISANDFUTURE override
	maxDur    time.Duration
	nominal   bool // some duration counts nominal days
}

type rdate struct {
	start  time.Time
	end    time.Time
	hasEnd bool
}

type override struct {
	comp          *ical.Component
	rid           time.Time
	ridDate       bool
	thisAndFuture bool
	inst          Instance
	sh            shape
}

// New builds the recurrence set of comps: components of one type sharing a
// UID (at most one without RECURRENCE-ID, the master).
func New(comps []*ical.Component, ctx Context) (*Set, error) {
	s := &Set{ctx: ctx, exdates: map[int64]bool{}, exDays: map[string]bool{}}
	for _, c := range comps {
		if c.Props.Get(ical.PropRecurrenceID) == nil {
			if s.master != nil {
				return nil, fmt.Errorf("recur: two %s components without RECURRENCE-ID", c.Name)
			}
			s.master = c
		}
	}
	if s.master != nil {
		if err := s.initMaster(); err != nil {
			return nil, err
		}
	}
	for _, c := range comps {
		if c == s.master {
			continue
		}
		if err := s.addOverride(c); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(s.overrides, func(a, b override) int { return a.rid.Compare(b.rid) })
	return s, nil
}

func (s *Set) initMaster() error {
	m := s.master
	sh, err := s.ctx.shapeOf(m)
	if err != nil {
		return err
	}
	s.sh = sh
	s.maxDur = durSpan(sh.start, sh.end)
	s.nominal = sh.dur.Days != 0
	if !sh.hasStart {
		return nil // a VTODO without DTSTART cannot recur
	}
	if s.loc, err = s.ctx.Location(sh.startDT); err != nil {
		return err
	}
	if p := m.Props.Get(ical.PropRecurrenceRule); p != nil {
		if s.rule, err = rrule.Parse(p.Value); err != nil {
			return fmt.Errorf("recur: %w", err)
		}
	}
	for i := range m.Props[ical.PropRecurrenceDates] {
		items, err := value.PropList(&m.Props[ical.PropRecurrenceDates][i])
		if err != nil {
			return fmt.Errorf("recur: RDATE: %w", err)
		}
		for _, it := range items {
			rd, err := s.rdateOf(it)
			if err != nil {
				return err
			}
			s.rdates = append(s.rdates, rd)
			if rd.hasEnd {
				s.maxDur = max(s.maxDur, durSpan(rd.start, rd.end))
			}
		}
	}
	for i := range m.Props[ical.PropExceptionDates] {
		items, err := value.PropList(&m.Props[ical.PropExceptionDates][i])
		if err != nil {
			return fmt.Errorf("recur: EXDATE: %w", err)
		}
		for _, it := range items {
			if it.IsDate() && !sh.startDT.IsDate() {
				s.exDays[value.FormatDate(it.Wall)] = true
				continue
			}
			t, err := s.ctx.Time(it.DateTime)
			if err != nil {
				return fmt.Errorf("recur: EXDATE: %w", err)
			}
			s.exdates[t.Unix()] = true
		}
	}
	slices.SortFunc(s.rdates, func(a, b rdate) int { return a.start.Compare(b.start) })
	return nil
}

func (s *Set) rdateOf(it value.Item) (rdate, error) {
	t, err := s.ctx.Time(it.DateTime)
	if err != nil {
		return rdate{}, fmt.Errorf("recur: RDATE: %w", err)
	}
	rd := rdate{start: t}
	if p := it.Period; p != nil {
		rd.hasEnd = true
		if p.HasDuration {
			rd.end = p.Duration.AddTo(t)
		} else if rd.end, err = s.ctx.Time(p.End); err != nil {
			return rdate{}, fmt.Errorf("recur: RDATE period: %w", err)
		}
	}
	return rd, nil
}

func (s *Set) addOverride(c *ical.Component) error {
	p := c.Props.Get(ical.PropRecurrenceID)
	rid, ridDT, err := s.ctx.PropTime(p)
	if err != nil {
		return err
	}
	sh, err := s.ctx.shapeOf(c)
	if err != nil {
		return err
	}
	if !sh.hasStart && s.master != nil && s.sh.hasStart {
		// An override without DTSTART keeps the original start.
		sh.start, sh.startDT, sh.hasStart = rid, ridDT, true
		if sh.endKind == EndNone && s.sh.endKind != EndNone {
			sh.dur, sh.endKind = s.sh.dur, s.sh.endKind
		}
		sh.end = sh.endFor(rid)
	}
	o := override{
		comp: c, rid: rid, ridDate: ridDT.IsDate(), sh: sh,
		thisAndFuture: strings.EqualFold(p.Params.Get("RANGE"), "THISANDFUTURE"),
	}
	o.inst = sh.instance(c, true)
	o.inst.RecurrenceID = rid
	if o.thisAndFuture {
		s.maxShift = max(s.maxShift, absDur(sh.start.Sub(rid)))
	}
	s.maxDur = max(s.maxDur, durSpan(sh.start, sh.end))
	s.nominal = s.nominal || sh.dur.Days != 0
	s.overrides = append(s.overrides, o)
	return nil
}

// Master returns the component without RECURRENCE-ID, or nil.
func (s *Set) Master() *ical.Component { return s.master }

// Recurring reports whether the master has RRULE or RDATE.
func (s *Set) Recurring() bool { return s.rule != nil || len(s.rdates) > 0 }

// Each calls fn for every instance that may overlap [start, end] (a zero
// bound is open): a superset of the instances for which Overlaps is true,
// so fn must apply the exact test. fn returns false to stop. Each returns
// ErrTooManyInstances when the window needs more instances or rule
// evaluation than lim allows and fn did not stop first.
func (s *Set) Each(start, end time.Time, lim Limits, fn func(Instance) bool) error {
	lim = lim.withDefaults()
	n := 0
	emit := func(in Instance) (bool, error) {
		if !near(in, start, end) {
			return true, nil
		}
		if n++; n > lim.MaxInstances {
			return false, ErrTooManyInstances
		}
		return fn(in), nil
	}
	if s.master == nil {
		// Overrides only (e.g. an invitation to one instance).
		for _, o := range s.overrides {
			if cont, err := emit(o.inst); !cont || err != nil {
				return err
			}
		}
		return nil
	}
	if !s.Recurring() {
		in := s.sh.instance(s.master, false)
		for _, o := range s.overrides {
			if o.rid.Equal(s.sh.start) {
				in = o.inst
			} else if cont, err := emit(o.inst); !cont || err != nil {
				return err
			}
		}
		_, err := emit(in)
		return err
	}
	starts, truncated, err := s.starts(start, end, lim)
	if err != nil {
		return err
	}
	for _, st := range starts {
		in, ok := s.occurrence(st)
		if !ok {
			continue
		}
		cont, err := emit(in)
		if err != nil || !cont {
			return err
		}
	}
	// Overrides whose RECURRENCE-ID matches no generated instance.
	for _, o := range s.overrides {
		if o.thisAndFuture || s.generated(o, starts) {
			continue
		}
		if cont, err := emit(o.inst); !cont || err != nil {
			return err
		}
	}
	if truncated {
		return ErrTooManyInstances
	}
	return nil
}

// generated reports whether o's RECURRENCE-ID is among the generated
// starts, in which case occurrence already delivered it.
func (s *Set) generated(o override, starts []occ) bool {
	for _, st := range starts {
		if s.matches(o, st.start) {
			return true
		}
	}
	return false
}

func (s *Set) matches(o override, t time.Time) bool {
	if o.rid.Equal(t) {
		return true
	}
	if o.ridDate && !s.sh.startDT.IsDate() {
		return value.FormatDate(value.WallOf(t, s.loc)) == value.FormatDate(value.WallOf(o.rid, s.loc))
	}
	return false
}

// occurrence turns a generated start into its instance, applying EXDATE
// and overrides. ok is false for excluded starts.
func (s *Set) occurrence(st occ) (Instance, bool) {
	t := st.start
	if s.exdates[t.Unix()] || (len(s.exDays) > 0 && s.exDays[value.FormatDate(value.WallOf(t, s.loc))]) {
		return Instance{}, false
	}
	var future *override
	for i := range s.overrides {
		o := &s.overrides[i]
		if s.matches(*o, t) {
			return o.inst, true
		}
		if o.thisAndFuture && o.rid.Before(t) {
			future = o
		}
	}
	in := s.sh.instance(s.master, false)
	in.Start, in.RecurrenceID = t, t
	switch {
	case st.hasEnd:
		in.End, in.EndKind = st.end, EndExplicit
	default:
		in.End = s.sh.endFor(t)
	}
	if future != nil {
		shift := future.sh.start.Sub(future.rid)
		in.Component, in.Override = future.comp, true
		in.Start = t.Add(shift)
		in.End = future.sh.endFor(in.Start)
		in.EndKind = future.sh.endKind
		in.AllDay = future.inst.AllDay
	}
	return in, true
}

// near is the broad test of Each: closed-interval intersection, plus
// instances without any time (a VTODO with neither DTSTART nor DUE).
func near(in Instance, start, end time.Time) bool {
	if !in.HasStart && in.Start.IsZero() {
		return true
	}
	if !end.IsZero() && in.Start.After(end) {
		return false
	}
	if !start.IsZero() && in.End.Before(start) && in.Start.Before(start) {
		return false
	}
	return true
}

// Instances returns, sorted by start, the instances for which
// Context.Overlaps(instance, start, end) holds.
func (s *Set) Instances(start, end time.Time, lim Limits) ([]Instance, error) {
	var out []Instance
	err := s.Each(start, end, lim, func(in Instance) bool {
		if s.ctx.Overlaps(in, start, end) {
			out = append(out, in)
		}
		return true
	})
	slices.SortStableFunc(out, func(a, b Instance) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return a.RecurrenceID.Compare(b.RecurrenceID)
	})
	return out, err
}

// Any reports whether some instance satisfies Context.Overlaps for the
// range (and pred, when not nil). It stops at the first one.
func (s *Set) Any(start, end time.Time, lim Limits, pred func(Instance) bool) (bool, error) {
	found := false
	err := s.Each(start, end, lim, func(in Instance) bool {
		if s.ctx.Overlaps(in, start, end) && (pred == nil || pred(in)) {
			found = true
		}
		return !found
	})
	if found {
		return true, nil
	}
	return false, err
}

func durSpan(a, b time.Time) time.Duration {
	if b.After(a) {
		return b.Sub(a)
	}
	return 0
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// IsTooMany reports whether err is (or wraps) ErrTooManyInstances.
func IsTooMany(err error) bool { return errors.Is(err, ErrTooManyInstances) }

package caldav

import (
	"math"
	"slices"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/query"
	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/dav"
)

// span summarises where in time a calendar object's instances lie: per
// component type, the earliest start and latest end of all instances,
// widened by the largest UTC offset so that floating and all-day times
// are covered whatever the calendar's time zone. It lets calendar-query
// skip objects that cannot match a time-range without parsing them; it
// is cached by blob id, so it is computed once per stored version.
type span struct {
	comps []compSpan // one per component type, usually one
}

// compSpan is the span of one component type of an object.
type compSpan struct {
	name string
	iv   interval
	// exact holds, for a VEVENT or VJOURNAL that is the object's only
	// group of its type, every one of its instances, when they are few
	// (at most exactInstances) and the same in every time zone (no
	// floating or all-day times). A filter asking only for a time range
	// on that component is then decided from them, without parsing the
	// object (see decide). hasExact tells an empty list from none.
	exact    []exactInstance
	hasExact bool
	// broken: a group of this type has a recurrence the filter cannot
	// evaluate (the object is then matched the slow way, which skips it).
	broken bool
}

// exactCount is the number of exact instances of component type name.
func (s *span) exactCount(name string) int {
	if c, ok := s.comp(name); ok {
		return len(c.exact)
	}
	return 0
}

// comp returns the span of component type name.
func (s *span) comp(name string) (*compSpan, bool) {
	for i := range s.comps {
		if s.comps[i].name == name {
			return &s.comps[i], true
		}
	}
	return nil, false
}

// exactInstances bounds the instances a span keeps to decide queries.
const exactInstances = 64

// exactInstance is what deciding a time range needs of an instance of a
// VEVENT or VJOURNAL whose times do not depend on the floating zone: its
// start and end in Unix seconds, the start noStart for an instance
// without one. It takes 16 bytes where a recur.Instance takes about 100,
// and a calendar's spans keep thousands.
type exactInstance struct{ start, end int64 }

const noStart = math.MinInt64

// exactOfInstance is the exactInstance of in, false when its times are
// not whole seconds.
func exactOfInstance(in recur.Instance) (exactInstance, bool) {
	if !in.HasStart {
		return exactInstance{start: noStart}, true
	}
	if in.Start.Nanosecond() != 0 || in.End.Nanosecond() != 0 {
		return exactInstance{}, false
	}
	return exactInstance{in.Start.Unix(), in.End.Unix()}, true
}

// instance is in as a recur.Instance of component type name, with what
// recur.Context.Overlaps reads of one (for a VEVENT or VJOURNAL that is
// not all-day).
func (in exactInstance) instance(name string) recur.Instance {
	if in.start == noStart {
		return recur.Instance{Component: nameOnly(name)}
	}
	return recur.Instance{Start: time.Unix(in.start, 0).UTC(), End: time.Unix(in.end, 0).UTC(), HasStart: true, Component: nameOnly(name)}
}

// interval is a closed span of time; a zero bound is open (unbounded).
type interval struct {
	start, end time.Time
}

// maxOffset is the largest distance of a local time from UTC.
const maxOffset = 14 * time.Hour

// spanInstances bounds the instances read to bound one component's span;
// beyond it the span's end is open.
const spanInstances = 2000

// spanOf computes the span of a parsed object.
func spanOf(cal *ical.Calendar, resolver recur.Resolver, lim recur.Limits) *span {
	s := &span{}
	groups := recur.Groups(cal)
	count := map[string]int{}
	for _, g := range groups {
		count[g.Name]++
	}
	for _, g := range groups {
		iv, valid := groupInterval(cal, g, resolver, lim)
		c, ok := s.comp(g.Name)
		if !ok {
			s.comps = append(s.comps, compSpan{name: g.Name, iv: iv})
			c = &s.comps[len(s.comps)-1]
		} else {
			c.iv = union(c.iv, iv)
		}
		c.broken = c.broken || !valid
		if count[g.Name] == 1 && (g.Name == ical.CompEvent || g.Name == ical.CompJournal) {
			c.exact, c.hasExact = exactOf(cal, g, resolver, lim)
		}
	}
	s.comps = slices.Clip(s.comps)
	return s
}

// probeZone is a floating time zone unlike UTC, to tell whether a
// group's instances depend on the zone they are read in.
var probeZone = time.FixedZone("probe", 7*3600+1800)

// exactOf lists the instances of group g when there are at most
// exactInstances and they do not depend on the floating time zone.
func exactOf(cal *ical.Calendar, g recur.Group, resolver recur.Resolver, lim recur.Limits) ([]exactInstance, bool) {
	// A set with more instances has no exact list: expanding it stops
	// there (ErrTooManyInstances), not after the thousands a rule may give.
	lim.MaxInstances = exactInstances + 1
	list := func(floating *time.Location) ([]recur.Instance, bool) {
		set, err := recur.New(g.Components, recur.Context{Calendar: cal, Resolver: resolver, Floating: floating})
		if err != nil {
			return nil, false
		}
		var out []recur.Instance
		complete := true
		err = set.Each(time.Time{}, time.Time{}, lim, func(in recur.Instance) bool {
			if len(out) == exactInstances {
				complete = false
				return false
			}
			out = append(out, in)
			return true
		})
		return out, err == nil && complete
	}
	utc, ok := list(nil)
	if !ok {
		return nil, false
	}
	other, ok := list(probeZone)
	if !ok || len(other) != len(utc) {
		return nil, false
	}
	out := make([]exactInstance, len(utc))
	for i := range utc {
		a, b := utc[i], other[i]
		if a.AllDay || !a.Start.Equal(b.Start) || !a.End.Equal(b.End) || a.HasStart != b.HasStart || a.EndKind != b.EndKind {
			return nil, false
		}
		if out[i], ok = exactOfInstance(a); !ok {
			return nil, false
		}
	}
	return out, true
}

// nameOnly returns a shared, empty component named name.
func nameOnly(name string) *ical.Component {
	switch name {
	case ical.CompEvent:
		return eventStub
	case ical.CompJournal:
		return journalStub
	}
	return &ical.Component{Name: name}
}

var (
	eventStub   = &ical.Component{Name: ical.CompEvent}
	journalStub = &ical.Component{Name: ical.CompJournal}
)

// timeRangeOnly is a filter a span can decide alone: VCALENDAR holding
// exactly one comp-filter and nothing else, which is a VEVENT, VTODO or
// VJOURNAL without time-range (is there one?), or a VEVENT or VJOURNAL
// with a time-range.
type timeRangeOnly struct {
	comp       string
	start, end time.Time
	anyTime    bool // no time-range
}

// timeRangeOnlyOf returns f as a timeRangeOnly, or nil when it asks for more.
func timeRangeOnlyOf(f *query.Filter) *timeRangeOnly {
	if f == nil || f.Comp == nil || f.Comp.Name != ical.CompCalendar || f.Comp.IsNotDefined || len(f.Comp.Props) > 0 || len(f.Comp.Comps) != 1 {
		return nil
	}
	c := f.Comp.Comps[0]
	if c.IsNotDefined || len(c.Props) > 0 || len(c.Comps) > 0 {
		return nil
	}
	switch {
	case c.TimeRange == nil && (c.Name == ical.CompEvent || c.Name == ical.CompToDo || c.Name == ical.CompJournal):
		return &timeRangeOnly{comp: c.Name, anyTime: true}
	case c.TimeRange != nil && (c.Name == ical.CompEvent || c.Name == ical.CompJournal):
		return &timeRangeOnly{comp: c.Name, start: c.TimeRange.Start, end: c.TimeRange.End}
	}
	return nil
}

// decide answers the filter q from the span alone: matched, and whether
// the span could decide (it holds the component's exact instances).
func (s *span) decide(q *timeRangeOnly) (matched, decided bool) {
	c, ok := s.comp(q.comp)
	if !ok {
		return false, true // no such component: nothing to match
	}
	if c.broken {
		return false, false
	}
	if q.anyTime {
		return true, true
	}
	if !c.hasExact {
		return false, false
	}
	var ctx recur.Context
	for _, in := range c.exact {
		if ctx.Overlaps(in.instance(c.name), q.start, q.end) {
			return true, true
		}
	}
	return false, true
}

// groupInterval bounds one master-and-overrides group; any failure gives
// the open interval (which never excludes). valid is false when the
// group's recurrence cannot be evaluated at all.
func groupInterval(cal *ical.Calendar, g recur.Group, resolver recur.Resolver, lim recur.Limits) (iv interval, valid bool) {
	set, err := recur.New(g.Components, recur.Context{Calendar: cal, Resolver: resolver})
	if err != nil {
		return interval{}, false
	}
	n := 0
	open := false
	err = set.Each(time.Time{}, time.Time{}, lim, func(in recur.Instance) bool {
		n++
		if !in.HasStart {
			open = true
			return false
		}
		end := in.End
		if end.Before(in.Start) {
			end = in.Start
		}
		if iv.start.IsZero() || in.Start.Before(iv.start) {
			iv.start = in.Start
		}
		if iv.end.IsZero() || end.After(iv.end) {
			iv.end = end
		}
		return n < spanInstances
	})
	if err != nil || open || n == 0 {
		return interval{}, true
	}
	if n >= spanInstances {
		return interval{}, true // too many to bound cheaply: never exclude
	}
	if !iv.start.IsZero() {
		iv.start = iv.start.Add(-maxOffset)
	}
	if !iv.end.IsZero() {
		iv.end = iv.end.Add(maxOffset)
	}
	return iv, true
}

// union is the smallest interval holding a and b.
func union(a, b interval) interval {
	out := a
	if a.start.IsZero() || b.start.IsZero() {
		out.start = time.Time{}
	} else if b.start.Before(a.start) {
		out.start = b.start
	}
	if a.end.IsZero() || b.end.IsZero() {
		out.end = time.Time{}
	} else if b.end.After(a.end) {
		out.end = b.end
	}
	return out
}

// overlaps reports whether the interval meets [start, end) (zero bounds
// open on either side).
func (iv interval) overlaps(start, end time.Time) bool {
	if !end.IsZero() && !iv.start.IsZero() && !iv.start.Before(end) {
		return false
	}
	if !start.IsZero() && !iv.end.IsZero() && iv.end.Before(start) {
		return false
	}
	return true
}

// prefilter is what a filter requires of an object's span: components
// whose instances must meet a time range.
type prefilter []struct {
	comp  string
	start time.Time
	end   time.Time
}

// prefilterOf reads the top-level requirements of a calendar-query filter
// that a span can decide: VCALENDAR > VEVENT or VJOURNAL with a
// time-range (and not is-not-defined). VTODO's rules (§9.9) involve more
// than its instances, so it is not prefiltered.
func prefilterOf(f *query.Filter) prefilter {
	var p prefilter
	if f == nil || f.Comp == nil || f.Comp.IsNotDefined {
		return nil
	}
	for _, c := range f.Comp.Comps {
		if c.IsNotDefined || c.TimeRange == nil || (c.Name != ical.CompEvent && c.Name != ical.CompJournal) {
			continue
		}
		p = append(p, struct {
			comp  string
			start time.Time
			end   time.Time
		}{c.Name, c.TimeRange.Start, c.TimeRange.End})
	}
	return p
}

// excludes reports whether an object with span s certainly fails p.
func (p prefilter) excludes(s *span) bool {
	for _, r := range p {
		c, ok := s.comp(r.comp)
		if !ok || !c.iv.overlaps(r.start, r.end) {
			return true
		}
	}
	return false
}

// spanFor returns the cached span of an object, computing it (and
// parsing the object) on the first request for its blob id.
func (h *handler) spanFor(n *dav.Node) (*span, error) {
	key, keyed := keyOf(n)
	if keyed {
		if s, ok := h.spans.Get(key); ok {
			return s, nil
		}
	}
	o, err := h.load(n)
	if err != nil {
		return nil, err
	}
	if o.cal == nil {
		return nil, nil
	}
	s := spanOf(o.cal, h.o.Resolver, h.recurLimits(spanInstances))
	if keyed {
		h.spans.Put(key, s)
	}
	return s, nil
}

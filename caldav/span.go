package caldav

import (
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
	comps map[string]interval // component name → bounds
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
	s := &span{comps: map[string]interval{}}
	for _, g := range recur.Groups(cal) {
		iv := groupInterval(cal, g, resolver, lim)
		if old, ok := s.comps[g.Name]; ok {
			iv = union(old, iv)
		}
		s.comps[g.Name] = iv
	}
	return s
}

// groupInterval bounds one master-and-overrides group; any failure gives
// the open interval (which never excludes).
func groupInterval(cal *ical.Calendar, g recur.Group, resolver recur.Resolver, lim recur.Limits) interval {
	set, err := recur.New(g.Components, recur.Context{Calendar: cal, Resolver: resolver})
	if err != nil {
		return interval{}
	}
	var iv interval
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
		return interval{}
	}
	if n >= spanInstances {
		return interval{} // too many to bound cheaply: never exclude
	}
	if !iv.start.IsZero() {
		iv.start = iv.start.Add(-maxOffset)
	}
	if !iv.end.IsZero() {
		iv.end = iv.end.Add(maxOffset)
	}
	return iv
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
		iv, ok := s.comps[r.comp]
		if !ok || !iv.overlaps(r.start, r.end) {
			return true
		}
	}
	return false
}

// spanFor returns the cached span of an object, computing it (and
// parsing the object) on the first request for its blob id.
func (h *handler) spanFor(n *dav.Node) (*span, error) {
	if n.Hash != "" {
		if s, ok := h.spans.Get(n.Hash); ok {
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
	if n.Hash != "" {
		h.spans.Put(n.Hash, s)
	}
	return s, nil
}

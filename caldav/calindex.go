package caldav

import (
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/internal/readahead"
)

// calendarIndex lists one version of a calendar (one tree id): each
// object member with its blob id, property file id and time span. A
// calendar-query on an unchanged calendar then visits only the members
// whose span can match, instead of listing 10,000 members and looking
// up 10,000 spans again; the index of a changed calendar is made anew
// (its members' spans are cached by blob id, so that is lookups, not
// parsing).
type calendarIndex struct {
	members []indexedMember
	// bounds holds, per component type some member has, every member's
	// span of that type in whole seconds, in member order: a time-range
	// prefilter then reads one flat array instead of 10,000 spans.
	bounds map[string][]secondsInterval
}

// indexedMember is one object member of an indexed calendar.
type indexedMember struct {
	name, hash, propID string
	// span is nil when the object has none (not iCalendar, or unreadable):
	// such a member is always evaluated the slow way.
	span *span
}

// secondsInterval is an interval in Unix seconds, widened to whole
// seconds; open ends are math.MinInt64 and math.MaxInt64. A member
// without the component has start > end, which meets no range.
type secondsInterval struct{ start, end int64 }

var (
	openSeconds   = secondsInterval{math.MinInt64, math.MaxInt64}
	absentSeconds = secondsInterval{math.MaxInt64, math.MinInt64}
)

// secondsOf converts iv, widening it to whole seconds.
func secondsOf(iv interval) secondsInterval {
	out := openSeconds
	if !iv.start.IsZero() {
		out.start = floorSeconds(iv.start)
	}
	if !iv.end.IsZero() {
		out.end = ceilSeconds(iv.end)
	}
	return out
}

func floorSeconds(t time.Time) int64 { return t.Unix() } // Unix floors

func ceilSeconds(t time.Time) int64 {
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

// calendarIndexMembers bounds the members the indexes of all calendars
// hold together (two generations of half of it).
const calendarIndexMembers = 24_000

// calendarIndexOf returns the index of calendar cal as read (its Hash is
// its tree id), making it on first use.
func (h *handler) calendarIndexOf(cal *dav.Node) (*calendarIndex, error) {
	if cal.Hash != "" {
		if idx, ok := h.calIndexes.Get(cal.Hash); ok {
			return idx, nil
		}
	}
	kids, err := cal.Children()
	if err != nil {
		return nil, fmt.Errorf("caldav: listing %s: %w", cal.Href(), err)
	}
	spans := h.memberSpans(kids)
	idx := &calendarIndex{members: make([]indexedMember, 0, len(kids)), bounds: map[string][]secondsInterval{}}
	for i, k := range kids {
		if k.Collection {
			continue
		}
		dav.Pace(i)
		idx.add(indexedMember{name: k.Name(), hash: k.Hash, propID: k.PropID(), span: spans[i]})
	}
	if cal.Hash != "" {
		h.calIndexes.Put(cal.Hash, idx)
	}
	return idx, nil
}

// memberSpans returns the span of each object in kids (nil for a
// collection, or an object without one). A span not cached costs a parse
// (after a restart, every member's: 1.2 s for 10,000 events on one
// core); those are made on as many goroutines as there are cores.
func (h *handler) memberSpans(kids []*dav.Node) []*span {
	spans := make([]*span, len(kids))
	var missing []int
	for i, k := range kids {
		if k.Collection {
			continue
		}
		if key, ok := keyOf(k); ok {
			if s, ok := h.spans.Get(key); ok {
				spans[i] = s
				continue
			}
		}
		missing = append(missing, i)
	}
	type made struct {
		i int
		s *span
	}
	load := func(j int) made {
		dav.Pace(j)
		i := missing[j]
		s, err := h.spanFor(kids[i])
		if err != nil {
			s = nil // evaluated the slow way, as an unreadable member
		}
		return made{i, s}
	}
	for m := range readahead.Seq(len(missing), runtime.GOMAXPROCS(0), load) {
		spans[m.i] = m.s
	}
	return spans
}

// add appends member m, extending the bounds of every component type.
func (idx *calendarIndex) add(m indexedMember) {
	at := len(idx.members)
	idx.members = append(idx.members, m)
	if m.span != nil {
		for _, c := range m.span.comps {
			if _, ok := idx.bounds[c.name]; !ok {
				b := make([]secondsInterval, at, cap(idx.members))
				for j := range b {
					b[j] = absentSeconds
					if idx.members[j].span == nil {
						b[j] = openSeconds
					}
				}
				idx.bounds[c.name] = b
			}
		}
	}
	for name, b := range idx.bounds {
		v := openSeconds
		if m.span != nil {
			v = absentSeconds
			if c, ok := m.span.comp(name); ok {
				v = secondsOf(c.iv)
			}
		}
		idx.bounds[name] = append(b, v)
	}
}

// candidates calls f with the number of each member a time-range
// prefilter p does not exclude, in order, until f fails.
func (idx *calendarIndex) candidates(p prefilter, f func(i int) error) error {
	type rule struct {
		bounds     []secondsInterval
		start, end int64
	}
	rules := make([]rule, 0, len(p))
	for _, r := range p {
		b, ok := idx.bounds[r.comp]
		if !ok {
			return nil // no member has the component
		}
		x := rule{bounds: b, start: math.MinInt64, end: math.MaxInt64}
		if !r.start.IsZero() {
			x.start = floorSeconds(r.start)
		}
		if !r.end.IsZero() {
			x.end = ceilSeconds(r.end)
		}
		rules = append(rules, x)
	}
next:
	for i := range idx.members {
		for _, r := range rules {
			// The interval is closed: it misses [start, end) when it
			// begins at or after end or ends before start.
			if iv := r.bounds[i]; iv.start >= r.end || iv.end < r.start {
				continue next
			}
		}
		if err := f(i); err != nil {
			return err
		}
	}
	return nil
}

package recur

import (
	"time"

	"github.com/emersion/go-ical"
)

// Overlaps reports whether inst overlaps the time range [start, end) with
// the conditions of RFC 4791 §9.9 for its component type (VEVENT, VTODO,
// VJOURNAL; other types use the VEVENT rule). A zero start or end means an
// open range (-infinity / +infinity).
func (c Context) Overlaps(inst Instance, start, end time.Time) bool {
	lt := func(a, b time.Time) bool { return a.Before(b) }                      // a < b
	le := func(a, b time.Time) bool { return !b.Before(a) }                     // a <= b
	gtEnd := func(t time.Time) bool { return end.IsZero() || end.After(t) }     // end > t
	geEnd := func(t time.Time) bool { return end.IsZero() || !end.Before(t) }   // end >= t
	ltStart := func(t time.Time) bool { return start.IsZero() || lt(start, t) } // start < t
	leStart := func(t time.Time) bool { return start.IsZero() || le(start, t) } // start <= t
	comp := ""
	if inst.Component != nil {
		comp = inst.Component.Name
	}
	switch comp {
	case ical.CompToDo:
		return c.todoOverlaps(inst, ltStart, leStart, gtEnd, geEnd)
	case ical.CompJournal:
		if !inst.HasStart {
			return false
		}
		if inst.AllDay {
			return ltStart(inst.End) && gtEnd(inst.Start)
		}
		return leStart(inst.Start) && gtEnd(inst.Start)
	}
	if !inst.HasStart {
		return false
	}
	if inst.End.After(inst.Start) {
		// DTEND, DURATION > 0, or DATE + P1D.
		return ltStart(inst.End) && gtEnd(inst.Start)
	}
	// Zero duration (DATE-TIME without DTEND/DURATION, or DURATION <= 0).
	return leStart(inst.Start) && gtEnd(inst.Start)
}

// todoOverlaps is the VTODO table of RFC 4791 §9.9.
func (c Context) todoOverlaps(inst Instance, ltStart, leStart, gtEnd, geEnd func(time.Time) bool) bool {
	switch {
	case inst.HasStart && inst.EndKind == EndDuration:
		return leStart(inst.End) && (gtEnd(inst.Start) || geEnd(inst.End))
	case inst.HasStart && inst.EndKind == EndExplicit:
		return (ltStart(inst.End) || leStart(inst.Start)) && (gtEnd(inst.Start) || geEnd(inst.End))
	case inst.HasStart:
		return leStart(inst.Start) && gtEnd(inst.Start)
	case inst.EndKind == EndExplicit:
		return ltStart(inst.End) && geEnd(inst.End)
	}
	completed, _, hasCompleted, err1 := c.propTime(inst.Component, ical.PropCompleted)
	created, _, hasCreated, err2 := c.propTime(inst.Component, ical.PropCreated)
	hasCompleted = hasCompleted && err1 == nil
	hasCreated = hasCreated && err2 == nil
	switch {
	case hasCompleted && hasCreated:
		return (leStart(created) || leStart(completed)) && (geEnd(created) || geEnd(completed))
	case hasCompleted:
		return leStart(completed) && geEnd(completed)
	case hasCreated:
		return gtEnd(created)
	}
	return true
}

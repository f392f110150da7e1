// Package recur turns the components of one iCalendar object into
// recurrence instances: RRULE, RDATE (DATE, DATE-TIME, PERIOD, comma lists),
// EXDATE, RECURRENCE-ID overrides (including RANGE=THISANDFUTURE), all-day
// and floating values, and the effective end of every instance as RFC 4791
// §9.9 defines it (DTEND, DURATION, DUE or the defaults).
//
// Expansion is bounded by Limits: an unbounded rule never makes the server
// spin, and ErrTooManyInstances is reported only when the caller's window
// really holds more instances than allowed.
package recur

import (
	"fmt"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur/value"
	"github.com/gocaldav/gocaldav/caldav/tz"
)

// Resolver resolves a TZID, looking into cal's VTIMEZONEs when needed.
// *tz.Resolver implements it.
type Resolver interface {
	Location(tzid string, cal *ical.Calendar) (*time.Location, error)
}

// Context says how to turn the date-times of one calendar object into
// instants.
type Context struct {
	// Calendar holds the VTIMEZONE components TZIDs may refer to. May be nil.
	Calendar *ical.Calendar
	// Resolver resolves TZIDs; nil means tz.Default.
	Resolver Resolver
	// Floating is the zone of floating date-times and DATE values: the
	// calendar collection's calendar-timezone, or the query's
	// CALDAV:timezone (RFC 4791 §9.8). nil means UTC.
	Floating *time.Location
}

func (c Context) resolver() Resolver {
	if c.Resolver == nil {
		return tz.Default
	}
	return c.Resolver
}

// Location returns the zone in which the wall clock of dt is read.
func (c Context) Location(dt value.DateTime) (*time.Location, error) {
	switch dt.Kind {
	case value.KindUTC:
		return time.UTC, nil
	case value.KindZoned:
		loc, err := c.resolver().Location(dt.TZID, c.Calendar)
		if err != nil {
			return nil, fmt.Errorf("recur: %w", err)
		}
		return loc, nil
	}
	if c.Floating == nil {
		return time.UTC, nil
	}
	return c.Floating, nil
}

// Time returns the instant of dt.
func (c Context) Time(dt value.DateTime) (time.Time, error) {
	loc, err := c.Location(dt)
	if err != nil {
		return time.Time{}, err
	}
	return dt.In(loc), nil
}

// PropTime parses a single DATE/DATE-TIME property and returns its instant
// and parsed value.
func (c Context) PropTime(p *ical.Prop) (time.Time, value.DateTime, error) {
	dt, err := value.PropDateTime(p)
	if err != nil {
		return time.Time{}, dt, fmt.Errorf("recur: %s: %w", p.Name, err)
	}
	t, err := c.Time(dt)
	if err != nil {
		return time.Time{}, dt, fmt.Errorf("recur: %s: %w", p.Name, err)
	}
	return t, dt, nil
}

// propTime is PropTime on the first property called name; ok is false
// when the component has none.
func (c Context) propTime(comp *ical.Component, name string) (t time.Time, dt value.DateTime, ok bool, err error) {
	p := comp.Props.Get(name)
	if p == nil {
		return time.Time{}, dt, false, nil
	}
	t, dt, err = c.PropTime(p)
	return t, dt, err == nil, err
}

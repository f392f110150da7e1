package icalobj

import (
	"errors"
	"fmt"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// Preconditions of RFC 4791 §5.3.2 (and §4.1) named by *Error.Condition:
// the local name of the CALDAV:<condition/> element of a DAV:error body.
const (
	CondSupportedCalendarData      = "supported-calendar-data"
	CondValidCalendarData          = "valid-calendar-data"
	CondValidCalendarObject        = "valid-calendar-object-resource"
	CondSupportedCalendarComponent = "supported-calendar-component"
	CondMaxResourceSize            = "max-resource-size"
	CondMinDateTime                = "min-date-time"
	CondMaxDateTime                = "max-date-time"
	CondMaxInstances               = "max-instances"
)

// Error is a failed PUT precondition. The HTTP layer answers 403 (or 507
// for max-resource-size if it prefers) with <C:Condition/>.
type Error struct {
	Condition string
	Err       error
}

// Error implements error.
func (e *Error) Error() string { return fmt.Sprintf("icalobj: %s: %v", e.Condition, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func fail(cond string, format string, args ...any) *Error {
	return &Error{Condition: cond, Err: fmt.Errorf(format, args...)}
}

// Rules are the collection's limits for Validate. Zero fields mean no
// limit (Components nil = any of VEVENT, VTODO, VJOURNAL, VFREEBUSY).
type Rules struct {
	// MaxSize is CALDAV:max-resource-size in octets.
	MaxSize int
	// Components is CALDAV:supported-calendar-component-set.
	Components []string
	// MinDateTime and MaxDateTime are CALDAV:min-date-time /
	// max-date-time: every DTSTART, DTEND, DUE, RECURRENCE-ID and every
	// instance start must lie within them.
	MinDateTime, MaxDateTime time.Time
	// MaxInstances is CALDAV:max-instances (0 = no limit).
	MaxInstances int
	// HorizonYears is the recurrence horizon of the server's reports
	// (0 = recur.DefaultHorizonYears): instances beyond it count neither
	// for MaxInstances nor for the time bounds.
	HorizonYears int
	// Floating is the calendar's zone for floating times (nil = UTC).
	Floating *time.Location
	// Resolver resolves TZIDs (nil = tz.Default).
	Resolver recur.Resolver
}

// Summary describes a valid calendar object for the caller's index.
type Summary struct {
	UID string
	// Component is the object's component type (VEVENT, VTODO, ...).
	Component string
	// Recurring is true when the master has RRULE or RDATE.
	Recurring bool
	// Overrides counts RECURRENCE-ID components.
	Overrides int
	// Start and End bound the object in time: the first instance start
	// and the last instance end. End is zero when the set has more
	// instances than the expansion limit (e.g. an unbounded rule). Both
	// are zero for objects without times.
	Start, End time.Time
	// TZIDs lists the TZIDs referenced by properties.
	TZIDs []string
	// Calendar is the parsed object; the caller stores the original
	// bytes, never a re-encoding of this.
	Calendar *ical.Calendar
}

// validateMaxSteps bounds rule evaluation during Validate.
const validateMaxSteps = 100_000

var defaultComponents = []string{ical.CompEvent, ical.CompToDo, ical.CompJournal, ical.CompFreeBusy}

// Validate checks data as the body of a PUT into a calendar collection:
// it parses, enforces RFC 4791 §4.1 (one component type plus VTIMEZONEs,
// one UID shared by all components, no METHOD) and the collection's
// Rules, and returns a Summary. Errors are *Error. data is never
// modified; ATTENDEE/ORGANIZER and everything else stay as sent.
func Validate(data []byte, r Rules) (*Summary, error) {
	if r.MaxSize > 0 && len(data) > r.MaxSize {
		return nil, fail(CondMaxResourceSize, "%d octets exceed the limit of %d", len(data), r.MaxSize)
	}
	cal, err := Parse(data)
	if err != nil {
		return nil, &Error{Condition: CondValidCalendarData, Err: err}
	}
	if err := checkCalendar(cal); err != nil {
		return nil, err
	}
	sum, err := checkObject(cal, r)
	if err != nil {
		return nil, err
	}
	if err := checkTimes(cal, sum, r); err != nil {
		return nil, err
	}
	return sum, nil
}

// checkCalendar checks the VCALENDAR-level rules of RFC 5545.
func checkCalendar(cal *ical.Calendar) error {
	for _, n := range []string{ical.PropVersion, ical.PropProductID} {
		if len(cal.Props[n]) != 1 {
			return fail(CondValidCalendarData, "VCALENDAR needs exactly one %s", n)
		}
	}
	if v := cal.Props.Get(ical.PropVersion).Value; v != "2.0" {
		return fail(CondSupportedCalendarData, "iCalendar version %q", v)
	}
	return nil
}

// checkObject enforces RFC 4791 §4.1 and the supported component set.
func checkObject(cal *ical.Calendar, r Rules) (*Summary, error) {
	if cal.Props.Get(ical.PropMethod) != nil {
		return nil, fail(CondValidCalendarObject, "METHOD is not allowed in a calendar object resource")
	}
	sum := &Summary{Calendar: cal}
	seenTZ := map[string]bool{}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			id := c.Props.Get(ical.PropTimezoneID)
			if id == nil || id.Value == "" {
				return nil, fail(CondValidCalendarData, "VTIMEZONE without TZID")
			}
			if seenTZ[id.Value] {
				return nil, fail(CondValidCalendarData, "two VTIMEZONEs with TZID %q", id.Value)
			}
			seenTZ[id.Value] = true
			continue
		}
		if sum.Component == "" {
			sum.Component = c.Name
		} else if c.Name != sum.Component {
			return nil, fail(CondValidCalendarObject, "mixes %s and %s components", sum.Component, c.Name)
		}
		uids := c.Props[ical.PropUID]
		if len(uids) != 1 || uids[0].Value == "" {
			return nil, fail(CondValidCalendarObject, "%s needs exactly one UID", c.Name)
		}
		if sum.UID == "" {
			sum.UID = uids[0].Value
		} else if uids[0].Value != sum.UID {
			return nil, fail(CondValidCalendarObject, "more than one UID (%q, %q)", sum.UID, uids[0].Value)
		}
		if c.Props.Get(ical.PropRecurrenceID) != nil {
			sum.Overrides++
		}
		if err := checkComponent(c); err != nil {
			return nil, err
		}
	}
	if sum.Component == "" {
		return nil, fail(CondValidCalendarObject, "no calendar component")
	}
	allowed := r.Components
	if allowed == nil {
		allowed = defaultComponents
	}
	ok := false
	for _, a := range allowed {
		ok = ok || a == sum.Component
	}
	if !ok {
		return nil, fail(CondSupportedCalendarComponent, "%s is not supported by this collection", sum.Component)
	}
	return sum, nil
}

// checkComponent checks the RFC 5545 rules the server relies on.
func checkComponent(c *ical.Component) error {
	if (c.Name == ical.CompEvent || c.Name == ical.CompToDo || c.Name == ical.CompJournal) && len(c.Props[ical.PropDateTimeStamp]) > 1 {
		return fail(CondValidCalendarData, "%s has more than one DTSTAMP", c.Name)
	}
	for _, n := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue, ical.PropDuration, ical.PropRecurrenceID, ical.PropRecurrenceRule} {
		if len(c.Props[n]) > 1 {
			return fail(CondValidCalendarData, "%s has more than one %s", c.Name, n)
		}
	}
	switch c.Name {
	case ical.CompEvent:
		if c.Props.Get(ical.PropDateTimeEnd) != nil && c.Props.Get(ical.PropDuration) != nil {
			return fail(CondValidCalendarData, "VEVENT has both DTEND and DURATION")
		}
	case ical.CompToDo:
		if c.Props.Get(ical.PropDue) != nil && c.Props.Get(ical.PropDuration) != nil {
			return fail(CondValidCalendarData, "VTODO has both DUE and DURATION")
		}
	}
	if (c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceDates) != nil) && c.Props.Get(ical.PropDateTimeStart) == nil {
		return fail(CondValidCalendarData, "%s recurs without DTSTART", c.Name)
	}
	return nil
}

// checkTimes parses every time the server evaluates (so later queries
// cannot fail on this object), resolves TZIDs, and applies the date
// limits. It fills the summary's time bounds.
func checkTimes(cal *ical.Calendar, sum *Summary, r Rules) error {
	ctx := recur.Context{Calendar: cal, Resolver: r.Resolver, Floating: r.Floating}
	sum.TZIDs = tzids(cal)
	for _, id := range sum.TZIDs {
		// Every TZID must resolve (RFC 5545 §3.2.19); "Local" never does.
		if _, err := ctx.Location(value.DateTime{Kind: value.KindZoned, TZID: id}); err != nil {
			return fail(CondValidCalendarData, "%v", err)
		}
	}
	open := false // some group's instances go past the expansion limit
	for _, g := range recur.Groups(cal) {
		set, err := recur.New(g.Components, ctx)
		if err != nil {
			return fail(CondValidCalendarData, "%v", err)
		}
		sum.Recurring = sum.Recurring || set.Recurring()
		// Validation only needs bounds; a smaller step budget keeps a
		// PUT of a pathological rule cheap.
		lim := recur.Limits{MaxSteps: validateMaxSteps, HorizonYears: r.HorizonYears}
		if r.MaxInstances > 0 {
			lim.MaxInstances = r.MaxInstances
		}
		// The instances are checked as they come, not collected: a rule
		// may give thousands.
		var outside error // the first instance outside the allowed dates
		var last time.Time
		err = set.Each(time.Time{}, time.Time{}, lim, func(in recur.Instance) bool {
			if in.Start.IsZero() || outside != nil {
				return true
			}
			if !r.MinDateTime.IsZero() && in.Start.Before(r.MinDateTime) {
				outside = fail(CondMinDateTime, "instance at %s is before %s", in.Start.UTC().Format(time.RFC3339), r.MinDateTime.UTC().Format(time.RFC3339))
			}
			if !r.MaxDateTime.IsZero() && in.End.After(r.MaxDateTime) && outside == nil {
				outside = fail(CondMaxDateTime, "instance ending %s is after %s", in.End.UTC().Format(time.RFC3339), r.MaxDateTime.UTC().Format(time.RFC3339))
			}
			if sum.Start.IsZero() || in.Start.Before(sum.Start) {
				sum.Start = in.Start
			}
			if in.End.After(last) {
				last = in.End
			}
			return true
		})
		if errors.Is(err, recur.ErrTooManyInstances) {
			if r.MaxInstances > 0 {
				return fail(CondMaxInstances, "more than %d instances", r.MaxInstances)
			}
			// Unbounded rule: the instances seen so far give the
			// summary's Start; End stays open.
			open = true
		} else if err != nil {
			return fail(CondValidCalendarData, "%v", err)
		}
		if outside != nil {
			return outside
		}
		if open {
			sum.End = time.Time{}
			if !r.MaxDateTime.IsZero() {
				return fail(CondMaxDateTime, "unbounded recurrence goes past %s", r.MaxDateTime.UTC().Format(time.RFC3339))
			}
		} else if last.After(sum.End) {
			sum.End = last
		}
	}
	return nil
}

// tzids lists the distinct TZID parameters used anywhere in cal.
func tzids(cal *ical.Calendar) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(c *ical.Component)
	walk = func(c *ical.Component) {
		for _, ps := range c.Props {
			for _, p := range ps {
				if id := p.Params.Get(ical.PropTimezoneID); id != "" && !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
		for _, ch := range c.Children {
			walk(ch)
		}
	}
	walk(cal.Component)
	return out
}

package recur

import (
	"fmt"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// EndKind tells where an instance's End came from.
type EndKind int

const (
	// EndNone: no DTEND, DUE or DURATION; End is the RFC 4791 default
	// (DTSTART, or DTSTART+P1D for a DATE DTSTART of a VEVENT/VJOURNAL).
	EndNone EndKind = iota
	// EndExplicit: End comes from DTEND (VEVENT, VFREEBUSY) or DUE (VTODO).
	EndExplicit
	// EndDuration: End is DTSTART+DURATION.
	EndDuration
)

// Instance is one occurrence of a component.
type Instance struct {
	// Start is the effective DTSTART. For a VTODO without DTSTART it is
	// the DUE (or zero when there is no DUE either); see HasStart.
	Start time.Time
	// End is the effective DTEND / DUE (see EndKind).
	End time.Time
	// RecurrenceID is the instance's original start (zero for a
	// non-recurring component).
	RecurrenceID time.Time
	// Component is the master component or the override that defines
	// this instance's properties.
	Component *ical.Component
	// Override is true when Component is a RECURRENCE-ID override.
	Override bool
	// AllDay is true when DTSTART is a DATE.
	AllDay bool
	// HasStart is false for a VTODO without DTSTART.
	HasStart bool
	// EndKind says how End was obtained.
	EndKind EndKind
}

// shape is what a component says about the extent of its instances.
type shape struct {
	start    time.Time
	startDT  value.DateTime
	hasStart bool
	end      time.Time
	endKind  EndKind
	// dur is the duration applied to further instances: nominal for
	// DURATION and DATE values, exact for DTEND/DUE date-times.
	dur value.Duration
}

// shapeOf reads DTSTART, DTEND/DUE/DURATION of c.
func (c Context) shapeOf(comp *ical.Component) (shape, error) {
	var sh shape
	start, sdt, ok, err := c.propTime(comp, ical.PropDateTimeStart)
	if err != nil {
		return sh, err
	}
	sh.start, sh.startDT, sh.hasStart = start, sdt, ok
	endProp := ical.PropDateTimeEnd
	if comp.Name == ical.CompToDo {
		endProp = ical.PropDue
	}
	end, edt, hasEnd, err := c.propTime(comp, endProp)
	if err != nil {
		return sh, err
	}
	var dur *value.Duration
	if p := comp.Props.Get(ical.PropDuration); p != nil && comp.Name != ical.CompFreeBusy {
		d, err := value.ParseDuration(p.Value)
		if err != nil {
			return sh, fmt.Errorf("recur: DURATION: %w", err)
		}
		dur = &d
	}
	switch {
	case hasEnd:
		sh.end, sh.endKind = end, EndExplicit
		if ok {
			if sdt.IsDate() && edt.IsDate() {
				days := int(edt.Wall.Sub(sdt.Wall).Hours() / 24)
				sh.dur = value.Duration{Days: days}
				if days < 0 {
					sh.dur = value.Duration{Negative: true, Days: -days}
				}
			} else {
				sh.dur = value.DurationOf(start, end)
			}
		}
	case dur != nil && ok:
		sh.dur, sh.endKind = *dur, EndDuration
		sh.end = dur.AddTo(start)
	case ok && sdt.IsDate() && (comp.Name == ical.CompEvent || comp.Name == ical.CompJournal):
		sh.dur = value.Duration{Days: 1}
		sh.end = sh.dur.AddTo(start)
	default:
		sh.end = start
	}
	if !ok && hasEnd {
		// VTODO with DUE only: the instance sits at DUE.
		sh.start = end
	}
	return sh, nil
}

// instance builds the Instance of a non-recurring view of comp.
func (sh shape) instance(comp *ical.Component, override bool) Instance {
	return Instance{
		Start: sh.start, End: sh.end, Component: comp, Override: override,
		AllDay: sh.hasStart && sh.startDT.IsDate(), HasStart: sh.hasStart, EndKind: sh.endKind,
	}
}

// endFor applies the shape's duration to another start (a recurrence).
func (sh shape) endFor(start time.Time) time.Time {
	if sh.endKind == EndNone && !(sh.hasStart && sh.startDT.IsDate()) {
		return start
	}
	return sh.dur.AddTo(start)
}

package query

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// maxRepeat bounds REPEAT when computing alarm triggers.
const maxRepeat = 1000

// trigger is a parsed VALARM TRIGGER with REPEAT/DURATION.
type trigger struct {
	absolute   bool
	at         time.Time      // absolute trigger
	offset     value.Duration // relative trigger
	relatedEnd bool
	repeat     int
	every      value.Duration
}

func (m *matcher) parseTrigger(a *ical.Component) (trigger, error) {
	var tg trigger
	p := a.Props.Get(ical.PropTrigger)
	if p == nil {
		return tg, fmt.Errorf("%w: VALARM without TRIGGER", ErrInvalidData)
	}
	if strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE-TIME") {
		t, _, err := m.ctx.PropTime(p)
		if err != nil {
			return tg, dataErr(err)
		}
		tg.absolute, tg.at = true, t
	} else {
		d, err := value.ParseDuration(p.Value)
		if err != nil {
			return tg, dataErr(err)
		}
		tg.offset = d
		tg.relatedEnd = strings.EqualFold(p.Params.Get("RELATED"), "END")
	}
	if rp, dp := a.Props.Get(ical.PropRepeat), a.Props.Get(ical.PropDuration); rp != nil && dp != nil {
		n, err := rp.Int()
		if err != nil {
			return tg, dataErr(err)
		}
		d, err := value.ParseDuration(dp.Value)
		if err != nil {
			return tg, dataErr(err)
		}
		tg.repeat, tg.every = min(max(n, 0), maxRepeat), d
	}
	return tg, nil
}

// times returns the trigger times for a parent instance (nil for an
// absolute trigger).
func (tg trigger) times(in *recur.Instance) []time.Time {
	var t0 time.Time
	switch {
	case tg.absolute:
		t0 = tg.at
	case in == nil:
		return nil
	case tg.relatedEnd:
		t0 = tg.offset.AddTo(in.End)
	default:
		t0 = tg.offset.AddTo(in.Start)
	}
	out := []time.Time{t0}
	t := t0
	for i := 0; i < tg.repeat; i++ {
		t = tg.every.AddTo(t)
		out = append(out, t)
	}
	return out
}

// span is how far the triggers can be from the parent's start or end.
func (tg trigger) span() time.Duration {
	d := tg.offset.Approx()
	if d < 0 {
		d = -d
	}
	e := tg.every.Approx()
	if e < 0 {
		e = -e
	}
	return d + time.Duration(tg.repeat)*e + 26*time.Hour
}

// alarms evaluates a VALARM comp-filter against the alarms of the parent
// scope: RFC 4791 §9.9 (start <= trigger-time AND end > trigger-time), for
// any trigger of any instance of the parent.
func (m *matcher) alarms(cf *CompFilter, alarms []*ical.Component, parent scope) (bool, error) {
	for _, a := range alarms {
		if cf.TimeRange != nil {
			ok, err := m.alarmInRange(a, cf.TimeRange, parent)
			if err != nil {
				return false, err
			}
			if !ok {
				continue
			}
		}
		ok, err := m.compBody(cf, scope{comp: a})
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

func (m *matcher) alarmInRange(a *ical.Component, tr *TimeRange, parent scope) (bool, error) {
	tg, err := m.parseTrigger(a)
	if err != nil {
		return false, err
	}
	hit := func(in *recur.Instance) bool {
		for _, t := range tg.times(in) {
			if inRange(tr, t) {
				return true
			}
		}
		return false
	}
	if tg.absolute || parent.inst != nil {
		return hit(parent.inst), nil
	}
	if parent.set == nil {
		return false, nil
	}
	span := tg.span()
	start, end := tr.Start, tr.End
	if !start.IsZero() {
		start = start.Add(-span)
	}
	if !end.IsZero() {
		end = end.Add(span)
	}
	found := false
	err = parent.set.Each(start, end, m.lim, func(in recur.Instance) bool {
		if in.Component == parent.comp && hit(&in) {
			found = true
		}
		return !found
	})
	if found {
		return true, nil
	}
	return false, dataErr(err)
}

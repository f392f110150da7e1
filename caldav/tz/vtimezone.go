package tz

import (
	"fmt"
	"sort"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur/rrule"
	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// Transitions are computed from CompileFromYear up to CompileToYear; before
// the first transition the first observance's TZOFFSETFROM applies and after
// CompileToYear the last computed offset stays in force.
const (
	CompileFromYear = 1900
	CompileToYear   = 2200
)

// maxTransitions bounds the transitions one VTIMEZONE may produce.
const maxTransitions = 10_000

// transition is the start of one observance.
type transition struct {
	at     int64 // Unix seconds
	offset int   // seconds east of UTC after the transition
	dst    bool
	name   string
}

// Compile builds a *time.Location from a VTIMEZONE component: every
// STANDARD and DAYLIGHT observance contributes its DTSTART, its RDATEs and
// the occurrences of its RRULE (bounded to CompileFromYear..CompileToYear).
// The location is named after the TZID.
func Compile(vtz *ical.Component) (*time.Location, error) {
	if vtz == nil || vtz.Name != ical.CompTimezone {
		return nil, fmt.Errorf("tz: not a VTIMEZONE")
	}
	tzid := ""
	if p := vtz.Props.Get(ical.PropTimezoneID); p != nil {
		tzid = p.Value
	}
	var all []transition
	initial := transition{at: -1 << 62}
	haveInitial := false
	for _, obs := range vtz.Children {
		if obs.Name != ical.CompTimezoneStandard && obs.Name != ical.CompTimezoneDaylight {
			continue
		}
		ts, from, err := observance(obs)
		if err != nil {
			return nil, fmt.Errorf("tz: VTIMEZONE %q: %w", tzid, err)
		}
		if len(ts) > 0 && (!haveInitial || ts[0].at < initial.at) {
			initial = transition{at: ts[0].at, offset: from, name: offsetName(from)}
			haveInitial = true
		}
		all = append(all, ts...)
		if len(all) > maxTransitions {
			return nil, fmt.Errorf("tz: VTIMEZONE %q: too many transitions", tzid)
		}
	}
	if !haveInitial {
		return nil, fmt.Errorf("tz: VTIMEZONE %q has no usable STANDARD/DAYLIGHT", tzid)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].at < all[j].at })
	data := encodeTZif(initial, dedupe(all))
	name := tzid
	if name == "" {
		name = "VTIMEZONE"
	}
	loc, err := time.LoadLocationFromTZData(name, data)
	if err != nil {
		return nil, fmt.Errorf("tz: VTIMEZONE %q: %w", tzid, err)
	}
	return loc, nil
}

// observance returns the transitions of one STANDARD/DAYLIGHT component
// and its TZOFFSETFROM.
func observance(obs *ical.Component) ([]transition, int, error) {
	get := func(n string) (*ical.Prop, error) {
		p := obs.Props.Get(n)
		if p == nil {
			return nil, fmt.Errorf("%s without %s", obs.Name, n)
		}
		return p, nil
	}
	ps, err := get(ical.PropDateTimeStart)
	if err != nil {
		return nil, 0, err
	}
	pf, err := get(ical.PropTimezoneOffsetFrom)
	if err != nil {
		return nil, 0, err
	}
	pt, err := get(ical.PropTimezoneOffsetTo)
	if err != nil {
		return nil, 0, err
	}
	from, err := value.ParseUTCOffset(pf.Value)
	if err != nil {
		return nil, 0, err
	}
	to, err := value.ParseUTCOffset(pt.Value)
	if err != nil {
		return nil, 0, err
	}
	start, err := value.PropDateTime(ps)
	if err != nil {
		return nil, 0, err
	}
	name := offsetName(to)
	if p := obs.Props.Get(ical.PropTimezoneName); p != nil && validAbbrev(p.Value) {
		name = p.Value
	}
	dst := obs.Name == ical.CompTimezoneDaylight
	mk := func(wall time.Time) transition {
		return transition{at: wall.Unix() - int64(from), offset: to, dst: dst, name: name}
	}
	out := []transition{mk(start.Wall)}
	for i := range obs.Props[ical.PropRecurrenceDates] {
		items, err := value.PropList(&obs.Props[ical.PropRecurrenceDates][i])
		if err != nil {
			return nil, 0, err
		}
		for _, it := range items {
			w := it.Wall
			if it.Kind == value.KindUTC {
				w = w.Add(time.Duration(from) * time.Second)
			}
			out = append(out, mk(w))
		}
	}
	if p := obs.Props.Get(ical.PropRecurrenceRule); p != nil {
		rule, err := rrule.Parse(p.Value)
		if err != nil {
			return nil, 0, err
		}
		opts := rrule.Options{
			After: time.Date(CompileFromYear, 1, 1, 0, 0, 0, 0, time.UTC),
			Limit: time.Date(CompileToYear, 12, 31, 0, 0, 0, 0, time.UTC),
		}
		if rule.HasUntil && rule.Until.Kind == value.KindUTC {
			until := rule.Until.Wall.Unix()
			opts.Beyond = func(w time.Time) bool { return w.Unix()-int64(from) > until }
		}
		it := rule.Iterator(start.Wall, opts)
		for {
			w, ok := it.Next()
			if !ok {
				break
			}
			out = append(out, mk(w))
			if len(out) > maxTransitions {
				return nil, 0, fmt.Errorf("too many transitions")
			}
		}
		if err := it.Err(); err != nil {
			return nil, 0, err
		}
	}
	return out, from, nil
}

// dedupe drops transitions at the same instant as a later one and those
// that change nothing.
func dedupe(ts []transition) []transition {
	out := ts[:0]
	for _, t := range ts {
		if n := len(out); n > 0 && out[n-1].at == t.at {
			out[n-1] = t
			continue
		}
		out = append(out, t)
	}
	return out
}

func validAbbrev(s string) bool {
	if len(s) < 1 || len(s) > 16 {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-') {
			return false
		}
	}
	return true
}

func offsetName(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	s := fmt.Sprintf("%c%02d%02d", sign, off/3600, off/60%60)
	if off%60 != 0 {
		s += fmt.Sprintf("%02d", off%60)
	}
	return s
}

package query

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/recur"
)

// prop evaluates a prop-filter on the component in sc.
func (m *matcher) prop(pf *PropFilter, sc scope) (bool, error) {
	props := sc.comp.Props[pf.Name]
	if pf.IsNotDefined {
		return len(props) == 0, nil
	}
	if pf.TimeRange != nil {
		return m.propTimeRange(pf, sc)
	}
	for i := range props {
		p := &props[i]
		if pf.TextMatch != nil && !pf.TextMatch.Matches(unescapeText(p.Value)) {
			continue
		}
		if paramsMatch(pf.Params, p) {
			return true, nil
		}
	}
	return false, nil
}

func paramsMatch(pfs []*ParamFilter, p *ical.Prop) bool {
	for _, f := range pfs {
		vals := p.Params.Values(f.Name)
		if f.IsNotDefined {
			if len(vals) > 0 {
				return false
			}
			continue
		}
		if len(vals) == 0 {
			return false
		}
		if f.TextMatch == nil {
			continue
		}
		ok := false
		for _, v := range vals {
			if f.TextMatch.Matches(v) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// unescapeText undoes RFC 5545 TEXT escaping for text-match.
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n', 'N':
				b.WriteByte('\n')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// inRange is the §9.9 property test: start <= t AND end > t.
func inRange(tr *TimeRange, t time.Time) bool {
	return (tr.Start.IsZero() || !t.Before(tr.Start)) && (tr.End.IsZero() || tr.End.After(t))
}

// propTimeRange evaluates a time-range prop-filter. DTSTART, DTEND and
// DUE take their per-instance values for recurring components, and DTEND
// / DUE fall back to the effective DTSTART+DURATION (§9.9).
func (m *matcher) propTimeRange(pf *PropFilter, sc scope) (bool, error) {
	tr := pf.TimeRange
	instTime := func(in recur.Instance) (time.Time, bool) {
		switch {
		case pf.Name == ical.PropDateTimeStart && in.HasStart:
			return in.Start, sc.comp.Props.Get(pf.Name) != nil
		case (pf.Name == ical.PropDateTimeEnd && sc.comp.Name != ical.CompToDo) ||
			(pf.Name == ical.PropDue && sc.comp.Name == ical.CompToDo):
			return in.End, in.EndKind != recur.EndNone
		}
		return time.Time{}, false
	}
	instanceProp := pf.Name == ical.PropDateTimeStart || pf.Name == ical.PropDateTimeEnd || pf.Name == ical.PropDue
	if instanceProp && len(pf.Params) == 0 {
		if sc.inst != nil {
			t, ok := instTime(*sc.inst)
			return ok && inRange(tr, t), nil
		}
		if sc.set != nil && (sc.set.Recurring() || sc.comp.Props.Get(pf.Name) == nil) {
			found := false
			err := sc.set.Each(tr.Start, tr.End, m.lim, func(in recur.Instance) bool {
				if in.Component == sc.comp {
					if t, ok := instTime(in); ok && inRange(tr, t) {
						found = true
					}
				}
				return !found
			})
			if found {
				return true, nil
			}
			return false, dataErr(err)
		}
	}
	props := sc.comp.Props[pf.Name]
	for i := range props {
		t, _, err := m.ctx.PropTime(&props[i])
		if err != nil {
			return false, dataErr(err)
		}
		if inRange(tr, t) && paramsMatch(pf.Params, &props[i]) {
			return true, nil
		}
	}
	return false, nil
}

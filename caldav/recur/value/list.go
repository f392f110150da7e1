package value

import (
	"strings"

	"github.com/emersion/go-ical"
)

// Period is one PERIOD value (RFC 5545 §3.3.9): a start and either an
// explicit end or a duration.
type Period struct {
	Start DateTime
	// End is set when the period is "start/end".
	End DateTime
	// Duration is set (and HasDuration true) for "start/duration".
	Duration    Duration
	HasDuration bool
}

// Item is one value of a possibly multi-valued RDATE/EXDATE property: a
// DATE, DATE-TIME or (RDATE only) PERIOD.
type Item struct {
	DateTime
	// Period is non-nil for VALUE=PERIOD values.
	Period *Period
}

// PropDateTime parses a single-valued DATE/DATE-TIME property such as
// DTSTART, DTEND, DUE, RECURRENCE-ID, COMPLETED or DTSTAMP.
func PropDateTime(p *ical.Prop) (DateTime, error) {
	return Parse(p.Value, p.Params.Get(ical.ParamValue), p.Params.Get(ical.PropTimezoneID))
}

// PropList parses a comma-separated DATE / DATE-TIME / PERIOD list property
// (RDATE, EXDATE, FREEBUSY). Each value shares the property's parameters.
func PropList(p *ical.Prop) ([]Item, error) {
	vt := strings.ToUpper(p.Params.Get(ical.ParamValue))
	tzid := p.Params.Get(ical.PropTimezoneID)
	if vt == "" && strings.EqualFold(p.Name, ical.PropFreeBusy) {
		vt = "PERIOD"
	}
	var items []Item
	for _, s := range strings.Split(p.Value, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if vt == "PERIOD" {
			per, err := ParsePeriod(s, tzid)
			if err != nil {
				return nil, err
			}
			items = append(items, Item{DateTime: per.Start, Period: &per})
			continue
		}
		dt, err := Parse(s, vt, tzid)
		if err != nil {
			return nil, err
		}
		items = append(items, Item{DateTime: dt})
	}
	return items, nil
}

// ParsePeriod parses "start/end" or "start/duration"; tzid applies to
// non-UTC date-times.
func ParsePeriod(s, tzid string) (Period, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return Period{}, syntaxErr("period", s)
	}
	start, err := Parse(a, "DATE-TIME", tzid)
	if err != nil {
		return Period{}, err
	}
	if strings.HasPrefix(b, "P") || strings.HasPrefix(b, "+") || strings.HasPrefix(b, "-") {
		d, err := ParseDuration(b)
		if err != nil {
			return Period{}, err
		}
		return Period{Start: start, Duration: d, HasDuration: true}, nil
	}
	end, err := Parse(b, "DATE-TIME", tzid)
	if err != nil {
		return Period{}, err
	}
	return Period{Start: start, End: end}, nil
}

// Package value parses the iCalendar (RFC 5545) value types that CalDAV time
// logic needs: DATE, DATE-TIME, DURATION, PERIOD and UTC-OFFSET.
//
// Date-times are returned as "wall clock" values: a time.Time in time.UTC
// whose fields are the written ones, plus a Kind telling whether that wall
// clock is a date, a floating time, a UTC instant or a time in a named zone.
// Turning a wall clock into an instant needs a *time.Location and is done by
// the caller (package tz resolves TZIDs).
package value

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Kind says how the wall clock of a DateTime is to be interpreted.
type Kind int

const (
	// KindDate is a DATE value (an all-day date, RFC 5545 §3.3.4).
	KindDate Kind = iota
	// KindFloating is a DATE-TIME without "Z" and without TZID (§3.3.5 form 1).
	KindFloating
	// KindUTC is a DATE-TIME with a trailing "Z" (§3.3.5 form 2).
	KindUTC
	// KindZoned is a DATE-TIME with a TZID parameter (§3.3.5 form 3).
	KindZoned
)

// String returns a short name of the kind, for messages and tests.
func (k Kind) String() string {
	switch k {
	case KindDate:
		return "date"
	case KindFloating:
		return "floating"
	case KindUTC:
		return "utc"
	case KindZoned:
		return "zoned"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// DateTime is a parsed DATE or DATE-TIME value.
type DateTime struct {
	// Wall holds the written year, month, day, hour, minute and second in
	// the time.UTC location. For KindUTC it is also the instant.
	Wall time.Time
	// Kind tells how Wall is to be read.
	Kind Kind
	// TZID is the TZID parameter for KindZoned values.
	TZID string
}

// IsDate reports whether the value is a DATE (all-day) value.
func (d DateTime) IsDate() bool { return d.Kind == KindDate }

// In returns the instant of d when its local wall clock is read in loc.
// loc is used for KindDate, KindFloating and KindZoned; KindUTC ignores it.
// A nil loc means UTC.
func (d DateTime) In(loc *time.Location) time.Time {
	if d.Kind == KindUTC {
		return d.Wall
	}
	return WallIn(d.Wall, loc)
}

// WallIn interprets the fields of the wall clock w (whatever its location)
// as a local time in loc. A nil loc means UTC.
func WallIn(w time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, loc)
}

// WallOf returns the wall clock of the instant t as seen in loc, as a
// time.Time in time.UTC (the inverse of WallIn).
func WallOf(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	l := t.In(loc)
	y, mo, d := l.Date()
	h, mi, s := l.Clock()
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// ErrSyntax is wrapped by every parse error of this package.
var ErrSyntax = errors.New("invalid iCalendar value")

func syntaxErr(what, s string) error {
	return fmt.Errorf("%w: %s %q", ErrSyntax, what, s)
}

// digits parses s as an unsigned decimal number of exactly len(s) digits.
func digits(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// ParseDate parses a DATE value "YYYYMMDD" into a wall clock at midnight.
func ParseDate(s string) (time.Time, error) {
	if len(s) != 8 {
		return time.Time{}, syntaxErr("date", s)
	}
	y, ok1 := digits(s[0:4])
	m, ok2 := digits(s[4:6])
	d, ok3 := digits(s[6:8])
	if !ok1 || !ok2 || !ok3 || m < 1 || m > 12 || d < 1 || d > daysIn(y, time.Month(m)) {
		return time.Time{}, syntaxErr("date", s)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// ParseDateTimeText parses a DATE-TIME value "YYYYMMDDTHHMMSS[Z]" and reports
// whether it carried the UTC designator.
func ParseDateTimeText(s string) (wall time.Time, utc bool, err error) {
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		utc = true
		s = s[:len(s)-1]
	}
	if len(s) != 15 || (s[8] != 'T' && s[8] != 't') {
		return time.Time{}, false, syntaxErr("date-time", s)
	}
	day, err := ParseDate(s[:8])
	if err != nil {
		return time.Time{}, false, syntaxErr("date-time", s)
	}
	h, ok1 := digits(s[9:11])
	mi, ok2 := digits(s[11:13])
	sec, ok3 := digits(s[13:15])
	// Second 60 (leap second) is allowed by RFC 5545; it normalises to :00
	// of the next minute.
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || sec > 60 {
		return time.Time{}, false, syntaxErr("date-time", s)
	}
	return day.Add(time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(sec)*time.Second), utc, nil
}

// Parse parses one DATE or DATE-TIME value. valueType is the VALUE
// parameter ("" when absent: then the form of s decides) and tzid the TZID
// parameter. A TZID on a UTC or DATE value is ignored, as RFC 5545 requires.
func Parse(s, valueType, tzid string) (DateTime, error) {
	s = strings.TrimSpace(s)
	switch strings.ToUpper(valueType) {
	case "DATE":
		w, err := ParseDate(s)
		if err != nil {
			return DateTime{}, err
		}
		return DateTime{Wall: w, Kind: KindDate}, nil
	case "", "DATE-TIME":
		if valueType == "" && len(s) == 8 {
			w, err := ParseDate(s)
			if err != nil {
				return DateTime{}, err
			}
			return DateTime{Wall: w, Kind: KindDate}, nil
		}
		w, utc, err := ParseDateTimeText(s)
		if err != nil {
			return DateTime{}, err
		}
		switch {
		case utc:
			return DateTime{Wall: w, Kind: KindUTC}, nil
		case tzid != "":
			return DateTime{Wall: w, Kind: KindZoned, TZID: tzid}, nil
		default:
			return DateTime{Wall: w, Kind: KindFloating}, nil
		}
	}
	return DateTime{}, syntaxErr("VALUE="+valueType+" date", s)
}

// FormatDate writes w as an iCalendar DATE.
func FormatDate(w time.Time) string { return w.Format("20060102") }

// FormatUTC writes the instant t as an iCalendar DATE-TIME in UTC.
func FormatUTC(t time.Time) string { return t.UTC().Format("20060102T150405Z") }

// FormatWall writes the wall clock w as a DATE-TIME without "Z".
func FormatWall(w time.Time) string { return w.Format("20060102T150405") }

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

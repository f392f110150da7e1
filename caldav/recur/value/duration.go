package value

import (
	"strings"
	"time"
)

// maxDurationDays bounds DURATION values (about 2,700 years) so that date
// arithmetic cannot overflow.
const maxDurationDays = 1_000_000

// Duration is a DURATION value (RFC 5545 §3.3.6). Days (including weeks)
// are nominal: adding a day keeps the local wall-clock time across DST
// changes. Seconds (hours, minutes, seconds) are exact.
type Duration struct {
	Negative bool
	Days     int
	Seconds  int64
}

// IsZero reports whether the duration is zero.
func (d Duration) IsZero() bool { return d.Days == 0 && d.Seconds == 0 }

// Positive reports whether the duration is greater than zero.
func (d Duration) Positive() bool { return !d.Negative && !d.IsZero() }

// Neg returns -d.
func (d Duration) Neg() Duration {
	d.Negative = !d.Negative
	return d
}

// AddTo adds d to t: days via calendar arithmetic in t's location, then the
// exact seconds.
func (d Duration) AddTo(t time.Time) time.Time {
	days, secs := d.Days, d.Seconds
	if d.Negative {
		days, secs = -days, -secs
	}
	if days != 0 {
		t = t.AddDate(0, 0, days)
	}
	return t.Add(time.Duration(secs) * time.Second)
}

// Approx returns d as a time.Duration counting each day as 24 hours; it is
// good enough to widen search windows.
func (d Duration) Approx() time.Duration {
	v := time.Duration(d.Days)*24*time.Hour + time.Duration(d.Seconds)*time.Second
	if d.Negative {
		return -v
	}
	return v
}

// DurationOf returns the exact duration between two instants as a
// Duration of seconds only.
func DurationOf(from, to time.Time) Duration {
	s := int64(to.Sub(from) / time.Second)
	if s < 0 {
		return Duration{Negative: true, Seconds: -s}
	}
	return Duration{Seconds: s}
}

// ParseDuration parses a DURATION such as "P1D", "-PT15M", "P1W" or
// "P1DT2H3M4S".
func ParseDuration(s string) (Duration, error) {
	orig := s
	s = strings.ToUpper(strings.TrimSpace(s))
	var d Duration
	switch {
	case strings.HasPrefix(s, "-"):
		d.Negative = true
		s = s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return Duration{}, syntaxErr("duration", orig)
	}
	s = s[1:]
	inTime, seen, timeSeen := false, false, false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return Duration{}, syntaxErr("duration", orig)
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i > 9 || i == len(s) {
			return Duration{}, syntaxErr("duration", orig)
		}
		n, _ := digits(s[:i])
		unit := s[i]
		s = s[i+1:]
		seen = true
		timeSeen = timeSeen || inTime
		switch {
		case !inTime && unit == 'W':
			d.Days += 7 * n
		case !inTime && unit == 'D':
			d.Days += n
		case inTime && unit == 'H':
			d.Seconds += int64(n) * 3600
		case inTime && unit == 'M':
			d.Seconds += int64(n) * 60
		case inTime && unit == 'S':
			d.Seconds += int64(n)
		default:
			return Duration{}, syntaxErr("duration", orig)
		}
		if d.Days > maxDurationDays || d.Seconds > maxDurationDays*86400 {
			return Duration{}, syntaxErr("duration (too large)", orig)
		}
	}
	if !seen || (inTime && !timeSeen) {
		return Duration{}, syntaxErr("duration", orig)
	}
	return d, nil
}

// ParseUTCOffset parses a UTC-OFFSET value ("+0100", "-0500", "+013045")
// into seconds east of UTC.
func ParseUTCOffset(s string) (int, error) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 {
		return 0, syntaxErr("utc-offset", s)
	}
	sign := 1
	switch s[0] {
	case '+':
	case '-':
		sign = -1
	default:
		return 0, syntaxErr("utc-offset", s)
	}
	h, ok1 := digits(s[1:3])
	m, ok2 := digits(s[3:5])
	sec, ok3 := 0, true
	if len(s) == 7 {
		sec, ok3 = digits(s[5:7])
	}
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || sec > 59 {
		return 0, syntaxErr("utc-offset", s)
	}
	return sign * (h*3600 + m*60 + sec), nil
}

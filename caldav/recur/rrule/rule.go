// Package rrule parses RFC 5545 recurrence rules (RRULE) and iterates their
// occurrences over wall-clock (time-zone-free) date-times.
//
// The iterator is written for a server that evaluates untrusted rules: it
// never runs unbounded. It examines at most Options.MaxSteps periods (years,
// months, weeks, days, hours, ... depending on FREQ), stops at
// Options.Limit, skips directly to Options.After when the rule has no COUNT,
// and jumps over whole days, hours or minutes that BYxxx parts rule out.
package rrule

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gocaldav/gocaldav/caldav/recur/value"
)

// Freq is the FREQ rule part.
type Freq int

// Frequencies, from the finest to the coarsest.
const (
	Secondly Freq = iota
	Minutely
	Hourly
	Daily
	Weekly
	Monthly
	Yearly
)

var freqNames = map[string]Freq{
	"SECONDLY": Secondly, "MINUTELY": Minutely, "HOURLY": Hourly, "DAILY": Daily,
	"WEEKLY": Weekly, "MONTHLY": Monthly, "YEARLY": Yearly,
}

var dayNames = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

// WeekdayNum is one BYDAY entry such as "MO", "-1SU" or "2TU". N is zero
// when no ordinal was given.
type WeekdayNum struct {
	N   int
	Day time.Weekday
}

// Rule is a parsed RRULE value.
type Rule struct {
	Freq     Freq
	Interval int
	// Count is the COUNT part; zero means no COUNT.
	Count int
	// Until is the UNTIL part; HasUntil tells whether it was given.
	Until    value.DateTime
	HasUntil bool

	BySecond   []int
	ByMinute   []int
	ByHour     []int
	ByDay      []WeekdayNum
	ByMonthDay []int
	ByYearDay  []int
	ByWeekNo   []int
	ByMonth    []int
	BySetPos   []int
	WeekStart  time.Weekday
}

// ErrInvalid is wrapped by every Parse error.
var ErrInvalid = errors.New("invalid RRULE")

// maxListLen bounds every BYxxx list; longer lists are rejected.
const maxListLen = 400

// maxInterval bounds INTERVAL so period arithmetic cannot overflow.
const maxInterval = 1_000_000

// Parse parses an RRULE value such as "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10".
// Unknown X- parts are ignored; other unknown parts are errors.
func Parse(s string) (*Rule, error) {
	r := &Rule{Interval: 1, WeekStart: time.Monday}
	haveFreq := false
	seen := map[string]bool{}
	for _, part := range strings.Split(strings.TrimSpace(s), ";") {
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%w: part %q has no '='", ErrInvalid, part)
		}
		k = strings.ToUpper(strings.TrimSpace(k))
		v = strings.TrimSpace(v)
		if seen[k] {
			return nil, fmt.Errorf("%w: %s given twice", ErrInvalid, k)
		}
		seen[k] = true
		var err error
		switch k {
		case "FREQ":
			f, ok := freqNames[strings.ToUpper(v)]
			if !ok {
				return nil, fmt.Errorf("%w: FREQ=%q", ErrInvalid, v)
			}
			r.Freq, haveFreq = f, true
		case "INTERVAL":
			r.Interval, err = intIn(v, 1, maxInterval)
		case "COUNT":
			r.Count, err = intIn(v, 1, 1<<31-1)
		case "UNTIL":
			r.Until, err = value.Parse(v, "", "")
			r.HasUntil = err == nil
		case "WKST":
			d, ok := dayNames[strings.ToUpper(v)]
			if !ok {
				return nil, fmt.Errorf("%w: WKST=%q", ErrInvalid, v)
			}
			r.WeekStart = d
		case "BYSECOND":
			r.BySecond, err = intList(v, 0, 60, false)
		case "BYMINUTE":
			r.ByMinute, err = intList(v, 0, 59, false)
		case "BYHOUR":
			r.ByHour, err = intList(v, 0, 23, false)
		case "BYMONTHDAY":
			r.ByMonthDay, err = intList(v, 1, 31, true)
		case "BYYEARDAY":
			r.ByYearDay, err = intList(v, 1, 366, true)
		case "BYWEEKNO":
			r.ByWeekNo, err = intList(v, 1, 53, true)
		case "BYMONTH":
			r.ByMonth, err = intList(v, 1, 12, false)
		case "BYSETPOS":
			r.BySetPos, err = intList(v, 1, 366, true)
		case "BYDAY":
			r.ByDay, err = dayList(v)
		case "RSCALE":
			if !strings.EqualFold(v, "GREGORIAN") {
				return nil, fmt.Errorf("%w: unsupported RSCALE=%q", ErrInvalid, v)
			}
		case "SKIP":
			// RFC 7529 SKIP only matters for non-Gregorian scales.
		default:
			if !strings.HasPrefix(k, "X-") {
				return nil, fmt.Errorf("%w: unknown part %q", ErrInvalid, k)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, k, err)
		}
	}
	if !haveFreq {
		return nil, fmt.Errorf("%w: FREQ missing", ErrInvalid)
	}
	if r.Count > 0 && r.HasUntil {
		return nil, fmt.Errorf("%w: both COUNT and UNTIL", ErrInvalid)
	}
	return r, nil
}

func intIn(s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "+"))
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("%q not in %d..%d", s, lo, hi)
	}
	return n, nil
}

// intList parses a comma list of integers in lo..hi, or in -hi..-lo too
// when signed is true.
func intList(s string, lo, hi int, signed bool) ([]int, error) {
	parts := strings.Split(s, ",")
	if len(parts) > maxListLen {
		return nil, fmt.Errorf("list too long")
	}
	out := make([]int, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(p), "+"))
		if err != nil {
			return nil, fmt.Errorf("%q is not a number", p)
		}
		a := n
		if signed && a < 0 {
			a = -a
		}
		if a < lo || a > hi {
			return nil, fmt.Errorf("%d out of range", n)
		}
		out = append(out, n)
	}
	return out, nil
}

func dayList(s string) ([]WeekdayNum, error) {
	parts := strings.Split(s, ",")
	if len(parts) > maxListLen {
		return nil, fmt.Errorf("list too long")
	}
	out := make([]WeekdayNum, 0, len(parts))
	for _, p := range parts {
		p = strings.ToUpper(strings.TrimSpace(p))
		if len(p) < 2 {
			return nil, fmt.Errorf("bad weekday %q", p)
		}
		d, ok := dayNames[p[len(p)-2:]]
		if !ok {
			return nil, fmt.Errorf("bad weekday %q", p)
		}
		n := 0
		if num := p[:len(p)-2]; num != "" {
			var err error
			n, err = strconv.Atoi(strings.TrimPrefix(num, "+"))
			if err != nil || n == 0 || n > 53 || n < -53 {
				return nil, fmt.Errorf("bad weekday ordinal %q", p)
			}
		}
		out = append(out, WeekdayNum{N: n, Day: d})
	}
	return out, nil
}

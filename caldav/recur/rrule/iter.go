package rrule

import (
	"errors"
	"sort"
	"time"
)

// DefaultMaxSteps is the number of periods an Iterator examines when
// Options.MaxSteps is zero.
const DefaultMaxSteps = 1_000_000

// maxYear is the last year the iterator produces (iCalendar years have
// four digits).
const maxYear = 9999

// maxCandidates bounds the candidate occurrences built for one period.
const maxCandidates = 200_000

// ErrStepLimit is reported by Iterator.Err when the iterator stopped
// because it examined Options.MaxSteps periods, or because one period had
// too many candidates.
var ErrStepLimit = errors.New("recurrence rule needs too much work")

// Options tunes an Iterator. All wall times are time.Time values in
// time.UTC holding local wall-clock fields.
type Options struct {
	// After lets a rule without COUNT start near this wall time instead of
	// at DTSTART. Occurrences before After may still be returned.
	After time.Time
	// Limit stops the iteration once a period starts after it. Zero means
	// no limit other than the year 9999.
	Limit time.Time
	// MaxSteps bounds the periods examined; zero means DefaultMaxSteps.
	MaxSteps int
	// Beyond, when set, decides whether a wall time lies after the rule's
	// UNTIL (callers that know the time zone pass an exact test). When nil
	// the UNTIL wall clock is compared directly.
	Beyond func(wall time.Time) bool
}

// Iterator yields the occurrences of a Rule in increasing order.
type Iterator struct {
	r      *Rule
	start  time.Time // DTSTART wall clock
	opts   Options
	k      int64       // next period index
	buf    []time.Time // occurrences made; those from pos on are not returned yet
	pos    int
	cands  []time.Time // scratch for one period's candidates
	done   bool
	err    error
	steps  int
	remain int // remaining COUNT, -1 without COUNT
	months []int
	mdays  []int
	days   []WeekdayNum
	times  []clock // time set for FREQ >= DAILY
	// weekDays holds, for a WEEKLY rule whose only day-level part is
	// BYDAY without ordinals, the days of the week it takes, as
	// offsets from the week's start, in order.
	weekDays []int
	unitSecs int64 // period length in seconds for sub-daily FREQ
	anchor   time.Time
}

type clock struct{ h, m, s int }

// on is the time c of the day that starts at midnight (a UTC wall time).
func (c clock) on(midnight time.Time) time.Time {
	return midnight.Add(time.Duration(c.h)*time.Hour + time.Duration(c.m)*time.Minute + time.Duration(c.s)*time.Second)
}

// weekOffsets returns the days of the week in days as offsets from the
// week start wkst, in order without repeats; nil when a day has an
// ordinal.
func weekOffsets(days []WeekdayNum, wkst time.Weekday) []int {
	var seen [7]bool
	for _, d := range days {
		if d.N != 0 {
			return nil
		}
		seen[(int(d.Day)-int(wkst)+7)%7] = true
	}
	out := []int{}
	for off, ok := range seen {
		if ok {
			out = append(out, off)
		}
	}
	return out
}

// Iterator returns an iterator over the occurrences of r for a component
// whose DTSTART has the wall clock dtstart. It applies the RFC 5545
// defaults taken from DTSTART (e.g. FREQ=MONTHLY repeats on DTSTART's day
// of month). DTSTART itself is returned only if the rule generates it.
func (r *Rule) Iterator(dtstart time.Time, o Options) *Iterator {
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	it := &Iterator{r: r, start: dtstart.Truncate(time.Second), opts: o, remain: -1}
	if r.Count > 0 {
		it.remain = r.Count
	}
	it.months, it.mdays, it.days = r.ByMonth, r.ByMonthDay, r.ByDay
	none := len(r.ByWeekNo) == 0 && len(r.ByYearDay) == 0 && len(r.ByMonthDay) == 0 && len(r.ByDay) == 0
	switch {
	case r.Freq == Yearly && none:
		it.mdays = []int{dtstart.Day()}
		if len(it.months) == 0 {
			it.months = []int{int(dtstart.Month())}
		}
	case r.Freq == Monthly && none:
		it.mdays = []int{dtstart.Day()}
	case r.Freq == Weekly && none:
		it.days = []WeekdayNum{{Day: dtstart.Weekday()}}
	}
	if r.Freq >= Daily {
		it.times = timeSet(r, dtstart)
	}
	it.anchor = it.periodAnchor()
	if r.Freq == Weekly && len(it.months) == 0 && len(it.mdays) == 0 && len(r.ByWeekNo) == 0 && len(r.ByYearDay) == 0 {
		it.weekDays = weekOffsets(it.days, r.WeekStart)
	}
	switch r.Freq {
	case Hourly:
		it.unitSecs = 3600
	case Minutely:
		it.unitSecs = 60
	case Secondly:
		it.unitSecs = 1
	}
	if !o.After.IsZero() && o.After.After(it.start) {
		switch {
		case r.Count == 0:
			it.k = it.skipTo(o.After)
		case it.onePerPeriod():
			// Each skipped period held exactly one occurrence, so COUNT
			// is known to have used k of them: FREQ=SECONDLY;COUNT=10^9
			// is not stepped through from DTSTART.
			it.k = it.skipTo(o.After)
			if it.k >= int64(r.Count) {
				it.done = true
			} else {
				it.remain = r.Count - int(it.k)
			}
		}
	}
	return it
}

// onePerPeriod reports whether every period of the rule holds exactly
// one occurrence, at DTSTART's offset into the period: a fixed-length
// frequency (SECONDLY to WEEKLY) and no BYxxx part. MONTHLY and YEARLY
// periods may hold none (FREQ=MONTHLY from the 31st).
func (it *Iterator) onePerPeriod() bool {
	r := it.r
	return r.Freq <= Weekly && len(r.ByMonth) == 0 && len(r.ByWeekNo) == 0 && len(r.ByYearDay) == 0 &&
		len(r.ByMonthDay) == 0 && len(r.ByDay) == 0 && len(r.ByHour) == 0 && len(r.ByMinute) == 0 &&
		len(r.BySecond) == 0 && len(r.BySetPos) == 0
}

func timeSet(r *Rule, dt time.Time) []clock {
	hs, ms, ss := r.ByHour, r.ByMinute, r.BySecond
	if len(hs) == 0 {
		hs = []int{dt.Hour()}
	}
	if len(ms) == 0 {
		ms = []int{dt.Minute()}
	}
	if len(ss) == 0 {
		ss = []int{dt.Second()}
	}
	out := make([]clock, 0, len(hs)*len(ms)*len(ss))
	for _, h := range hs {
		for _, m := range ms {
			for _, s := range ss {
				out = append(out, clock{h, m, s})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.h != b.h {
			return a.h < b.h
		}
		if a.m != b.m {
			return a.m < b.m
		}
		return a.s < b.s
	})
	return out
}

// periodAnchor is the start of period 0.
func (it *Iterator) periodAnchor() time.Time {
	s := it.start
	y, m, d := s.Date()
	switch it.r.Freq {
	case Yearly:
		return time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case Monthly:
		return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case Weekly:
		back := (int(s.Weekday()) - int(it.r.WeekStart) + 7) % 7
		return time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
	case Daily:
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case Hourly:
		return s.Truncate(time.Hour)
	case Minutely:
		return s.Truncate(time.Minute)
	}
	return s
}

// periodStart returns the first instant of period k.
func (it *Iterator) periodStart(k int64) (time.Time, bool) {
	a := it.anchor
	step := k * int64(it.r.Interval)
	var t time.Time
	switch it.r.Freq {
	case Yearly:
		if step > maxYear {
			return time.Time{}, false
		}
		t = a.AddDate(int(step), 0, 0)
	case Monthly:
		if step > 12*maxYear {
			return time.Time{}, false
		}
		t = a.AddDate(0, int(step), 0)
	case Weekly:
		if step > 53*maxYear {
			return time.Time{}, false
		}
		t = a.AddDate(0, 0, int(step)*7)
	case Daily:
		if step > 366*maxYear {
			return time.Time{}, false
		}
		t = a.AddDate(0, 0, int(step))
	default:
		if step > 366*86400*maxYear/it.unitSecs {
			return time.Time{}, false
		}
		t = time.Unix(a.Unix()+step*it.unitSecs, 0).UTC()
	}
	if t.Year() > maxYear {
		return time.Time{}, false
	}
	return t, true
}

// skipTo returns a period index whose period starts no later than w.
func (it *Iterator) skipTo(w time.Time) int64 {
	a := it.anchor
	iv := int64(it.r.Interval)
	var n int64
	switch it.r.Freq {
	case Yearly:
		n = int64(w.Year()-a.Year()) / iv
	case Monthly:
		n = (int64(w.Year()-a.Year())*12 + int64(w.Month()-a.Month())) / iv
	case Weekly:
		n = (w.Unix() - a.Unix()) / (7 * 86400 * iv)
	case Daily:
		n = (w.Unix() - a.Unix()) / (86400 * iv)
	default:
		n = (w.Unix() - a.Unix()) / (it.unitSecs * iv)
	}
	if n -= 1; n < 0 {
		n = 0
	}
	return n
}

// firstPeriodAtOrAfter returns the smallest period index >= it.k whose
// start is at or after w (sub-daily frequencies only).
func (it *Iterator) firstPeriodAtOrAfter(w time.Time) int64 {
	per := it.unitSecs * int64(it.r.Interval)
	d := w.Unix() - it.anchor.Unix()
	k := (d + per - 1) / per
	if k <= it.k {
		k = it.k + 1
	}
	return k
}

// Err returns ErrStepLimit when the iteration stopped early because of the
// work bound; nil otherwise.
func (it *Iterator) Err() error { return it.err }

// Next returns the next occurrence (a wall clock) and true, or false when
// the rule is exhausted, the limit is reached or the work bound is hit.
func (it *Iterator) Next() (time.Time, bool) {
	for it.pos == len(it.buf) {
		if it.done {
			return time.Time{}, false
		}
		it.buf, it.pos = it.buf[:0], 0
		it.fill()
	}
	t := it.buf[it.pos]
	it.pos++
	return t, true
}

// fill examines periods until it produces candidates or finishes.
func (it *Iterator) fill() {
	for len(it.buf) == 0 && !it.done {
		if it.steps >= it.opts.MaxSteps {
			it.err, it.done = ErrStepLimit, true
			return
		}
		it.steps++
		ps, ok := it.periodStart(it.k)
		if !ok || (!it.opts.Limit.IsZero() && ps.After(it.opts.Limit)) {
			it.done = true
			return
		}
		cands, next := it.candidates(ps)
		if next > it.k {
			it.k = next
		} else {
			it.k++
		}
		if len(it.r.BySetPos) > 0 {
			cands = setPos(cands, it.r.BySetPos)
		}
		for _, c := range cands {
			if c.Before(it.start) {
				continue
			}
			if it.beyondUntil(c) {
				it.done = true
				return
			}
			it.buf = append(it.buf, c)
			if it.remain > 0 {
				it.remain--
				if it.remain == 0 {
					it.done = true
					return
				}
			}
		}
	}
}

func (it *Iterator) beyondUntil(c time.Time) bool {
	if !it.r.HasUntil {
		return false
	}
	if it.opts.Beyond != nil {
		return it.opts.Beyond(c)
	}
	u := it.r.Until
	if u.IsDate() {
		y, m, d := c.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).After(u.Wall)
	}
	return c.After(u.Wall)
}

// candidates builds the sorted candidate occurrences of the period that
// starts at ps. For sub-daily frequencies it may also return the index of
// the next period worth examining (skipping excluded days, hours, minutes).
func (it *Iterator) candidates(ps time.Time) ([]time.Time, int64) {
	r := it.r
	if r.Freq < Daily {
		switch {
		case !it.dayOK(dayOf(ps)):
			y, m, d := ps.Date()
			return nil, it.firstPeriodAtOrAfter(time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC))
		case r.Freq < Hourly && len(r.ByHour) > 0 && !contains(r.ByHour, ps.Hour()):
			return nil, it.firstPeriodAtOrAfter(ps.Truncate(time.Hour).Add(time.Hour))
		case r.Freq < Minutely && len(r.ByMinute) > 0 && !contains(r.ByMinute, ps.Minute()):
			return nil, it.firstPeriodAtOrAfter(ps.Truncate(time.Minute).Add(time.Minute))
		}
		return it.subDaily(ps), 0
	}
	if it.weekDays != nil {
		out := it.cands[:0]
		for _, off := range it.weekDays {
			midnight := ps.Add(time.Duration(off) * 24 * time.Hour)
			for _, c := range it.times {
				out = append(out, c.on(midnight))
			}
		}
		it.cands = out
		return out, 0
	}
	days := 1
	switch r.Freq {
	case Yearly:
		days = daysInYear(ps.Year())
	case Monthly:
		days = daysInMonth(ps.Year(), ps.Month())
	case Weekly:
		days = 7
	}
	// Wall times are UTC, which has no DST: a day is 24 hours, and a
	// day's first date is enough to step through the period.
	out := it.cands[:0]
	d := dayOf(ps)
	for i := 0; i < days; i, d = i+1, d.next() {
		if !it.dayOK(d) {
			continue
		}
		if len(out)+len(it.times) > maxCandidates {
			it.err, it.done = ErrStepLimit, true
			return nil, 0
		}
		midnight := ps.Add(time.Duration(i) * 24 * time.Hour)
		for _, c := range it.times {
			out = append(out, c.on(midnight))
		}
	}
	it.cands = out
	return out, 0
}

// subDaily returns the candidates of one HOURLY/MINUTELY/SECONDLY period
// whose day already passed the day filters.
func (it *Iterator) subDaily(ps time.Time) []time.Time {
	r := it.r
	if len(r.ByHour) > 0 && !contains(r.ByHour, ps.Hour()) {
		return nil
	}
	mins := []int{ps.Minute()}
	if r.Freq == Hourly {
		mins = r.ByMinute
		if len(mins) == 0 {
			mins = []int{it.start.Minute()}
		}
	} else if len(r.ByMinute) > 0 && !contains(r.ByMinute, ps.Minute()) {
		return nil
	}
	secs := []int{ps.Second()}
	if r.Freq != Secondly {
		secs = r.BySecond
		if len(secs) == 0 {
			secs = []int{it.start.Second()}
		}
	} else if len(r.BySecond) > 0 && !contains(r.BySecond, ps.Second()) {
		return nil
	}
	y, m, d := ps.Date()
	out := make([]time.Time, 0, len(mins)*len(secs))
	for _, mi := range mins {
		for _, s := range secs {
			out = append(out, time.Date(y, m, d, ps.Hour(), mi, s, 0, time.UTC))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// setPos picks the BYSETPOS positions out of one period's sorted candidates.
func setPos(c []time.Time, pos []int) []time.Time {
	var out []time.Time
	for _, p := range pos {
		i := p - 1
		if p < 0 {
			i = len(c) + p
		}
		if i < 0 || i >= len(c) {
			continue
		}
		dup := false
		for _, o := range out {
			if o.Equal(c[i]) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, c[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

func contains(l []int, v int) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

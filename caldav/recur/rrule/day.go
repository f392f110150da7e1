package rrule

import "time"

// day is a date, with what the day-level BYxxx parts read from it.
type day struct {
	y  int
	m  time.Month
	md int          // day of the month
	wd time.Weekday // day of the week
	yd int          // day of the year
}

func dayOf(t time.Time) day {
	y, m, md := t.Date()
	return day{y: y, m: m, md: md, wd: t.Weekday(), yd: t.YearDay()}
}

// next is the following day.
func (d day) next() day {
	d.md, d.yd, d.wd = d.md+1, d.yd+1, (d.wd+1)%7
	if d.md > daysInMonth(d.y, d.m) {
		d.md, d.m = 1, d.m+1
		if d.m > time.December {
			d.y, d.m, d.yd = d.y+1, time.January, 1
		}
	}
	return d
}

// dayOK applies the day-level BYxxx parts (BYMONTH, BYWEEKNO, BYYEARDAY,
// BYMONTHDAY, BYDAY) to d.
func (it *Iterator) dayOK(d day) bool {
	r := it.r
	if len(it.months) > 0 && !contains(it.months, int(d.m)) {
		return false
	}
	if len(r.ByWeekNo) > 0 && (r.Freq != Yearly || !weekNoOK(time.Date(d.y, d.m, d.md, 0, 0, 0, 0, time.UTC), r.WeekStart, r.ByWeekNo)) {
		return false
	}
	if len(r.ByYearDay) > 0 {
		ylen := daysInYear(d.y)
		if !contains(r.ByYearDay, d.yd) && !contains(r.ByYearDay, d.yd-ylen-1) {
			return false
		}
	}
	if len(it.mdays) > 0 {
		mlen := daysInMonth(d.y, d.m)
		if !contains(it.mdays, d.md) && !contains(it.mdays, d.md-mlen-1) {
			return false
		}
	}
	if len(it.days) > 0 && !it.weekdayOK(d) {
		return false
	}
	return true
}

// weekdayOK applies BYDAY. An ordinal ("2TU", "-1SU") counts within the
// month for MONTHLY rules and YEARLY rules with BYMONTH, within the year
// for other YEARLY rules, and is ignored otherwise (and with BYWEEKNO).
func (it *Iterator) weekdayOK(d day) bool {
	r := it.r
	for _, w := range it.days {
		if w.Day != d.wd {
			continue
		}
		if w.N == 0 || len(r.ByWeekNo) > 0 {
			return true
		}
		var idx, length int
		switch {
		case r.Freq == Monthly || (r.Freq == Yearly && len(it.months) > 0):
			idx, length = d.md, daysInMonth(d.y, d.m)
		case r.Freq == Yearly:
			idx, length = d.yd, daysInYear(d.y)
		default:
			return true
		}
		if w.N > 0 && (idx-1)/7+1 == w.N {
			return true
		}
		if w.N < 0 && -((length-idx)/7+1) == w.N {
			return true
		}
	}
	return false
}

// week1Start returns the first day of week 1 of year y: the week (starting
// on wkst) that holds at least four days of y.
func week1Start(y int, wkst time.Weekday) time.Time {
	jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	off := (int(jan1.Weekday()) - int(wkst) + 7) % 7
	if off <= 3 {
		return jan1.AddDate(0, 0, -off)
	}
	return jan1.AddDate(0, 0, 7-off)
}

// weekNoOK reports whether d is in one of the weeks (of d's own year's
// numbering) listed. Days that belong to a week of the neighbouring year
// never match: a limitation for weeks that straddle New Year.
func weekNoOK(d time.Time, wkst time.Weekday, weeks []int) bool {
	y := d.Year()
	w1, next := week1Start(y, wkst), week1Start(y+1, wkst)
	if d.Before(w1) || !d.Before(next) {
		return false
	}
	n := int(d.Sub(w1).Hours()/24)/7 + 1
	total := int(next.Sub(w1).Hours()/24) / 7
	return contains(weeks, n) || contains(weeks, n-total-1)
}

// daysInMonth is the length of month m of year y (proleptic Gregorian).
func daysInMonth(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func daysInYear(y int) int {
	if isLeap(y) {
		return 366
	}
	return 365
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

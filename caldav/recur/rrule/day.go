package rrule

import "time"

// dayOK applies the day-level BYxxx parts (BYMONTH, BYWEEKNO, BYYEARDAY,
// BYMONTHDAY, BYDAY) to the date of d.
func (it *Iterator) dayOK(d time.Time) bool {
	r := it.r
	y, m, md := d.Date()
	if len(it.months) > 0 && !contains(it.months, int(m)) {
		return false
	}
	if len(r.ByWeekNo) > 0 && (r.Freq != Yearly || !weekNoOK(d, r.WeekStart, r.ByWeekNo)) {
		return false
	}
	if len(r.ByYearDay) > 0 {
		yd := d.YearDay()
		ylen := daysInYear(y)
		if !contains(r.ByYearDay, yd) && !contains(r.ByYearDay, yd-ylen-1) {
			return false
		}
	}
	if len(it.mdays) > 0 {
		mlen := daysInMonth(y, m)
		if !contains(it.mdays, md) && !contains(it.mdays, md-mlen-1) {
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
func (it *Iterator) weekdayOK(d time.Time) bool {
	r := it.r
	y, m, md := d.Date()
	wd := d.Weekday()
	for _, w := range it.days {
		if w.Day != wd {
			continue
		}
		if w.N == 0 || len(r.ByWeekNo) > 0 {
			return true
		}
		var idx, length int
		switch {
		case r.Freq == Monthly || (r.Freq == Yearly && len(it.months) > 0):
			idx, length = md, daysInMonth(y, m)
		case r.Freq == Yearly:
			idx, length = d.YearDay(), daysInYear(y)
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

func daysInMonth(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func daysInYear(y int) int {
	return time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC).YearDay()
}

package query

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/recur"
)

// benchCalendars builds n parsed objects: single events, daily and weekly
// recurring events in a named zone, and all-day events, spread over 2024.
func benchCalendars(b *testing.B, n int) []*ical.Calendar {
	b.Helper()
	out := make([]*ical.Calendar, n)
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range out {
		day := base.AddDate(0, 0, i%366).Add(time.Duration(i%8) * time.Hour)
		var ev string
		switch i % 4 {
		case 0:
			ev = fmt.Sprintf("DTSTART:%s\nDURATION:PT1H", day.Format("20060102T150405Z"))
		case 1:
			ev = fmt.Sprintf("DTSTART;TZID=Europe/Berlin:%s\nDTEND;TZID=Europe/Berlin:%s\nRRULE:FREQ=DAILY;COUNT=30\nEXDATE;TZID=Europe/Berlin:%s",
				day.Format("20060102T150405"), day.Add(time.Hour).Format("20060102T150405"), day.AddDate(0, 0, 2).Format("20060102T150405"))
		case 2:
			ev = fmt.Sprintf("DTSTART;TZID=America/New_York:%s\nDURATION:PT30M\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR", day.Format("20060102T150405"))
		default:
			ev = fmt.Sprintf("DTSTART;VALUE=DATE:%s", day.Format("20060102"))
		}
		s := fmt.Sprintf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//b//EN\nBEGIN:VEVENT\nUID:%d@bench\nDTSTAMP:20240101T000000Z\nSUMMARY:event %d\n%s\nEND:VEVENT\nEND:VCALENDAR\n", i, i, ev)
		cal, err := icalobj.Parse([]byte(strings.ReplaceAll(s, "\n", "\r\n")))
		if err != nil {
			b.Fatal(err)
		}
		out[i] = cal
	}
	return out
}

// BenchmarkTimeRangeMatch10k matches a one-week time-range filter against
// 10,000 parsed events (one op = the whole collection).
func BenchmarkTimeRangeMatch10k(b *testing.B) {
	cals := benchCalendars(b, 10_000)
	f := mustFilter(b, `<C:comp-filter name="VEVENT"><C:time-range start="20240610T000000Z" end="20240617T000000Z"/></C:comp-filter>`)
	b.ResetTimer()
	matches := 0
	for i := 0; i < b.N; i++ {
		matches = 0
		for _, cal := range cals {
			ok, err := f.Match(NewObject(cal), Options{})
			if err != nil {
				b.Fatal(err)
			}
			if ok {
				matches++
			}
		}
	}
	b.ReportMetric(float64(matches), "matches")
}

// BenchmarkExpandDailyYear expands a daily event with a timezone over one
// year (365 instances) through calendar-data expand.
func BenchmarkExpandDailyYear(b *testing.B) {
	cal := calOf(b, `BEGIN:VEVENT
UID:x
DTSTAMP:20240101T000000Z
DTSTART;TZID=Europe/Berlin:20240101T090000
DURATION:PT1H
RRULE:FREQ=DAILY
EXDATE;TZID=Europe/Berlin:20240105T090000,20240106T090000
END:VEVENT`)
	set, err := recur.New(cal.Children, recur.Context{Calendar: cal})
	if err != nil {
		b.Fatal(err)
	}
	start, end := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		in, err := set.Instances(start, end, recur.Limits{})
		if err != nil || len(in) != 364 {
			b.Fatalf("%d %v", len(in), err)
		}
	}
}

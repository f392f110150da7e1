package recur

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func parse(t testing.TB, s string) *ical.Calendar {
	t.Helper()
	s = strings.ReplaceAll(strings.TrimSpace(s), "\n", "\r\n") + "\r\n"
	cal, err := ical.NewDecoder(strings.NewReader(s)).Decode()
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, s)
	}
	return cal
}

// wrap puts components into a VCALENDAR.
func wrap(body string) string {
	return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + strings.TrimSpace(body) + "\nEND:VCALENDAR"
}

func fixture(t testing.TB, name string) *ical.Calendar {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	cal, err := ical.NewDecoder(strings.NewReader(string(b))).Decode()
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func utc(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

func setOf(t testing.TB, cal *ical.Calendar, floating *time.Location) *Set {
	t.Helper()
	g := Groups(cal)
	if len(g) != 1 {
		t.Fatalf("want one group, got %d", len(g))
	}
	s, err := New(g[0].Components, Context{Calendar: cal, Floating: floating})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// show renders instances as "start/end[*]" in UTC, * marking overrides.
func show(in []Instance) string {
	var parts []string
	for _, i := range in {
		s := i.Start.UTC().Format("0102T1504") + "/" + i.End.UTC().Format("0102T1504")
		if i.Override {
			s += "*"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func expand(t testing.TB, ics, start, end string, floating *time.Location) (string, error) {
	t.Helper()
	s := setOf(t, parse(t, wrap(ics)), floating)
	in, err := s.Instances(utc(start), utc(end), Limits{})
	return show(in), err
}

func TestAppendixBRecurring(t *testing.T) {
	s := setOf(t, fixture(t, "rfc4791/abcd2.ics"), nil)
	tests := []struct{ start, end, want string }{
		{"20060103T000000Z", "20060105T000000Z", "0103T1700/0103T1800 0104T1900/0104T2000*"},
		{"20060101T000000Z", "20060201T000000Z", "0102T1700/0102T1800 0103T1700/0103T1800 0104T1900/0104T2000* 0105T1700/0105T1800 0106T1900/0106T2000*"},
		// The override moved Jan 4 12:00 to 14:00: the original slot is free.
		{"20060104T170000Z", "20060104T180000Z", ""},
		{"20060107T000000Z", "", ""},
	}
	for _, tc := range tests {
		in, err := s.Instances(utc(tc.start), utc(tc.end), Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := show(in); got != tc.want {
			t.Errorf("[%s,%s): got %q, want %q", tc.start, tc.end, got, tc.want)
		}
	}
}

// RFC 4791 §9.9, VEVENT table, including both boundary cases.
func TestVEventTable(t *testing.T) {
	const day = "20060104T000000Z"
	tests := []struct {
		name, props, start, end string
		want                    bool
	}{
		{"dtend inside", "DTSTART:20060104T100000Z\nDTEND:20060104T110000Z", day, "20060105T000000Z", true},
		{"dtend starts at range start", "DTSTART:20060104T000000Z\nDTEND:20060104T010000Z", day, "20060105T000000Z", true},
		{"dtend ends at range start", "DTSTART:20060103T230000Z\nDTEND:20060104T000000Z", day, "20060105T000000Z", false},
		{"dtend starts at range end", "DTSTART:20060105T000000Z\nDTEND:20060105T010000Z", day, "20060105T000000Z", false},
		{"dtend spans range", "DTSTART:20060101T000000Z\nDTEND:20060110T000000Z", day, "20060105T000000Z", true},
		{"duration inside", "DTSTART:20060104T100000Z\nDURATION:PT1H", day, "20060105T000000Z", true},
		{"duration ends at range start", "DTSTART:20060103T230000Z\nDURATION:PT1H", day, "20060105T000000Z", false},
		{"duration starts at range start", "DTSTART:20060104T000000Z\nDURATION:PT1H", day, "20060105T000000Z", true},
		{"zero duration at range start", "DTSTART:20060104T000000Z\nDURATION:PT0S", day, "20060105T000000Z", true},
		{"zero duration at range end", "DTSTART:20060105T000000Z\nDURATION:PT0S", day, "20060105T000000Z", false},
		{"date-time, no end, at start", "DTSTART:20060104T000000Z", day, "20060105T000000Z", true},
		{"date-time, no end, before", "DTSTART:20060103T235959Z", day, "20060105T000000Z", false},
		{"date, no end, that day", "DTSTART;VALUE=DATE:20060104", day, "20060105T000000Z", true},
		{"date, no end, day before", "DTSTART;VALUE=DATE:20060103", day, "20060105T000000Z", false},
		{"date, no end, day after", "DTSTART;VALUE=DATE:20060105", day, "20060105T000000Z", false},
		{"date with dtend two days", "DTSTART;VALUE=DATE:20060103\nDTEND;VALUE=DATE:20060105", day, "20060105T000000Z", true},
		{"open start", "DTSTART:20000101T000000Z\nDURATION:PT1H", "", "20000101T000001Z", true},
		{"open end", "DTSTART:20300101T000000Z\nDURATION:PT1H", "20291231T235959Z", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(t, "BEGIN:VEVENT\nUID:x\nDTSTAMP:20060101T000000Z\n"+tc.props+"\nEND:VEVENT", tc.start, tc.end, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (got != "") != tc.want {
				t.Errorf("overlap = %v (%q), want %v", got != "", got, tc.want)
			}
		})
	}
}

// RFC 4791 §9.9, VTODO table: every row, with a hit and a miss.
func TestVTodoTable(t *testing.T) {
	const s, e = "20060104T000000Z", "20060105T000000Z"
	tests := []struct {
		name, props string
		want        bool
	}{
		{"1 start+duration inside", "DTSTART:20060104T100000Z\nDURATION:PT1H", true},
		{"1 start+duration ends at range start", "DTSTART:20060103T230000Z\nDURATION:PT1H", true},
		{"1 start+duration ends before", "DTSTART:20060103T220000Z\nDURATION:PT1H", false},
		{"1 start+duration starts at range end", "DTSTART:20060105T000000Z\nDURATION:PT1H", false},
		{"2 start+due inside", "DTSTART:20060104T100000Z\nDUE:20060104T110000Z", true},
		{"2 start+due, due at range start", "DTSTART:20060103T100000Z\nDUE:20060104T000000Z", false},
		{"2 start+due spanning", "DTSTART:20060101T100000Z\nDUE:20060110T000000Z", true},
		{"2 start+due after", "DTSTART:20060105T000000Z\nDUE:20060106T000000Z", false},
		{"3 start only at range start", "DTSTART:20060104T000000Z", true},
		{"3 start only before", "DTSTART:20060103T120000Z", false},
		{"4 due only inside", "DUE:20060104T120000Z", true},
		{"4 due only at range start", "DUE:20060104T000000Z", false},
		{"4 due only at range end", "DUE:20060105T000000Z", true},
		{"5 completed+created spanning", "CREATED:20060101T000000Z\nCOMPLETED:20060110T000000Z", true},
		{"5 completed+created before", "CREATED:20060101T000000Z\nCOMPLETED:20060102T000000Z", false},
		{"6 completed inside", "COMPLETED:20060104T120000Z", true},
		{"6 completed after", "COMPLETED:20060106T120000Z", false},
		{"7 created before end", "CREATED:20060101T000000Z", true},
		{"7 created after end", "CREATED:20060105T000000Z", false},
		{"8 nothing", "SUMMARY:just a task", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(t, "BEGIN:VTODO\nUID:x\nDTSTAMP:20060101T000000Z\n"+tc.props+"\nEND:VTODO", s, e, nil)
			if err != nil {
				t.Fatal(err)
			}
			if (got != "") != tc.want {
				t.Errorf("overlap = %v (%q), want %v", got != "", got, tc.want)
			}
		})
	}
}

func TestVJournalTable(t *testing.T) {
	const s, e = "20060104T000000Z", "20060105T000000Z"
	tests := []struct {
		props string
		want  bool
	}{
		{"DTSTART:20060104T000000Z", true},
		{"DTSTART:20060105T000000Z", false},
		{"DTSTART;VALUE=DATE:20060104", true},
		{"DTSTART;VALUE=DATE:20060103", false},
		{"SUMMARY:no start", false},
	}
	for _, tc := range tests {
		got, err := expand(t, "BEGIN:VJOURNAL\nUID:x\nDTSTAMP:20060101T000000Z\n"+tc.props+"\nEND:VJOURNAL", s, e, nil)
		if err != nil {
			t.Fatal(err)
		}
		if (got != "") != tc.want {
			t.Errorf("%s: overlap = %v, want %v", tc.props, got != "", tc.want)
		}
	}
}

// go-deps gotchas 3 and 4: comma lists, PERIOD RDATEs, overrides.
func TestRecurrenceSet(t *testing.T) {
	const head = "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\n"
	tests := []struct {
		name, body, start, end, want string
	}{
		{"comma EXDATE", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE:20240102T090000Z,20240103T090000Z\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0101T0900/0101T1000 0104T0900/0104T1000 0105T0900/0105T1000"},
		{"two EXDATE props", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE:20240101T090000Z\nEXDATE:20240103T090000Z\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0102T0900/0102T1000"},
		{"comma RDATE", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRDATE:20240105T120000Z,20240103T080000Z\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0101T0900/0101T1000 0103T0800/0103T0900 0105T1200/0105T1300"},
		{"RDATE PERIOD", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRDATE;VALUE=PERIOD:20240102T100000Z/20240102T130000Z,20240103T100000Z/PT30M\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0101T0900/0101T1000 0102T1000/0102T1300 0103T1000/0103T1030"},
		{"RDATE PERIOD overlaps by its own end", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRDATE;VALUE=PERIOD:20240102T100000Z/20240102T130000Z\nEND:VEVENT",
			"20240102T120000Z", "20240102T123000Z", "0102T1000/0102T1300"},
		{"RDATE DATE on all-day", "DTSTART;VALUE=DATE:20240101\nRDATE;VALUE=DATE:20240103,20240105\nEND:VEVENT",
			"20240102T000000Z", "20240110T000000Z", "0103T0000/0104T0000 0105T0000/0106T0000"},
		{"EXDATE DATE on date-time set", "DTSTART:20240101T090000Z\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20240102\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0101T0900/0101T0900 0103T0900/0103T0900"},
		{"override replaces its instance", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n" + head + "RECURRENCE-ID:20240102T090000Z\nDTSTART:20240102T150000Z\nDURATION:PT2H\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0101T0900/0101T1000 0102T1500/0102T1700* 0103T0900/0103T1000"},
		{"override moved into window", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n" + head + "RECURRENCE-ID:20240102T090000Z\nDTSTART:20240120T090000Z\nDURATION:PT1H\nEND:VEVENT",
			"20240119T000000Z", "20240121T000000Z", "0120T0900/0120T1000*"},
		{"override moved out of window", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\n" + head + "RECURRENCE-ID:20240102T090000Z\nDTSTART:20240120T090000Z\nDURATION:PT1H\nEND:VEVENT",
			"20240102T000000Z", "20240103T000000Z", ""},
		{"THISANDFUTURE", "DTSTART:20240101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=4\nEND:VEVENT\n" + head + "RECURRENCE-ID;RANGE=THISANDFUTURE:20240103T090000Z\nDTSTART:20240103T110000Z\nDURATION:PT30M\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0101T0900/0101T1000 0102T0900/0102T1000 0103T1100/0103T1130* 0104T1100/0104T1130*"},
		{"override without master", "RECURRENCE-ID:20240102T090000Z\nDTSTART:20240102T100000Z\nDURATION:PT1H\nEND:VEVENT",
			"20240101T000000Z", "20240110T000000Z", "0102T1000/0102T1100*"},
		{"DTSTART not matching the rule still counts", "DTSTART:20240101T090000Z\nRRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2\nEND:VEVENT",
			"20240101T000000Z", "20240131T000000Z", "0101T0900/0101T0900 0103T0900/0103T0900 0110T0900/0110T0900"},
		{"UNTIL inclusive", "DTSTART:20240101T090000Z\nRRULE:FREQ=DAILY;UNTIL=20240103T090000Z\nEND:VEVENT",
			"20240101T000000Z", "20240131T000000Z", "0101T0900/0101T0900 0102T0900/0102T0900 0103T0900/0103T0900"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := expand(t, head+tc.body, tc.start, tc.end, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

// go-deps gotcha 9: floating times are read in the calendar's zone.
func TestFloating(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	ev := "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART:20240110T090000\nDURATION:PT1H\nEND:VEVENT"
	got, _ := expand(t, ev, "20240110T000000Z", "20240111T000000Z", ny)
	if got != "0110T1400/0110T1500" {
		t.Errorf("floating in New York: %q", got)
	}
	got, _ = expand(t, ev, "20240110T000000Z", "20240111T000000Z", nil)
	if got != "0110T0900/0110T1000" {
		t.Errorf("floating with nil zone (UTC): %q", got)
	}
	allDay := "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART;VALUE=DATE:20240110\nEND:VEVENT"
	got, _ = expand(t, allDay, "20240111T000000Z", "20240111T040000Z", ny)
	if got != "0110T0500/0111T0500" {
		t.Errorf("all-day in New York: %q", got)
	}
	// Recurring floating event across a DST change keeps its wall clock.
	rec := "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART:20240309T090000\nRRULE:FREQ=DAILY;COUNT=2\nEND:VEVENT"
	got, _ = expand(t, rec, "20240301T000000Z", "20240401T000000Z", ny)
	if got != "0309T1400/0309T1400 0310T1300/0310T1300" {
		t.Errorf("floating across DST: %q", got)
	}
}

// go-deps gotcha 2: Outlook and Mozilla TZIDs, and VTIMEZONE-only zones.
func TestTZIDs(t *testing.T) {
	for _, tzid := range []string{"W. Europe Standard Time", "/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"} {
		ev := fmt.Sprintf("BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=%q:20240704T090000\nDTEND;TZID=%q:20240704T100000\nEND:VEVENT", tzid, tzid)
		got, err := expand(t, ev, "20240704T000000Z", "20240705T000000Z", nil)
		if err != nil {
			t.Fatal(err)
		}
		if got != "0704T0700/0704T0800" {
			t.Errorf("%s: %q", tzid, got)
		}
	}
	s := setOf(t, fixture(t, "tz/outlook-berlin.ics"), nil)
	in, err := s.Instances(utc("20240704T000000Z"), utc("20240705T000000Z"), Limits{})
	if err != nil || show(in) != "0704T0700/0704T0800" {
		t.Errorf("Outlook custom zone: %q %v", show(in), err)
	}
	bad := "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART;TZID=Nowhere:20240704T090000\nEND:VEVENT"
	g := Groups(parse(t, wrap(bad)))
	if _, err := New(g[0].Components, Context{}); err == nil {
		t.Error("unknown TZID accepted")
	}
}

// go-deps gotcha 6: unbounded rules are bounded.
func TestLimits(t *testing.T) {
	sec := "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY;COUNT=1000000000\nEND:VEVENT"
	s := setOf(t, parse(t, wrap(sec)), nil)
	lim := Limits{Now: utc("20240101T000000Z")}
	start := time.Now()
	in, err := s.Instances(utc("20240101T000000Z"), utc("20240101T010000Z"), lim)
	if err != nil || len(in) != 3600 {
		t.Errorf("one hour of seconds: %d %v", len(in), err)
	}
	if _, err := s.Instances(utc("20240101T000000Z"), utc("20240102T000000Z"), lim); !errors.Is(err, ErrTooManyInstances) {
		t.Errorf("one day of seconds: %v, want ErrTooManyInstances", err)
	}
	// A COUNT rule with one instance per period skips ahead too.
	if in, err := s.Instances(utc("20250101T000000Z"), utc("20250101T000010Z"), lim); err != nil || len(in) != 10 {
		t.Errorf("far window with COUNT: %d %v", len(in), err)
	}
	// Other COUNT rules must be walked from DTSTART: a far window hits
	// the step bound quickly.
	hours := "BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;COUNT"
	walked := setOf(t, parse(t, wrap(strings.Replace(sec, "COUNT", hours, 1))), nil)
	if _, err := walked.Instances(utc("20250101T000000Z"), utc("20250101T000010Z"), lim); !errors.Is(err, ErrTooManyInstances) {
		t.Errorf("far window with COUNT and BYHOUR: %v, want ErrTooManyInstances", err)
	}
	// Without COUNT the iterator skips ahead: a far small window is cheap.
	forever := strings.Replace(sec, ";COUNT=1000000000", "", 1)
	s2 := setOf(t, parse(t, wrap(forever)), nil)
	in, err = s2.Instances(utc("20300101T000000Z"), utc("20300101T000010Z"), lim)
	if err != nil || len(in) != 10 {
		t.Errorf("far window without COUNT: %d %v", len(in), err)
	}
	// An open-ended query stops at the first match.
	ok, err := s2.Any(utc("20240601T000000Z"), time.Time{}, lim, nil)
	if !ok || err != nil {
		t.Errorf("Any on open range: %v %v", ok, err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("limits took %v", d)
	}
	// Horizon: a yearly rule produces nothing beyond max(DTSTART, Now)+N.
	yearly := "BEGIN:VEVENT\nUID:x\nDTSTAMP:20240101T000000Z\nDTSTART:20240101T000000Z\nRRULE:FREQ=YEARLY\nEND:VEVENT"
	s3 := setOf(t, parse(t, wrap(yearly)), nil)
	in, _ = s3.Instances(utc("20600101T000000Z"), utc("20800101T000000Z"), Limits{Now: utc("20240101T000000Z"), HorizonYears: 40})
	if len(in) != 5 {
		t.Errorf("horizon: got %d instances, want 5 (2060..2064)", len(in))
	}
}

func TestGroups(t *testing.T) {
	cal := fixture(t, "rfc4791/abcd2.ics")
	g := Groups(cal)
	if len(g) != 1 || len(g[0].Components) != 3 || g[0].Name != "VEVENT" {
		t.Fatalf("groups: %+v", g)
	}
}

package query

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/recur"
)

// expandObjects are random objects of the shapes an expansion rewrites:
// zoned, floating and all-day starts, DTEND, DURATION or neither,
// RRULE with EXDATE and RDATE (zoned too), overrides (one of them moved,
// one THISANDFUTURE), alarms with zoned absolute triggers, to-dos with and
// without DTSTART, free-busy components, long folded lines and
// parameters that need quotes.
func expandObjects(r *rand.Rand, n int) []string {
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		start := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(60*24)) * time.Hour)
		dt := start.Format("20060102T150405")
		var b strings.Builder
		w := func(s ...string) {
			for _, x := range s {
				b.WriteString(x)
			}
			b.WriteString("\r\n")
		}
		w("BEGIN:VCALENDAR")
		w("VERSION:2.0")
		w("PRODID:-//t//", fmt.Sprint(i), "//EN")
		w(usEastern)
		comp := []string{"VEVENT", "VEVENT", "VEVENT", "VTODO", "VJOURNAL"}[r.Intn(5)]
		uid := fmt.Sprintf("u%d@example.com", i)
		startLine := func(at string) string {
			switch r.Intn(4) {
			case 0:
				return "DTSTART;TZID=US/Eastern:" + at
			case 1:
				return "DTSTART:" + at
			case 2:
				return "DTSTART;VALUE=DATE:" + at[:8]
			}
			return "DTSTART:" + at + "Z"
		}
		w("BEGIN:", comp)
		w("UID:", uid)
		w("DTSTAMP:20060101T000000Z")
		sl := startLine(dt)
		allDay := strings.Contains(sl, "VALUE=DATE")
		if comp != "VTODO" || r.Intn(3) > 0 {
			w(sl)
		}
		end := start.Add(time.Duration(1+r.Intn(5)) * time.Hour)
		switch {
		case comp == "VTODO" && r.Intn(2) == 0:
			w("DUE:", end.Format("20060102T150405"), "Z")
		case comp == "VEVENT" && allDay && r.Intn(2) == 0:
			w("DTEND;VALUE=DATE:", end.AddDate(0, 0, 1).Format("20060102"))
		case comp == "VEVENT" && !allDay && r.Intn(3) == 0:
			w("DTEND;TZID=US/Eastern:", end.Format("20060102T150405"))
		case comp != "VJOURNAL" && r.Intn(2) == 0:
			w("DURATION:PT", fmt.Sprint(30+r.Intn(90)), "M")
		}
		recurring := r.Intn(3) > 0
		if recurring {
			w("RRULE:FREQ=", []string{"DAILY", "WEEKLY", "MONTHLY"}[r.Intn(3)], ";COUNT=", fmt.Sprint(2+r.Intn(12)))
			if r.Intn(2) == 0 && !allDay {
				w("EXDATE;TZID=US/Eastern:", start.AddDate(0, 0, 1).Format("20060102T150405"), ",", start.AddDate(0, 0, 7).Format("20060102T150405"))
			}
			if r.Intn(3) == 0 && !allDay {
				w("RDATE:", start.AddDate(0, 0, 3).Format("20060102T150405"), "Z")
			}
		}
		w("SUMMARY:", strings.Repeat("Long summary with ümlauts, commas; and semicolons ", 1+r.Intn(3)))
		if r.Intn(2) == 0 {
			w(`ATTENDEE;CN="Doe, Jane";PARTSTAT=NEEDS-ACTION;ROLE=REQ-PARTICIPANT:mailto:jane@example.com`)
			w("ORGANIZER;CN=Boss:mailto:boss@example.com")
		}
		if r.Intn(3) == 0 {
			w("LAST-MODIFIED;TZID=US/Eastern:", dt) // a zoned property that is not a slot
		}
		if comp != "VJOURNAL" && r.Intn(2) == 0 {
			w("BEGIN:VALARM")
			w("ACTION:DISPLAY")
			w("DESCRIPTION:reminder")
			if r.Intn(2) == 0 {
				w("TRIGGER;VALUE=DATE-TIME;TZID=US/Eastern:", dt)
			} else {
				w("TRIGGER:-PT15M")
			}
			w("END:VALARM")
		}
		w("END:", comp)
		if recurring && !allDay && r.Intn(2) == 0 {
			rid := start.AddDate(0, 0, []int{1, 7, 28}[r.Intn(3)]).Format("20060102T150405")
			w("BEGIN:", comp)
			w("UID:", uid)
			w("DTSTAMP:20060101T000000Z")
			if r.Intn(3) == 0 {
				w("RECURRENCE-ID;RANGE=THISANDFUTURE:", rid, "Z")
			} else {
				w("RECURRENCE-ID:", rid, "Z")
			}
			w(startLine(start.AddDate(0, 0, 2).Format("20060102T150405")))
			w("SUMMARY:moved")
			w("END:", comp)
		}
		if r.Intn(8) == 0 {
			w("BEGIN:VFREEBUSY")
			w("UID:fb", fmt.Sprint(i))
			w("DTSTAMP:20060101T000000Z")
			w("DTSTART;TZID=US/Eastern:", dt)
			w("FREEBUSY:", dt, "Z/PT1H")
			w("END:VFREEBUSY")
		}
		w("END:VCALENDAR")
		out = append(out, b.String())
	}
	return out
}

// checkExpandText fails t when expandText of x and expand-then-encode of
// its calendar write different text, or disagree on failing.
func checkExpandText(t *testing.T, x *Object, tr *TimeRange, o Options) (instances int) {
	t.Helper()
	cal := x.Calendar()
	got, gotErr := expandText(x, tr, o)
	wantCal, wantErr := expand(cal, tr, o)
	if (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("expandText error %v, expand error %v", gotErr, wantErr)
	}
	if gotErr != nil {
		return 0
	}
	want := icalobj.EncodeBytes(wantCal)
	if string(got) != string(want) {
		t.Fatalf("expandText writes\n%s\nexpand writes\n%s", got, want)
	}
	return strings.Count(string(got), "BEGIN:") - strings.Count(string(got), "BEGIN:VCALENDAR")
}

// TestExpandTextMatchesExpand: the template writer's text is exactly
// what expanding into components and encoding them gives, for the
// Appendix B objects and random ones, in several ranges and floating
// zones. Each object's Object serves every range and zone, as a
// server's does, so what it keeps from one query must fit the next.
func TestExpandTextMatchesExpand(t *testing.T) {
	r := rand.New(rand.NewSource(4791))
	var cals []*Object
	for _, cal := range appendixB(t) {
		cals = append(cals, NewObject(cal))
	}
	for _, s := range expandObjects(r, 400) {
		cal, err := icalobj.Parse([]byte(s))
		if err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
		cals = append(cals, NewObject(cal))
	}
	zones := []*time.Location{nil, time.FixedZone("+0530", 5*3600+1800), time.FixedZone("-10", -10*3600)}
	written := 0
	for q := 0; q < 12; q++ {
		start := time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(60*24)) * time.Hour)
		tr := &TimeRange{Start: start, End: start.Add(time.Duration(1+r.Intn(30*24)) * time.Hour)}
		for _, cal := range cals {
			written += checkExpandText(t, cal, tr, Options{Floating: zones[q%len(zones)], Limits: recur.Limits{MaxInstances: 1000}})
		}
	}
	if written < 1000 {
		t.Fatalf("only %d components written: the ranges miss the objects", written)
	}
}

// FuzzExpandText checks expandText against expand on arbitrary objects.
func FuzzExpandText(f *testing.F) {
	r := rand.New(rand.NewSource(6578))
	for _, s := range expandObjects(r, 20) {
		f.Add(s)
	}
	tr := &TimeRange{Start: time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2006, 3, 1, 0, 0, 0, 0, time.UTC)}
	f.Fuzz(func(t *testing.T, s string) {
		cal, err := icalobj.Parse([]byte(s))
		if err != nil {
			return
		}
		checkExpandText(t, NewObject(cal), tr, Options{Limits: recur.Limits{MaxInstances: 200, MaxSteps: 10000}})
	})
}

// TestObjectConcurrentUse: one Object serves concurrent expansions in
// several floating zones (as a server's parse cache shares it), each
// giving what a fresh Object gives.
func TestObjectConcurrentUse(t *testing.T) {
	r := rand.New(rand.NewSource(6764))
	srcs := expandObjects(r, 40)
	zones := []*time.Location{nil, time.FixedZone("+0530", 5*3600+1800), time.FixedZone("-10", -10*3600)}
	tr := &TimeRange{Start: time.Date(2006, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2006, 3, 1, 0, 0, 0, 0, time.UTC)}
	for _, src := range srcs {
		cal, err := icalobj.Parse([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		want := make([]string, len(zones))
		for i, z := range zones {
			b, err := expandText(NewObject(cal), tr, Options{Floating: z})
			if err != nil {
				t.Fatal(err)
			}
			want[i] = string(b)
		}
		shared := NewObject(cal)
		errs := make(chan error, 3*len(zones))
		for range 3 {
			for i, z := range zones {
				go func() {
					b, err := expandText(shared, tr, Options{Floating: z})
					if err == nil && string(b) != want[i] {
						err = fmt.Errorf("zone %v: concurrent expansion differs:\n%s\nwant\n%s", z, b, want[i])
					}
					errs <- err
				}()
			}
		}
		for range 3 * len(zones) {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	}
}

package main

import (
	"strings"
	"testing"
	"time"
)

var march = Window{time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}

func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04Z", s)
	if err != nil {
		panic(err)
	}
	return t
}

func starts(is []Instance) []string {
	var out []string
	for _, i := range is {
		out = append(out, i.Start.UTC().Format("2006-01-02T15:04Z"))
	}
	return out
}

func TestOccurrences(t *testing.T) {
	cases := []struct {
		name string
		e    Event
		w    Window
		want []string
	}{
		{"Berlin weekly across the DST change keeps 10:00 local",
			Event{Kind: KindBerlin, Start: time.Date(2026, 3, 22, 10, 0, 0, 0, berlin), Dur: time.Hour, Rule: &Weekly{Interval: 1, Count: 3}},
			march, []string{"2026-03-22T09:00Z", "2026-03-29T08:00Z"}},
		{"New York evening event is already March in UTC",
			Event{Kind: KindNewYork, Start: time.Date(2026, 2, 28, 19, 0, 0, 0, newYork), Dur: time.Hour},
			march, []string{"2026-03-01T00:00Z"}},
		{"New York evening event is not February in UTC",
			Event{Kind: KindNewYork, Start: time.Date(2026, 2, 28, 19, 0, 0, 0, newYork), Dur: time.Hour},
			Window{utc("2026-02-01T00:00Z"), utc("2026-03-01T00:00Z")}, nil},
		{"New York weekly across the US DST change",
			Event{Kind: KindNewYork, Start: time.Date(2026, 3, 1, 20, 0, 0, 0, newYork), Dur: 30 * time.Minute, Rule: &Weekly{Interval: 1}},
			Window{utc("2026-03-01T00:00Z"), utc("2026-03-16T00:00Z")}, []string{"2026-03-02T01:00Z", "2026-03-09T00:00Z"}},
		{"ending exactly at the window start does not overlap",
			Event{Kind: KindUTC, Start: utc("2026-02-28T23:00Z"), Dur: time.Hour}, march, nil},
		{"starting exactly at the window end does not overlap",
			Event{Kind: KindUTC, Start: utc("2026-04-01T00:00Z"), Dur: time.Hour}, march, nil},
		{"ending a minute into the window overlaps",
			Event{Kind: KindUTC, Start: utc("2026-02-28T23:01Z"), Dur: time.Hour}, march, []string{"2026-02-28T23:01Z"}},
		{"UNTIL is inclusive",
			Event{Kind: KindUTC, Start: utc("2026-02-16T10:00Z"), Dur: time.Hour, Rule: &Weekly{Interval: 1, Until: utc("2026-03-02T10:00Z")}},
			march, []string{"2026-03-02T10:00Z"}},
		{"UNTIL a second before the instance excludes it",
			Event{Kind: KindUTC, Start: utc("2026-02-16T10:00Z"), Dur: time.Hour, Rule: &Weekly{Interval: 1, Until: utc("2026-03-02T09:59Z")}},
			march, nil},
		{"COUNT ends the rule",
			Event{Kind: KindUTC, Start: utc("2026-02-16T10:00Z"), Dur: time.Hour, Rule: &Weekly{Interval: 1, Count: 3}},
			march, []string{"2026-03-02T10:00Z"}},
		{"INTERVAL=2 unbounded from January 2025",
			Event{Kind: KindUTC, Start: utc("2025-01-06T09:00Z"), Dur: time.Hour, Rule: &Weekly{Interval: 2}},
			march, []string{"2026-03-02T09:00Z", "2026-03-16T09:00Z", "2026-03-30T09:00Z"}},
		{"all-day on the last day of the month",
			Event{Kind: KindAllDay, Start: utc("2026-03-31T00:00Z"), Days: 1}, march, []string{"2026-03-31T00:00Z"}},
		{"three-day all-day reaching into the month",
			Event{Kind: KindAllDay, Start: utc("2026-02-27T00:00Z"), Days: 3}, march, []string{"2026-02-27T00:00Z"}},
		{"weekly all-day with COUNT",
			Event{Kind: KindAllDay, Start: utc("2026-02-20T00:00Z"), Days: 1, Rule: &Weekly{Interval: 1, Count: 4}},
			march, []string{"2026-03-06T00:00Z", "2026-03-13T00:00Z"}},
	}
	for _, c := range cases {
		got := starts(c.e.Occurrences(c.w))
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}

func TestFloatingSafe(t *testing.T) {
	for _, c := range []struct {
		day  string
		days int
		safe bool
	}{
		{"2026-02-27", 1, true}, {"2026-02-28", 1, false}, {"2026-03-01", 1, true},
		{"2026-03-31", 1, true}, {"2026-04-01", 1, false}, {"2026-04-02", 1, true},
		{"2026-02-27", 2, false}, {"2026-02-26", 3, false},
	} {
		e := Event{Kind: KindAllDay, Start: utc(c.day + "T00:00Z"), Days: c.days}
		if got := e.floatingSafe(march); got != c.safe {
			t.Errorf("all-day %s (%d days): safe %t, want %t", c.day, c.days, got, c.safe)
		}
	}
}

func TestGenerator(t *testing.T) {
	g := NewGenerator(42, "t", march)
	kinds := map[Kind]int{}
	rules := map[string]int{}
	uids := map[string]bool{}
	var events []*Event
	for range 5000 {
		e := g.Next()
		events = append(events, e)
		if uids[e.UID] || uids[e.Name()] {
			t.Fatalf("duplicate UID %s", e.UID)
		}
		uids[e.UID], uids[e.Name()] = true, true
		kinds[e.Kind]++
		if e.Rule != nil {
			switch {
			case e.Rule.Count > 0:
				rules["count"]++
			case !e.Rule.Until.IsZero():
				rules["until"]++
			default:
				rules["unbounded"]++
			}
		}
		if !e.floatingSafe(march) {
			t.Fatalf("%s: all-day event ambiguous against the window", e.UID)
		}
		if e.Kind != KindAllDay && (e.Start.Hour() < 8 || e.Start.Add(e.Dur).Hour() > 21) {
			t.Fatalf("%s: %v outside the day hours that keep clear of DST gaps", e.UID, e.Start)
		}
		if y := e.Start.Year(); y != 2025 && y != 2026 {
			t.Fatalf("%s: starts in %d", e.UID, y)
		}
	}
	for k := KindBerlin; k <= KindAllDay; k++ {
		if kinds[k] == 0 {
			t.Errorf("no %s events", k)
		}
	}
	for _, r := range []string{"count", "until", "unbounded"} {
		if rules[r] == 0 {
			t.Errorf("no %s rules", r)
		}
	}
	x := Expect(events, march)
	if x.Objects == 0 || x.Instances <= x.Objects || len(x.Names) != x.Objects {
		t.Errorf("expectation %d objects, %d instances, %d names", x.Objects, x.Instances, len(x.Names))
	}
	// Reproducible.
	g2 := NewGenerator(42, "t", march)
	if e := g2.Next(); string(e.ICS()) != string(events[0].ICS()) {
		t.Error("same seed, different first event")
	}
}

func TestICS(t *testing.T) {
	e := &Event{UID: "u1@x", Kind: KindBerlin, Start: time.Date(2026, 3, 22, 10, 0, 0, 0, berlin), Dur: 90 * time.Minute,
		Rule: &Weekly{Interval: 2, Until: utc("2026-05-03T08:00Z")}, Alarm: true, Attendees: 2,
		Summary: "Besprechung Änderungen, Budget", Description: strings.Repeat("äöü ", 40)}
	s := string(e.ICS())
	for _, want := range []string{
		"DTSTART;TZID=Europe/Berlin:20260322T100000\r\n",
		"DTEND;TZID=Europe/Berlin:20260322T113000\r\n",
		"RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SU;UNTIL=20260503T080000Z\r\n",
		"SUMMARY:Besprechung Änderungen\\, Budget\r\n",
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n",
		"BEGIN:VALARM\r\n", "ATTENDEE;CN=Bernd;",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q in\n%s", want, s)
		}
	}
	if !strings.HasSuffix(s, "END:VCALENDAR\r\n") {
		t.Error("no final CRLF")
	}
	for _, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets: %q", len(l), l)
		}
		if strings.Contains(l, "\n") {
			t.Errorf("bare LF in %q", l)
		}
	}
	unfolded := strings.ReplaceAll(s, "\r\n ", "")
	if !strings.Contains(unfolded, "DESCRIPTION:"+strings.Repeat("äöü ", 40)) {
		t.Error("folding broke the description")
	}
	d := &Event{UID: "d@x", Kind: KindUTC, Start: utc("2026-03-02T10:00Z"), Dur: 150 * time.Minute, UseDuration: true}
	if s := string(d.ICS()); !strings.Contains(s, "DTSTART:20260302T100000Z\r\nDURATION:PT2H30M\r\n") {
		t.Errorf("UTC event with DURATION:\n%s", s)
	}
	a := &Event{UID: "a@x", Kind: KindAllDay, Start: utc("2026-03-30T00:00Z"), Days: 3}
	if s := string(a.ICS()); !strings.Contains(s, "DTSTART;VALUE=DATE:20260330\r\nDTEND;VALUE=DATE:20260402\r\n") {
		t.Errorf("all-day event:\n%s", s)
	}
}

package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	_ "time/tzdata" // exact zone rules for the client-side expectations, whatever the host has
)

// Kind is how an event's times are written.
type Kind int

// The kinds of generated events.
const (
	KindBerlin  Kind = iota // DTSTART;TZID=Europe/Berlin with its VTIMEZONE
	KindNewYork             // DTSTART;TZID=America/New_York with its VTIMEZONE
	KindUTC                 // DTSTART:…Z
	KindAllDay              // DTSTART;VALUE=DATE, floating
)

// String names the kind.
func (k Kind) String() string {
	return [...]string{"berlin", "newyork", "utc", "allday"}[k]
}

// Weekly is a FREQ=WEEKLY rule on the weekday of DTSTART.
type Weekly struct {
	Interval int       // 1 or more
	Count    int       // COUNT, 0 when absent
	Until    time.Time // UNTIL (UTC), zero when absent
}

// Event is one generated calendar object: a VCALENDAR with one VEVENT.
type Event struct {
	UID  string
	Kind Kind
	// Start is DTSTART: in the event's zone for timed events; for
	// all-day events the date at midnight UTC, standing for the floating
	// date.
	Start time.Time
	// Dur is the event's exact length (timed events).
	Dur time.Duration
	// Days is the number of days an all-day event spans.
	Days int
	// UseDuration writes DURATION instead of DTEND.
	UseDuration bool
	// Rule is the recurrence, nil for a single event.
	Rule *Weekly
	// Alarm adds a display VALARM.
	Alarm bool
	// Attendees is the number of ATTENDEEs (with an ORGANIZER if > 0).
	Attendees int
	// Summary, Location and Description are free text.
	Summary, Location, Description string
	// Seq is SEQUENCE; Modify raises it.
	Seq int
}

// Window is a time range [Start, End) as a calendar-query time-range.
type Window struct{ Start, End time.Time }

var (
	berlin  = mustZone("Europe/Berlin")
	newYork = mustZone("America/New_York")
)

func mustZone(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Instance is one occurrence: its start and end as instants (for
// all-day events, the floating times read as UTC).
type Instance struct{ Start, End time.Time }

// Occurrences returns the instances of e that overlap w, in order: an
// instance overlaps when it starts before w.End and ends after w.Start
// (RFC 4791 §9.9). All-day (floating) dates are read as UTC; the
// generator keeps them away from where the reading matters (see
// floatingSafe).
func (e *Event) Occurrences(w Window) []Instance {
	return e.occurrencesShifted(w, 0)
}

// occurrencesShifted is Occurrences with floating times read at UTC
// offset off (timed events are unaffected).
func (e *Event) occurrencesShifted(w Window, off time.Duration) []Instance {
	var out []Instance
	for k := 0; ; k++ {
		if k > 0 && e.Rule == nil {
			break
		}
		if e.Rule != nil && e.Rule.Count > 0 && k >= e.Rule.Count {
			break
		}
		var st, en time.Time
		if e.Kind == KindAllDay {
			st = e.Start.AddDate(0, 0, 7*e.interval()*k).Add(-off)
			en = st.AddDate(0, 0, e.Days)
		} else {
			// Recurrence keeps the local wall-clock time across DST
			// changes (RFC 5545 §3.3.10); generated times are 08:00-20:00,
			// never in a gap or fold.
			s := e.Start
			st = time.Date(s.Year(), s.Month(), s.Day()+7*e.interval()*k, s.Hour(), s.Minute(), s.Second(), 0, s.Location())
			en = st.Add(e.Dur)
		}
		if e.Rule != nil && !e.Rule.Until.IsZero() && st.After(e.Rule.Until) {
			break
		}
		if !st.Before(w.End) {
			break
		}
		if en.After(w.Start) {
			out = append(out, Instance{st, en})
		}
	}
	return out
}

func (e *Event) interval() int {
	if e.Rule == nil || e.Rule.Interval < 1 {
		return 1
	}
	return e.Rule.Interval
}

// floatingSafe reports whether whether e overlaps w does not depend on
// the time zone floating times are read in (any offset from -14h to
// +14h): a server may read them in UTC or in the calendar's zone.
func (e *Event) floatingSafe(w Window) bool {
	if e.Kind != KindAllDay {
		return true
	}
	a := len(e.occurrencesShifted(w, -14*time.Hour))
	b := len(e.occurrencesShifted(w, 0))
	c := len(e.occurrencesShifted(w, 14*time.Hour))
	return a == b && b == c
}

// Expectation is what a calendar-query over a window must return.
type Expectation struct {
	Objects   int             // objects with an instance in the window
	Instances int             // instances in the window (expanded VEVENTs)
	Names     map[string]bool // the objects' resource names (Event.Name)
}

// Expect computes the expectation for events over w.
func Expect(events []*Event, w Window) Expectation {
	x := Expectation{Names: map[string]bool{}}
	for _, e := range events {
		if n := len(e.Occurrences(w)); n > 0 {
			x.Objects++
			x.Instances += n
			x.Names[e.Name()] = true
		}
	}
	return x
}

// Generator makes reproducible, realistic events spread over two
// years (2025 and 2026).
type Generator struct {
	rng    *rand.Rand
	window Window // floating events are kept unambiguous against it
	prefix string
	seq    int
}

// NewGenerator returns a generator seeded with seed whose UIDs start
// with prefix; all-day events are placed so that their overlap with w
// does not depend on the time zone they are read in.
func NewGenerator(seed uint64, prefix string, w Window) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)), window: w, prefix: prefix}
}

var (
	span0     = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	spanDays  = 730
	summaries = []string{"Team meeting", "1:1", "Lunch with Ana", "Dentist", "Sprint planning", "Yoga",
		"Besprechung Änderungen", "Réunion budget", "Code review", "Call with vendor", "Board meeting",
		"Kindergarten pickup", "Flight LH 400", "Retrospective", "Office hours", "Reading group"}
	locations = []string{"", "", "Room 4.12", "Alexanderplatz 1, 10178 Berlin", "https://meet.example.org/abc-defg",
		"Café Einstein", "HQ, 5th floor", "Zürich HB"}
	names = []string{"Ana", "Bernd", "Chloé", "Dmitri", "Eve", "Fatima", "Gustav", "Hiro", "Ines", "Jamal"}
)

// Next returns a new event.
func (g *Generator) Next() *Event {
	r := g.rng
	g.seq++
	e := &Event{UID: fmt.Sprintf("%s-%06d-%08x@bench.example", g.prefix, g.seq, r.Uint32())}
	switch p := r.IntN(100); {
	case p < 45:
		e.Kind = KindBerlin
	case p < 60:
		e.Kind = KindNewYork
	case p < 90:
		e.Kind = KindUTC
	default:
		e.Kind = KindAllDay
	}
	day := r.IntN(spanDays)
	if e.Kind == KindAllDay {
		e.Days = 1
		if r.IntN(5) == 0 {
			e.Days = 2 + r.IntN(4)
		}
		e.Start = span0.AddDate(0, 0, day)
		if r.IntN(20) == 0 { // a yearly-ish holiday pattern: weekly all-day with COUNT
			e.Rule = &Weekly{Interval: 1, Count: 2 + r.IntN(6)}
		}
		for !e.floatingSafe(g.window) {
			e.Start = e.Start.AddDate(0, 0, 3)
		}
	} else {
		loc := time.UTC
		switch e.Kind {
		case KindBerlin:
			loc = berlin
		case KindNewYork:
			loc = newYork
		}
		d := span0.AddDate(0, 0, day)
		e.Start = time.Date(d.Year(), d.Month(), d.Day(), 8+r.IntN(11), 15*r.IntN(4), 0, 0, loc)
		e.Dur = []time.Duration{30, 45, 60, 60, 60, 90, 120, 180}[r.IntN(8)] * time.Minute
		e.UseDuration = r.IntN(5) == 0
		if r.IntN(10) == 0 {
			w := &Weekly{Interval: 1}
			if r.IntN(5) == 0 {
				w.Interval = 2
			}
			switch r.IntN(3) {
			case 0:
				w.Count = 3 + r.IntN(30)
			case 1:
				// UNTIL at an instance's start (inclusive) or later that day.
				k := 2 + r.IntN(30)
				s := e.Start
				last := time.Date(s.Year(), s.Month(), s.Day()+7*w.Interval*k, s.Hour(), s.Minute(), 0, 0, loc)
				if r.IntN(2) == 0 {
					last = last.Add(time.Duration(r.IntN(6*60)) * time.Minute)
				}
				w.Until = last.UTC()
			}
			e.Rule = w
		}
	}
	e.Summary = summaries[r.IntN(len(summaries))]
	e.Location = locations[r.IntN(len(locations))]
	if r.IntN(3) == 0 {
		e.Description = strings.Repeat("Agenda: status, risks, next steps; please read the notes before the meeting. ", 1+r.IntN(4))
	}
	e.Alarm = r.IntN(3) == 0
	if r.IntN(4) == 0 {
		e.Attendees = 1 + r.IntN(6)
	}
	return e
}

// Modify changes e as a client editing it would: new summary, higher
// SEQUENCE, same times.
func (e *Event) Modify() {
	e.Seq++
	e.Summary = fmt.Sprintf("%s (edit %d)", strings.SplitN(e.Summary, " (edit", 2)[0], e.Seq)
}

// Name is the object's resource name in the calendar.
func (e *Event) Name() string {
	return strings.NewReplacer("@", "-", ".", "-").Replace(e.UID) + ".ics"
}

const vtzBerlin = `BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
`

const vtzNewYork = `BEGIN:VTIMEZONE
TZID:America/New_York
X-LIC-LOCATION:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:19700308T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:19701101T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE
`

var weekdays = [...]string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}

// ICS renders e as an iCalendar object (CRLF line ends, folded lines).
func (e *Event) ICS() []byte {
	var b strings.Builder
	line := func(s string) { fold(&b, s) }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//gocaldav//caldav-bench//EN")
	line("CALSCALE:GREGORIAN")
	tzid := ""
	switch e.Kind {
	case KindBerlin:
		tzid = "Europe/Berlin"
		for _, l := range strings.Split(strings.TrimSpace(vtzBerlin), "\n") {
			line(l)
		}
	case KindNewYork:
		tzid = "America/New_York"
		for _, l := range strings.Split(strings.TrimSpace(vtzNewYork), "\n") {
			line(l)
		}
	}
	line("BEGIN:VEVENT")
	line("UID:" + e.UID)
	line("DTSTAMP:20250101T120000Z")
	line("CREATED:20241201T090000Z")
	line("LAST-MODIFIED:20241201T090000Z")
	line(fmt.Sprintf("SEQUENCE:%d", e.Seq))
	line("SUMMARY:" + escapeText(e.Summary))
	if e.Location != "" {
		line("LOCATION:" + escapeText(e.Location))
	}
	if e.Description != "" {
		line("DESCRIPTION:" + escapeText(e.Description))
	}
	switch e.Kind {
	case KindAllDay:
		line("DTSTART;VALUE=DATE:" + e.Start.Format("20060102"))
		line("DTEND;VALUE=DATE:" + e.Start.AddDate(0, 0, e.Days).Format("20060102"))
		line("TRANSP:TRANSPARENT")
	case KindUTC:
		line("DTSTART:" + e.Start.UTC().Format("20060102T150405Z"))
		if e.UseDuration {
			line("DURATION:" + icalDuration(e.Dur))
		} else {
			line("DTEND:" + e.Start.Add(e.Dur).UTC().Format("20060102T150405Z"))
		}
	default:
		line("DTSTART;TZID=" + tzid + ":" + e.Start.Format("20060102T150405"))
		if e.UseDuration {
			line("DURATION:" + icalDuration(e.Dur))
		} else {
			line("DTEND;TZID=" + tzid + ":" + e.Start.Add(e.Dur).Format("20060102T150405"))
		}
	}
	if w := e.Rule; w != nil {
		r := "RRULE:FREQ=WEEKLY"
		if w.Interval > 1 {
			r += fmt.Sprintf(";INTERVAL=%d", w.Interval)
		}
		r += ";BYDAY=" + weekdays[e.Start.Weekday()]
		if w.Count > 0 {
			r += fmt.Sprintf(";COUNT=%d", w.Count)
		}
		if !w.Until.IsZero() {
			r += ";UNTIL=" + w.Until.UTC().Format("20060102T150405Z")
		}
		line(r)
	}
	if e.Attendees > 0 {
		line("ORGANIZER;CN=Organizer:mailto:organizer@bench.example")
		for i := 0; i < e.Attendees; i++ {
			n := names[i%len(names)]
			line(fmt.Sprintf("ATTENDEE;CN=%s;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:%s@bench.example",
				n, strings.ToLower(n)))
		}
	}
	if e.Alarm {
		line("BEGIN:VALARM")
		line("ACTION:DISPLAY")
		line("DESCRIPTION:Reminder")
		line("TRIGGER:-PT15M")
		line("END:VALARM")
	}
	line("END:VEVENT")
	line("END:VCALENDAR")
	return []byte(b.String())
}

// fold writes s as content lines of at most 75 octets (RFC 5545 §3.1),
// breaking between UTF-8 characters.
func fold(b *strings.Builder, s string) {
	limit := 75
	for len(s) > limit {
		i := limit
		for i > 0 && s[i]&0xC0 == 0x80 { // do not split a character
			i--
		}
		b.WriteString(s[:i])
		b.WriteString("\r\n ")
		s = s[i:]
		limit = 74
	}
	b.WriteString(s)
	b.WriteString("\r\n")
}

// escapeText escapes an iCalendar TEXT value.
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`).Replace(s)
}

// icalDuration writes d (whole minutes) as an iCalendar DURATION.
func icalDuration(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	s := "PT"
	if h > 0 {
		s += fmt.Sprintf("%dH", h)
	}
	if m > 0 || h == 0 {
		s += fmt.Sprintf("%dM", m)
	}
	return s
}

package query

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
)

func TestParseFilterErrors(t *testing.T) {
	tests := []struct {
		name, xml, cond string
	}{
		{"not a filter", `<C:comp-filter ` + cNS + ` name="VCALENDAR"/>`, CondValidFilter},
		{"DAV namespace", `<D:filter xmlns:D="DAV:"><D:comp-filter name="VCALENDAR"/></D:filter>`, CondValidFilter},
		{"empty filter", `<C:filter ` + cNS + `/>`, CondValidFilter},
		{"two comp-filters", `<C:filter ` + cNS + `><C:comp-filter name="VCALENDAR"/><C:comp-filter name="VCALENDAR"/></C:filter>`, CondValidFilter},
		{"root not VCALENDAR", `<C:filter ` + cNS + `><C:comp-filter name="VEVENT"/></C:filter>`, CondValidFilter},
		{"no name", filterXML(`<C:comp-filter/>`), CondValidFilter},
		{"unknown element", filterXML(`<C:comp-filter name="VEVENT"><C:bogus/></C:comp-filter>`), CondValidFilter},
		{"foreign element", filterXML(`<C:comp-filter name="VEVENT"><X:y xmlns:X="urn:x"/></C:comp-filter>`), CondValidFilter},
		{"is-not-defined with more", filterXML(`<C:comp-filter name="VEVENT"><C:is-not-defined/><C:prop-filter name="UID"/></C:comp-filter>`), CondValidFilter},
		{"time-range not first", filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"/><C:time-range start="20060104T000000Z"/></C:comp-filter>`), CondValidFilter},
		{"time-range non-UTC", filterXML(`<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000"/></C:comp-filter>`), CondValidFilter},
		{"time-range date", filterXML(`<C:comp-filter name="VEVENT"><C:time-range start="20060104"/></C:comp-filter>`), CondValidFilter},
		{"time-range open both", filterXML(`<C:comp-filter name="VEVENT"><C:time-range/></C:comp-filter>`), CondValidFilter},
		{"time-range reversed", filterXML(`<C:comp-filter name="VEVENT"><C:time-range start="20060105T000000Z" end="20060104T000000Z"/></C:comp-filter>`), CondValidFilter},
		{"time-range empty", filterXML(`<C:comp-filter name="VEVENT"><C:time-range start="20060105T000000Z" end="20060105T000000Z"/></C:comp-filter>`), CondValidFilter},
		{"time-range on VTIMEZONE", filterXML(`<C:comp-filter name="VTIMEZONE"><C:time-range start="20060104T000000Z"/></C:comp-filter>`), CondSupportedFilter},
		{"time-range on SUMMARY", filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:time-range start="20060104T000000Z"/></C:prop-filter></C:comp-filter>`), CondSupportedFilter},
		{"unknown collation", filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter></C:comp-filter>`), CondSupportedCollation},
		{"bad negate", filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match negate-condition="maybe">x</C:text-match></C:prop-filter></C:comp-filter>`), CondValidFilter},
		{"two param children", filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:is-not-defined/><C:text-match>x</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>`), CondValidFilter},
		{"text-match after param", filterXML(`<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"/><C:text-match>x</C:text-match></C:prop-filter></C:comp-filter>`), CondValidFilter},
		{"too deep", filterXML(strings.Repeat(`<C:comp-filter name="X">`, 10) + strings.Repeat(`</C:comp-filter>`, 10)), CondValidFilter},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseFilter(xmlElement(t, tc.xml))
			e, ok := AsError(err)
			if !ok || e.Condition != tc.cond || e.Status != 403 {
				t.Errorf("got %v, want 403 %s", err, tc.cond)
			}
		})
	}
}

// Namespaces are matched by URI, so any prefix (or a default namespace)
// works.
func TestParseFilterPrefixes(t *testing.T) {
	for _, x := range []string{
		`<cal:filter xmlns:cal="urn:ietf:params:xml:ns:caldav"><cal:comp-filter name="VCALENDAR"><cal:comp-filter name="VEVENT"/></cal:comp-filter></cal:filter>`,
		`<filter xmlns="urn:ietf:params:xml:ns:caldav"><comp-filter name="vcalendar"><comp-filter name="VEVENT"/></comp-filter></filter>`,
	} {
		f, err := ParseFilter(xmlElement(t, x))
		if err != nil {
			t.Fatalf("%s: %v", x, err)
		}
		if f.Comp.Name != "VCALENDAR" || len(f.Comp.Comps) != 1 || f.Comp.Comps[0].Name != "VEVENT" {
			t.Errorf("parsed %+v", f.Comp)
		}
	}
}

func TestTextMatchCollations(t *testing.T) {
	tests := []struct {
		text, coll, value string
		negate, want      bool
	}{
		{"steelers", CollationASCIICasemap, "Go Steelers!", false, true},
		{"steelers", CollationOctet, "Go Steelers!", false, false},
		{"Steelers", CollationOctet, "Go Steelers!", false, true},
		{"ÉTÉ", CollationASCIICasemap, "été", false, false},
		{"ÉTÉ", CollationUnicodeCasemap, "un été chaud", false, true},
		{"CANCELLED", CollationASCIICasemap, "cancelled", true, false},
		{"CANCELLED", CollationASCIICasemap, "CONFIRMED", true, true},
		{"", CollationOctet, "anything", false, true},
	}
	for _, tc := range tests {
		tm := &TextMatch{Text: tc.text, Collation: tc.coll, Negate: tc.negate}
		if got := tm.Matches(tc.value); got != tc.want {
			t.Errorf("%+v on %q = %v", tm, tc.value, got)
		}
	}
}

func calOf(t testing.TB, body string) *ical.Calendar {
	t.Helper()
	s := "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n" + strings.TrimSpace(body) + "\nEND:VCALENDAR\n"
	cal, err := icalobj.Parse([]byte(strings.ReplaceAll(s, "\n", "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func mustFilter(t testing.TB, inner string) *Filter {
	t.Helper()
	f, err := ParseFilter(xmlElement(t, filterXML(inner)))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestMatchCases(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	const alarmEvent = `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240101T100000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=10
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:x
TRIGGER:-PT15M
END:VALARM
END:VEVENT`
	tests := []struct {
		name, cal, filter string
		floating          *time.Location
		want              bool
	}{
		{"alarm of 5th instance", alarmEvent, `<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20240105T094500Z" end="20240105T094600Z"/></C:comp-filter></C:comp-filter>`, nil, true},
		{"alarm after last instance", alarmEvent, `<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20240111T094500Z" end="20240111T094600Z"/></C:comp-filter></C:comp-filter>`, nil, false},
		{"alarm with event time-range", alarmEvent, `<C:comp-filter name="VEVENT"><C:time-range start="20240103T000000Z" end="20240104T000000Z"/><C:comp-filter name="VALARM"><C:time-range start="20240103T094500Z" end="20240103T094600Z"/></C:comp-filter></C:comp-filter>`, nil, true},
		{"alarm of another instance than the range", alarmEvent, `<C:comp-filter name="VEVENT"><C:time-range start="20240103T000000Z" end="20240104T000000Z"/><C:comp-filter name="VALARM"><C:time-range start="20240105T094500Z" end="20240105T094600Z"/></C:comp-filter></C:comp-filter>`, nil, false},
		{"alarm related end with repeat", `BEGIN:VTODO
UID:t
DTSTAMP:20240101T000000Z
DUE:20240110T120000Z
BEGIN:VALARM
ACTION:AUDIO
TRIGGER;RELATED=END:-PT1H
REPEAT:3
DURATION:PT10M
END:VALARM
END:VTODO`, `<C:comp-filter name="VTODO"><C:comp-filter name="VALARM"><C:time-range start="20240110T112500Z" end="20240110T113500Z"/></C:comp-filter></C:comp-filter>`, nil, true},
		{"absolute alarm", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240301T100000Z
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;VALUE=DATE-TIME:20240229T090000Z
END:VALARM
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20240229T090000Z" end="20240229T090001Z"/></C:comp-filter></C:comp-filter>`, nil, true},
		{"freebusy dtstart/dtend touching", `BEGIN:VFREEBUSY
UID:f
DTSTAMP:20240101T000000Z
DTSTART:20240101T000000Z
DTEND:20240102T000000Z
END:VFREEBUSY`, `<C:comp-filter name="VFREEBUSY"><C:time-range start="20240102T000000Z" end="20240103T000000Z"/></C:comp-filter>`, nil, true},
		{"freebusy periods only, miss", `BEGIN:VFREEBUSY
UID:f
DTSTAMP:20240101T000000Z
FREEBUSY:20240101T100000Z/PT1H,20240101T130000Z/20240101T140000Z
END:VFREEBUSY`, `<C:comp-filter name="VFREEBUSY"><C:time-range start="20240101T110000Z" end="20240101T130000Z"/></C:comp-filter>`, nil, false},
		{"freebusy periods only, hit", `BEGIN:VFREEBUSY
UID:f
DTSTAMP:20240101T000000Z
FREEBUSY:20240101T100000Z/PT1H,20240101T130000Z/20240101T140000Z
END:VFREEBUSY`, `<C:comp-filter name="VFREEBUSY"><C:time-range start="20240101T110000Z" end="20240101T130001Z"/></C:comp-filter>`, nil, true},
		{"freebusy nothing", `BEGIN:VFREEBUSY
UID:f
DTSTAMP:20240101T000000Z
END:VFREEBUSY`, `<C:comp-filter name="VFREEBUSY"><C:time-range start="20240101T110000Z"/></C:comp-filter>`, nil, false},
		{"DTSTAMP time-range", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240301T100000Z
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTAMP"><C:time-range start="20240101T000000Z" end="20240101T000001Z"/></C:prop-filter></C:comp-filter>`, nil, true},
		{"COMPLETED time-range miss", `BEGIN:VTODO
UID:a
DTSTAMP:20240101T000000Z
COMPLETED:20240105T000000Z
END:VTODO`, `<C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:time-range end="20240105T000000Z"/></C:prop-filter></C:comp-filter>`, nil, false},
		{"effective DTEND from DURATION", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240301T100000Z
DURATION:PT2H
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:prop-filter name="DTEND"><C:time-range start="20240301T120000Z" end="20240301T120001Z"/></C:prop-filter></C:comp-filter>`, nil, true},
		{"DTSTART of a later instance", alarmEvent, `<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20240107T100000Z" end="20240107T100001Z"/></C:prop-filter></C:comp-filter>`, nil, true},
		{"floating event in calendar zone, hit", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240110T090000
DURATION:PT1H
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:time-range start="20240110T140000Z" end="20240110T143000Z"/></C:comp-filter>`, ny, true},
		{"floating event in calendar zone, miss", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240110T090000
DURATION:PT1H
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:time-range start="20240110T090000Z" end="20240110T100000Z"/></C:comp-filter>`, ny, false},
		{"is-not-defined component", alarmEvent, `<C:comp-filter name="VTODO"><C:is-not-defined/></C:comp-filter>`, nil, true},
		{"text-match escaped text", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240301T100000Z
SUMMARY:Lunch\, then talk
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match>lunch, then</C:text-match></C:prop-filter></C:comp-filter>`, nil, true},
		{"param is-not-defined", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240301T100000Z
ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@example.com
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="ROLE"><C:is-not-defined/></C:param-filter></C:prop-filter></C:comp-filter>`, nil, true},
		{"override matched by its own summary", `BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
DTSTART:20240101T100000Z
RRULE:FREQ=DAILY;COUNT=3
SUMMARY:daily
END:VEVENT
BEGIN:VEVENT
UID:a
DTSTAMP:20240101T000000Z
RECURRENCE-ID:20240102T100000Z
DTSTART:20240102T150000Z
SUMMARY:moved
END:VEVENT`, `<C:comp-filter name="VEVENT"><C:time-range start="20240102T000000Z" end="20240103T000000Z"/><C:prop-filter name="SUMMARY"><C:text-match>daily</C:text-match></C:prop-filter></C:comp-filter>`, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := mustFilter(t, tc.filter).Match(NewObject(calOf(t, tc.cal)), Options{Floating: tc.floating})
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}

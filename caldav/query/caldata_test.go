package query

import (
	"errors"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/recur"
)

// canon parses iCalendar text (LF or CRLF) and re-encodes it, so that two
// calendars compare as parsed data (property order and folding ignored).
func canon(t testing.TB, s string) string {
	t.Helper()
	s = strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(s), "\r\n", "\n"), "\n", "\r\n") + "\r\n"
	cal, err := icalobj.Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse expected: %v\n%s", err, s)
	}
	return string(icalobj.EncodeBytes(cal))
}

const usEastern = `BEGIN:VTIMEZONE
LAST-MODIFIED:20040110T032845Z
TZID:US/Eastern
BEGIN:DAYLIGHT
DTSTART:20000404T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4
TZNAME:EDT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20001026T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
TZNAME:EST
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
END:VTIMEZONE`

// Calendar data of the RFC 4791 §7.8.1–§7.8.4 responses (with the RFC's
// known slips corrected: expanded times carry "Z", abcd3 has no PRODID in
// §7.8.1, the free-busy object is Appendix B's).
func TestAppendixBCalendarData(t *testing.T) {
	objs := appendixB(t)
	tests := []struct {
		section, obj, request, want string
	}{
		{"7.8.1 partial", "abcd2.ics", `<C:calendar-data ` + cNS + `><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="DTEND"/><C:prop name="DURATION"/><C:prop name="RRULE"/><C:prop name="RDATE"/><C:prop name="EXRULE"/><C:prop name="EXDATE"/><C:prop name="RECURRENCE-ID"/></C:comp><C:comp name="VTIMEZONE"/></C:comp></C:calendar-data>`,
			`BEGIN:VCALENDAR
VERSION:2.0
` + usEastern + `
BEGIN:VEVENT
DTSTART;TZID=US/Eastern:20060102T120000
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Event #2
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=US/Eastern:20060104T140000
DURATION:PT1H
RECURRENCE-ID;TZID=US/Eastern:20060104T120000
SUMMARY:Event #2 bis
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=US/Eastern:20060106T140000
DURATION:PT1H
RECURRENCE-ID;TZID=US/Eastern:20060106T120000
SUMMARY:Event #2 bis bis
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
END:VCALENDAR`},
		{"7.8.1 partial abcd3", "abcd3.ics", `<C:calendar-data ` + cNS + `><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/><C:prop name="DTSTART"/><C:prop name="DTEND"/><C:prop name="DURATION"/><C:prop name="RRULE"/><C:prop name="RDATE"/><C:prop name="EXRULE"/><C:prop name="EXDATE"/><C:prop name="RECURRENCE-ID"/></C:comp><C:comp name="VTIMEZONE"/></C:comp></C:calendar-data>`,
			`BEGIN:VCALENDAR
VERSION:2.0
` + usEastern + `
BEGIN:VEVENT
DTSTART;TZID=US/Eastern:20060104T100000
DURATION:PT1H
SUMMARY:Event #3
UID:DC6C50A017428C5216A2F1CD@example.com
END:VEVENT
END:VCALENDAR`},
		{"7.8.2 limit-recurrence-set", "abcd2.ics", `<C:calendar-data ` + cNS + `><C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`,
			`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Client//EN
` + usEastern + `
BEGIN:VEVENT
DTSTAMP:20060206T001121Z
DTSTART;TZID=US/Eastern:20060102T120000
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Event #2
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
BEGIN:VEVENT
DTSTAMP:20060206T001121Z
DTSTART;TZID=US/Eastern:20060104T140000
DURATION:PT1H
RECURRENCE-ID;TZID=US/Eastern:20060104T120000
SUMMARY:Event #2 bis
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
END:VCALENDAR`},
		{"7.8.3 expand", "abcd2.ics", `<C:calendar-data ` + cNS + `><C:expand start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`,
			`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Client//EN
BEGIN:VEVENT
DTSTAMP:20060206T001121Z
DTSTART:20060103T170000Z
DURATION:PT1H
RECURRENCE-ID:20060103T170000Z
SUMMARY:Event #2
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
BEGIN:VEVENT
DTSTAMP:20060206T001121Z
DTSTART:20060104T190000Z
DURATION:PT1H
RECURRENCE-ID:20060104T170000Z
SUMMARY:Event #2 bis
UID:00959BC664CA650E933C892C@example.com
END:VEVENT
END:VCALENDAR`},
		{"7.8.3 expand abcd3", "abcd3.ics", `<C:calendar-data ` + cNS + `><C:expand start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`,
			`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Client//EN
BEGIN:VEVENT
ATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:mailto:cyrus@example.com
ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:lisa@example.com
DTSTAMP:20060206T001220Z
DTSTART:20060104T150000Z
DURATION:PT1H
LAST-MODIFIED:20060206T001330Z
ORGANIZER:mailto:cyrus@example.com
SEQUENCE:1
STATUS:TENTATIVE
SUMMARY:Event #3
UID:DC6C50A017428C5216A2F1CD@example.com
END:VEVENT
END:VCALENDAR`},
		{"7.8.4 limit-freebusy-set", "abcd8.ics", `<C:calendar-data ` + cNS + `><C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/></C:calendar-data>`,
			`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//CalDAV Client//EN
BEGIN:VFREEBUSY
ORGANIZER;CN="Bernard Desruisseaux":mailto:bernard@example.com
UID:76ef34-54a3d2@example.com
DTSTAMP:20050530T123421Z
DTSTART:20060101T000000Z
DTEND:20060108T000000Z
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20060102T100000Z/20060102T120000Z
END:VFREEBUSY
END:VCALENDAR`},
	}
	for _, tc := range tests {
		t.Run(tc.section, func(t *testing.T) {
			cd, err := ParseCalendarData(xmlElement(t, tc.request))
			if err != nil {
				t.Fatal(err)
			}
			if cd.Identity() {
				t.Fatal("request should transform")
			}
			before := string(icalobj.EncodeBytes(objs[tc.obj]))
			got, err := cd.Render(nil, NewObject(objs[tc.obj]), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if g, w := canon(t, string(got)), canon(t, tc.want); g != w {
				t.Errorf("got:\n%s\nwant:\n%s", g, w)
			}
			if after := string(icalobj.EncodeBytes(objs[tc.obj])); after != before {
				t.Error("Apply modified its input")
			}
		})
	}
}

func TestCalendarDataIdentity(t *testing.T) {
	cd, err := ParseCalendarData(xmlElement(t, `<C:calendar-data `+cNS+`/>`))
	if err != nil || !cd.Identity() {
		t.Fatalf("empty calendar-data: %v %v", cd, err)
	}
	stored := []byte("BEGIN:VCALENDAR\r\nX-ANY:stored bytes\r\nEND:VCALENDAR\r\n")
	out, err := cd.Render(stored, nil, Options{})
	if err != nil || string(out) != string(stored) {
		t.Errorf("identity render changed the bytes: %q %v", out, err)
	}
}

func TestCalendarDataErrors(t *testing.T) {
	tests := []struct {
		xml, cond string
		status    int
	}{
		{`<C:calendar-data ` + cNS + ` content-type="application/calendar+json"/>`, CondSupportedCalendarData, 403},
		{`<C:calendar-data ` + cNS + ` version="1.0"/>`, CondSupportedCalendarData, 403},
		{`<C:calendar-data ` + cNS + `><C:expand start="20060103T000000Z"/></C:calendar-data>`, "", 400},
		{`<C:calendar-data ` + cNS + `><C:expand start="20060103T000000" end="20060105T000000Z"/></C:calendar-data>`, "", 400},
		{`<C:calendar-data ` + cNS + `><C:expand start="20060103T000000Z" end="20060105T000000Z"/><C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`, "", 400},
		{`<C:calendar-data ` + cNS + `><C:comp name="VEVENT"/></C:calendar-data>`, "", 400},
		{`<C:calendar-data ` + cNS + `><C:comp name="VCALENDAR"><C:bogus/></C:comp></C:calendar-data>`, "", 400},
		{`<C:calendar-data ` + cNS + `><C:comp name="VCALENDAR"><C:allprop/><C:prop name="X"/></C:comp></C:calendar-data>`, "", 400},
		{`<C:calendar-data ` + cNS + `><C:comp name="VCALENDAR"><C:prop name="X" novalue="maybe"/></C:comp></C:calendar-data>`, "", 400},
	}
	for _, tc := range tests {
		_, err := ParseCalendarData(xmlElement(t, tc.xml))
		e, ok := AsError(err)
		if !ok || e.Condition != tc.cond || e.Status != tc.status {
			t.Errorf("%s: got %v, want %d %q", tc.xml, err, tc.status, tc.cond)
		}
	}
	cd, err := ParseCalendarData(xmlElement(t, `<C:calendar-data `+cNS+` content-type="text/calendar; charset=utf-8" version="2.0"/>`))
	if err != nil || !cd.Identity() {
		t.Errorf("text/calendar with charset: %v", err)
	}
}

func TestNoValueAndAllComp(t *testing.T) {
	cal := appendixB(t)["abcd3.ics"]
	cd, err := ParseCalendarData(xmlElement(t, `<C:calendar-data `+cNS+`><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="ATTENDEE" novalue="yes"/><C:prop name="UID"/><C:allcomp/></C:comp></C:comp></C:calendar-data>`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := cd.Apply(cal, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ev := out.Children[0]
	if ev.Name != ical.CompEvent || len(out.Children) != 1 {
		t.Fatalf("children: %v", out.Children)
	}
	at := ev.Props[ical.PropAttendee]
	if len(at) != 2 || at[0].Value != "" || at[0].Params.Get("PARTSTAT") == "" {
		t.Errorf("novalue ATTENDEE: %+v", at)
	}
	if len(ev.Props) != 2 || out.Props.Get(ical.PropProductID) == nil {
		t.Errorf("props: %v / %v", ev.Props, out.Props)
	}
	if !strings.Contains(string(icalobj.EncodeBytes(out)), "ATTENDEE;PARTSTAT=NEEDS-ACTION:\r\n") {
		t.Error("novalue output must end in a bare colon")
	}
}

func TestExpandLimits(t *testing.T) {
	cal, err := icalobj.Parse([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:u\r\nDTSTAMP:20240101T000000Z\r\nDTSTART:20240101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	cd, _ := ParseCalendarData(xmlElement(t, `<C:calendar-data `+cNS+`><C:expand start="20240101T000000Z" end="20240201T000000Z"/></C:calendar-data>`))
	if _, err := cd.Apply(cal, Options{}); !errors.Is(err, recur.ErrTooManyInstances) {
		t.Errorf("expand of a month of seconds: %v, want ErrTooManyInstances", err)
	}
}

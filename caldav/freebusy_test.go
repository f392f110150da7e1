package caldav

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/dav/davtest/stack"
)

// newACLEnv builds the server as cmd/caldav wires it: accounts, ACL
// enforcement and CalDAV, over an in-memory store, with users alice, bob
// and carol.
func newACLEnv(t *testing.T) *stack.Stack {
	t.Helper()
	return stack.New(t, stack.Options{
		Register: func(srv *dav.Server) { register(srv, Options{}) },
		Now:      func() time.Time { return testNow },
		Users:    []string{"alice", "bob", "carol"},
	})
}

// easternTZ is the US-Eastern VTIMEZONE of RFC 4791 Appendix B.
func easternTZ(t *testing.T) string {
	text := fixture(t, "rfc4791", "abcd1.ics")
	return text[strings.Index(text, "BEGIN:VTIMEZONE"):strings.Index(text, "BEGIN:VEVENT")]
}

// vcal wraps components in a VCALENDAR.
func vcal(body string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n" + strings.ReplaceAll(strings.TrimSpace(body), "\n", "\r\n") + "\r\nEND:VCALENDAR\r\n"
}

// freeBusyObjects are alice's calendar: one object per case.
var freeBusyObjects = map[string]string{
	"opaque.ics": `BEGIN:VEVENT
UID:opaque
DTSTAMP:20260101T000000Z
DTSTART:20260105T090000Z
DTEND:20260105T100000Z
TRANSP:OPAQUE
END:VEVENT`,
	"adjacent.ics": `BEGIN:VEVENT
UID:adjacent
DTSTAMP:20260101T000000Z
DTSTART:20260105T100000Z
DURATION:PT1H
END:VEVENT`,
	"transparent.ics": `BEGIN:VEVENT
UID:transparent
DTSTAMP:20260101T000000Z
DTSTART:20260105T120000Z
DTEND:20260105T130000Z
TRANSP:TRANSPARENT
END:VEVENT`,
	"cancelled.ics": `BEGIN:VEVENT
UID:cancelled
DTSTAMP:20260101T000000Z
DTSTART:20260105T140000Z
DTEND:20260105T150000Z
STATUS:CANCELLED
END:VEVENT`,
	"tentative.ics": `BEGIN:VEVENT
UID:tentative
DTSTAMP:20260101T000000Z
DTSTART:20260105T093000Z
DTEND:20260105T103000Z
STATUS:TENTATIVE
END:VEVENT`,
	"straddle.ics": `BEGIN:VEVENT
UID:straddle
DTSTAMP:20260101T000000Z
DTSTART:20260104T230000Z
DTEND:20260105T010000Z
END:VEVENT`,
	// Daily at 08:00Z for five days: the 7th cancelled by an override,
	// the 8th excluded, the 9th moved to 14:00Z.
	"recurring.ics": `BEGIN:VEVENT
UID:daily
DTSTAMP:20260101T000000Z
DTSTART:20260106T080000Z
DURATION:PT1H
RRULE:FREQ=DAILY;COUNT=5
EXDATE:20260108T080000Z
END:VEVENT
BEGIN:VEVENT
UID:daily
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260107T080000Z
DTSTART:20260107T080000Z
DURATION:PT1H
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:daily
DTSTAMP:20260101T000000Z
RECURRENCE-ID:20260109T080000Z
DTSTART:20260109T140000Z
DTEND:20260109T150000Z
END:VEVENT`,
	// All day in the calendar's zone (UTC-5): 05:00Z to 05:00Z.
	"allday.ics": `BEGIN:VEVENT
UID:allday
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260111
END:VEVENT`,
	// Floating noon in the calendar's zone: 17:00Z.
	"floating.ics": `BEGIN:VEVENT
UID:floating
DTSTAMP:20260101T000000Z
DTSTART:20260107T120000
DTEND:20260107T130000
END:VEVENT`,
	"outside.ics": `BEGIN:VEVENT
UID:outside
DTSTAMP:20260101T000000Z
DTSTART:20260201T080000Z
DTEND:20260201T090000Z
END:VEVENT`,
	"published.ics": `BEGIN:VFREEBUSY
UID:published
DTSTAMP:20260101T000000Z
DTSTART:20260101T000000Z
DTEND:20260201T000000Z
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260108T150000Z/PT2H,20260108T160000Z/20260108T180000Z
FREEBUSY;FBTYPE=FREE:20260106T000000Z/PT8H
FREEBUSY:20260110T200000Z/PT1H
END:VFREEBUSY`,
}

// freeBusyExpected is the answer for freeBusyObjects over
// freeBusyRange.
const freeBusyExpected = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//GOCALDAV//EN
BEGIN:VFREEBUSY
DTSTAMP:20260102T030405Z
DTSTART:20260105T000000Z
DTEND:20260112T120000Z
FREEBUSY:20260105T000000Z/20260105T010000Z
FREEBUSY:20260105T090000Z/20260105T110000Z
FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260105T093000Z/20260105T103000Z
FREEBUSY:20260106T080000Z/20260106T090000Z
FREEBUSY:20260107T170000Z/20260107T180000Z
FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260108T150000Z/20260108T180000Z
FREEBUSY:20260109T140000Z/20260109T150000Z
FREEBUSY:20260110T080000Z/20260110T090000Z
FREEBUSY:20260110T200000Z/20260110T210000Z
FREEBUSY:20260111T050000Z/20260112T050000Z
END:VFREEBUSY
END:VCALENDAR`

const freeBusyRange = `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260105T000000Z" end="20260112T120000Z"/></C:free-busy-query>`

// emptyFreeBusy is the answer when nothing is busy.
const emptyFreeBusy = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//GOCALDAV//EN
BEGIN:VFREEBUSY
DTSTAMP:20260102T030405Z
DTSTART:20260105T000000Z
DTEND:20260112T120000Z
END:VFREEBUSY
END:VCALENDAR`

// withFreeBusyCalendar fills alice's calendar (time zone US-Eastern) and
// grants bob CALDAV:read-free-busy on it.
func withFreeBusyCalendar(t *testing.T) *stack.Stack {
	e := newACLEnv(t)
	e.Want(207, "alice", "PROPPATCH", "/calendars/alice/", `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>
		<C:calendar-timezone>`+vcal(easternTZ(t))+`</C:calendar-timezone>
		<D:acl>
		<D:ace><D:principal><D:href>/principals/alice/</D:href></D:principal><D:grant><D:privilege><D:all/></D:privilege></D:grant></D:ace>
		<D:ace><D:principal><D:href>/principals/bob/</D:href></D:principal><D:grant><D:privilege><C:read-free-busy/></D:privilege></D:grant></D:ace>
		</D:acl></D:prop></D:set></D:propertyupdate>`)
	for name, body := range freeBusyObjects {
		e.Want(201, "alice", "PUT", "/calendars/alice/"+name, vcal(body), "Content-Type", "text/calendar")
	}
	return e
}

// canonicalFreeBusy renders a free-busy answer as sorted lines of its
// VFREEBUSY's properties, parsed: property order, folding and period
// notation do not count.
func canonicalFreeBusy(t *testing.T, text string) string {
	t.Helper()
	cal, err := ical.NewDecoder(strings.NewReader(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\n", "\r\n"))).Decode()
	if err != nil {
		t.Fatalf("answer does not parse: %v\n%s", err, text)
	}
	var fbs []*ical.Component
	for _, c := range cal.Children {
		if c.Name == ical.CompFreeBusy {
			fbs = append(fbs, c)
		}
	}
	if len(fbs) != 1 || len(cal.Children) != 1 {
		t.Fatalf("want exactly one VFREEBUSY and nothing else:\n%s", text)
	}
	var lines []string
	for name, props := range fbs[0].Props {
		for _, p := range props {
			var params []string
			for k, v := range p.Params {
				params = append(params, k+"="+strings.Join(v, ","))
			}
			sort.Strings(params)
			lines = append(lines, name+";"+strings.Join(params, ";")+":"+p.Value)
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// wantFreeBusy checks a 200 text/calendar free-busy answer.
func wantFreeBusy(t *testing.T, r davtest.Response, want string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d, want 200\n%s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf("Content-Type %q, want text/calendar", ct)
	}
	if got, exp := canonicalFreeBusy(t, r.Body), canonicalFreeBusy(t, want); got != exp {
		t.Fatalf("free-busy answer:\n%s\nwant:\n%s", got, exp)
	}
}

func TestFreeBusyQuery(t *testing.T) {
	e := withFreeBusyCalendar(t)
	wantFreeBusy(t, e.As("alice", "REPORT", "/calendars/alice/", freeBusyRange, "Depth", "1"), freeBusyExpected)
}

// A user granted only CALDAV:read-free-busy runs the report but reads
// nothing else; a user granted nothing gets 404 (RFC 4791 §7.10).
func TestFreeBusyPrivilege(t *testing.T) {
	e := withFreeBusyCalendar(t)
	wantFreeBusy(t, e.As("bob", "REPORT", "/calendars/alice/", freeBusyRange, "Depth", "1"), freeBusyExpected)
	e.Want(403, "bob", "GET", "/calendars/alice/opaque.ics", "")
	e.Want(403, "bob", "GET", "/calendars/alice/", "")
	e.Want(403, "bob", "PROPFIND", "/calendars/alice/", "", "Depth", "0")
	e.Want(403, "bob", "REPORT", "/calendars/alice/", `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`, "Depth", "1")
	e.Want(404, "carol", "REPORT", "/calendars/alice/", freeBusyRange, "Depth", "1")
	e.Want(403, "carol", "REPORT", "/calendars/alice/", `<D:expand-property xmlns:D="DAV:"/>`)
}

// The privilege is listed under DAV:read, held through read, and kept in
// the stored ACL in the CalDAV namespace.
func TestFreeBusyPrivilegeProperties(t *testing.T) {
	e := withFreeBusyCalendar(t)
	r := e.Want(207, "alice", "PROPFIND", "/calendars/alice/", `<D:propfind xmlns:D="DAV:"><D:prop><D:acl/><D:supported-privilege-set/><D:current-user-privilege-set/></D:prop></D:propfind>`, "Depth", "0")
	wantACL := canonicalDoc(t, `<D:acl xmlns:D="DAV:" xmlns:X="urn:ietf:params:xml:ns:caldav">
		<D:ace><D:principal><D:href>/principals/alice/</D:href></D:principal><D:grant><D:privilege><D:all/></D:privilege></D:grant></D:ace>
		<D:ace><D:principal><D:href>/principals/bob/</D:href></D:principal><D:grant><D:privilege><X:read-free-busy/></D:privilege></D:grant></D:ace>
		</D:acl>`)
	if got := propCanonical(t, r.Body, "/calendars/alice/", "{DAV:}acl"); got != wantACL {
		t.Fatalf("acl:\n%s\nwant\n%s", got, wantACL)
	}
	readNode := canonicalDoc(t, `<D:supported-privilege xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
		<D:privilege><D:read/></D:privilege><D:description>read</D:description>
		<D:supported-privilege><D:privilege><C:read-free-busy/></D:privilege><D:description>read-free-busy</D:description></D:supported-privilege>
		</D:supported-privilege>`)
	if sps := propCanonical(t, r.Body, "/calendars/alice/", "{DAV:}supported-privilege-set"); !strings.Contains(sps, readNode) {
		t.Fatalf("supported-privilege-set lacks\n%s\nin\n%s", readNode, sps)
	}
	if cups := propCanonical(t, r.Body, "/calendars/alice/", "{DAV:}current-user-privilege-set"); !strings.Contains(cups, "<{DAV:}privilege><{urn:ietf:params:xml:ns:caldav}read-free-busy></></>") {
		t.Fatalf("alice's privileges lack read-free-busy (aggregated in read): %s", cups)
	}
}

func TestFreeBusyDepthAndErrors(t *testing.T) {
	e := withFreeBusyCalendar(t)
	// No Depth means 0: the collection itself holds no busy time.
	wantFreeBusy(t, e.As("alice", "REPORT", "/calendars/alice/", freeBusyRange), emptyFreeBusy)
	wantFreeBusy(t, e.As("alice", "REPORT", "/calendars/alice/", freeBusyRange, "Depth", "0"), emptyFreeBusy)
	// Depth infinity from /calendars/: alice's calendar counts, bob's
	// (which alice may not read) does not.
	e.Want(201, "bob", "PUT", "/calendars/bob/b.ics", vcal(`BEGIN:VEVENT
UID:bobs
DTSTAMP:20260101T000000Z
DTSTART:20260106T200000Z
DTEND:20260106T210000Z
END:VEVENT`), "Content-Type", "text/calendar")
	wantFreeBusy(t, e.As("alice", "REPORT", "/calendars/", freeBusyRange, "Depth", "infinity"), freeBusyExpected)
	for name, body := range map[string]string{
		"no time-range": `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>`,
		"two ranges":    `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260105T000000Z" end="20260106T000000Z"/><C:time-range start="20260105T000000Z" end="20260106T000000Z"/></C:free-busy-query>`,
		"open end":      `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260105T000000Z"/></C:free-busy-query>`,
		"not UTC":       `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260105T000000" end="20260106T000000Z"/></C:free-busy-query>`,
		"reversed":      `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="20260106T000000Z" end="20260105T000000Z"/></C:free-busy-query>`,
		"DAV: range":    `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:time-range start="20260105T000000Z" end="20260106T000000Z"/></C:free-busy-query>`,
	} {
		t.Run(name, func(t *testing.T) {
			e.Want(400, "alice", "REPORT", "/calendars/alice/", body, "Depth", "1")
		})
	}
	// On a calendar object the report is refused with 403.
	r := e.Want(403, "alice", "REPORT", "/calendars/alice/opaque.ics", freeBusyRange)
	if got := davtest.ErrorCondition(r.Body); got != "{DAV:}supported-report" {
		t.Fatalf("condition %q", got)
	}
	// Listed in supported-report-set of calendars, not of objects.
	r = e.Want(207, "alice", "PROPFIND", "/calendars/alice/", `<D:propfind xmlns:D="DAV:"><D:prop><D:supported-report-set/></D:prop></D:propfind>`, "Depth", "1")
	fbReport := "<{urn:ietf:params:xml:ns:caldav}free-busy-query></>"
	if !strings.Contains(propCanonical(t, r.Body, "/calendars/alice/", "{DAV:}supported-report-set"), fbReport) {
		t.Fatalf("calendar's supported-report-set lacks free-busy-query")
	}
	if strings.Contains(propCanonical(t, r.Body, "/calendars/alice/opaque.ics", "{DAV:}supported-report-set"), fbReport) {
		t.Fatalf("object's supported-report-set lists free-busy-query")
	}
}

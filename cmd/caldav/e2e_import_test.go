package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// export is a calendar export: a weekly meeting with one moved
// occurrence (same UID), an event in Europe/Berlin with its VTIMEZONE,
// and a plain UTC event.
var export = strings.ReplaceAll(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example Corp.//Export//EN
BEGIN:VTIMEZONE
TZID:Europe/Berlin
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
BEGIN:VEVENT
UID:weekly@example.com
DTSTAMP:20240101T000000Z
DTSTART:20240108T090000Z
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Weekly
END:VEVENT
BEGIN:VEVENT
UID:berlin@example.com
DTSTAMP:20240101T000000Z
DTSTART;TZID=Europe/Berlin:20240110T140000
DTEND;TZID=Europe/Berlin:20240110T150000
SUMMARY:In Berlin
END:VEVENT
BEGIN:VEVENT
UID:weekly@example.com
RECURRENCE-ID:20240115T090000Z
DTSTAMP:20240101T000000Z
DTSTART:20240116T130000Z
DURATION:PT1H
SUMMARY:Weekly (moved)
END:VEVENT
BEGIN:VEVENT
UID:plain@example.com
DTSTAMP:20240101T000000Z
DTSTART:20240301T120000Z
DTEND:20240301T130000Z
SUMMARY:Plain
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")

// calendarQuery asks for the events of a UTC time range with their data.
func calendarQuery(start, end string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="` + start + `" end="` + end + `"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`
}

// TestImport imports an export into a stopped server's data directory:
// one object per UID in one commit, served once the server starts.
func TestImport(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	data, ics := filepath.Join(dir, "data"), filepath.Join(dir, "export.ics")
	if err := os.WriteFile(ics, []byte(export), 0o644); err != nil {
		t.Fatal(err)
	}
	s := start(t, bin, "--data", data, "--admin-password", "secret")
	s.must(t, 201, request{method: "PUT", path: "/users/alice?password=alicepw", user: "root", pass: "secret"})
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	before := strings.Count(gitLog(t, data, "%H"), "\n")

	if out, code := runBin(t, "", bin, "import", "--data", data, "--calendar", "imported", "--user", "nobody", ics); code == 0 {
		t.Errorf("import for an unknown user succeeded:\n%s", out)
	}
	if out, code := runBin(t, "", bin, "import", "--data", data, "--calendar", "imported", "--user", "alice", ics); code != 0 {
		t.Fatalf("caldav import: exit %d\n%s", code, out)
	}
	log := strings.Split(strings.TrimSpace(gitLog(t, data, "%an%x09%s")), "\n")
	if len(log) != before+1 || !strings.HasPrefix(log[0], "alice (via caldav import)\timport 3 objects into /calendars/imported/") {
		t.Fatalf("the import is not one commit of 3 objects by alice:\n%s", strings.Join(log, "\n"))
	}

	s = start(t, bin, "--data", data)
	get := func(name string) string {
		_, body := s.must(t, 200, request{method: "GET", path: "/calendars/imported/" + name, user: "alice", pass: "alicepw"})
		return body
	}
	weekly := get("weekly@example.com.ics")
	if strings.Count(weekly, "BEGIN:VEVENT") != 2 || !strings.Contains(weekly, "RECURRENCE-ID:20240115T090000Z") ||
		!strings.Contains(weekly, "RRULE:FREQ=WEEKLY;COUNT=10") || strings.Contains(weekly, "VTIMEZONE") {
		t.Errorf("the recurring event and its override are not one object without time zones:\n%s", weekly)
	}
	berlin := get("berlin@example.com.ics")
	if strings.Count(berlin, "BEGIN:VTIMEZONE") != 1 || !strings.Contains(berlin, "TZID:Europe/Berlin") || strings.Count(berlin, "BEGIN:VEVENT") != 1 {
		t.Errorf("the Berlin event lacks its VTIMEZONE:\n%s", berlin)
	}
	plain := get("plain@example.com.ics")
	if strings.Contains(plain, "VTIMEZONE") || !strings.Contains(plain, "UID:plain@example.com") {
		t.Errorf("plain event:\n%s", plain)
	}
	for name, body := range map[string]string{"weekly": weekly, "berlin": berlin, "plain": plain} {
		if !strings.Contains(body, "\r\n") || strings.Contains(strings.ReplaceAll(body, "\r\n", ""), "\n") {
			t.Errorf("%s is not CRLF-terminated", name)
		}
	}

	// Only the moved occurrence falls on 16 January; it is found with
	// its master.
	_, body := s.must(t, 207, request{method: "REPORT", path: "/calendars/imported/", user: "alice", pass: "alicepw",
		header: map[string]string{"Depth": "1", "Content-Type": "application/xml"},
		body:   calendarQuery("20240116T000000Z", "20240117T000000Z")})
	if !strings.Contains(body, "/calendars/imported/weekly@example.com.ics") || strings.Contains(body, "berlin@") || strings.Contains(body, "plain@") {
		t.Errorf("calendar-query for 16 January:\n%s", body)
	}
	// 15 January, the occurrence that moved away, matches nothing.
	_, body = s.must(t, 207, request{method: "REPORT", path: "/calendars/imported/", user: "alice", pass: "alicepw",
		header: map[string]string{"Depth": "1", "Content-Type": "application/xml"},
		body:   calendarQuery("20240115T080000Z", "20240115T110000Z")})
	if strings.Contains(body, "weekly@") {
		t.Errorf("calendar-query finds the occurrence that was moved away:\n%s", body)
	}
	// 14:00 in Berlin in January is 13:00 UTC.
	_, body = s.must(t, 207, request{method: "REPORT", path: "/calendars/imported/", user: "alice", pass: "alicepw",
		header: map[string]string{"Depth": "1", "Content-Type": "application/xml"},
		body:   calendarQuery("20240110T130000Z", "20240110T133000Z")})
	if !strings.Contains(body, "berlin@example.com.ics") {
		t.Errorf("calendar-query at 13:00 UTC on 10 January misses the Berlin event:\n%s", body)
	}
	// The calendar is alice's: another user cannot read it.
	s.must(t, 201, request{method: "PUT", path: "/users/bob?password=bobpw", user: "root", pass: "secret"})
	if resp, _ := s.send(t, nil, request{method: "GET", path: "/calendars/imported/plain@example.com.ics", user: "bob", pass: "bobpw"}); resp.StatusCode != 403 {
		t.Errorf("bob reads alice's imported calendar: %d", resp.StatusCode)
	}
}

// TestImportIntoExistingCalendar updates objects whose UID the calendar
// already has in place, keeps UIDs that map to the same file name apart,
// and refuses an export with an invalid object without committing.
func TestImportIntoExistingCalendar(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret")
	s.must(t, 201, request{method: "PUT", path: "/users/alice?password=alicepw", user: "root", pass: "secret"})
	s.must(t, 201, request{method: "PUT", path: "/calendars/alice/existing.ics", user: "alice", pass: "alicepw",
		body: event("plain@example.com", "Old summary"), header: map[string]string{"Content-Type": "text/calendar"}})
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// a/b and a_b would both be a_b.ics.
	clash := strings.Replace(export, "UID:berlin@example.com", "UID:a/b", 1)
	clash = strings.Replace(clash, "UID:weekly@example.com", "UID:a_b", 2)
	if out, code := runBin(t, "", bin, "import", "--data", data, "--calendar", "alice", "--user", "alice", write("clash.ics", clash)); code != 0 {
		t.Fatalf("caldav import: exit %d\n%s", code, out)
	}
	commits := gitLog(t, data, "%H")
	// An object a PUT would refuse (a VEVENT with DTEND and DURATION)
	// stops the whole import.
	bad := strings.Replace(export, "DTEND:20240301T130000Z\r\n", "DTEND:20240301T130000Z\r\nDURATION:PT1H\r\n", 1)
	if out, code := runBin(t, "", bin, "import", "--data", data, "--calendar", "alice", "--user", "alice", write("bad.ics", bad)); code == 0 || !strings.Contains(out, "plain@example.com") {
		t.Errorf("an export with an invalid object: exit %d\n%s", code, out)
	}
	if gitLog(t, data, "%H") != commits {
		t.Error("the refused import made a commit")
	}

	s = start(t, bin, "--data", data)
	_, body := s.must(t, 207, request{method: "PROPFIND", path: "/calendars/alice/", user: "alice", pass: "alicepw",
		header: map[string]string{"Depth": "1"}})
	for _, want := range []string{"existing.ics", "a_b.ics", "a_b-2.ics"} {
		if !strings.Contains(body, "/calendars/alice/"+want+"<") {
			t.Errorf("no %s in the calendar:\n%s", want, body)
		}
	}
	if strings.Contains(body, "plain@example.com.ics") {
		t.Errorf("a second object with the UID of existing.ics was added:\n%s", body)
	}
	_, got := s.must(t, 200, request{method: "GET", path: "/calendars/alice/existing.ics", user: "alice", pass: "alicepw"})
	if !strings.Contains(got, "SUMMARY:Plain") {
		t.Errorf("existing.ics was not updated:\n%s", got)
	}
}

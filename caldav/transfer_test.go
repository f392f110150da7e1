package caldav

import (
	"strings"
	"testing"
)

// COPY and MOVE into a calendar pass the same checks as a PUT there.
func TestCopyMoveIntoCalendarIsChecked(t *testing.T) {
	e := newEnv(t, Options{})
	e.mkcalendar("/calendars/cal/", "")
	e.mkcalendar("/calendars/other/", "")
	e.Must(201, "MKCOL", "/calendars/plain/", "")
	e.Must(201, "PUT", "/calendars/plain/notes.txt", "not a calendar", "Content-Type", "text/plain")
	one := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:same\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	e.put("/calendars/cal/a.ics", one)
	e.put("/calendars/other/b.ics", one)

	r := e.Do("COPY", "/calendars/plain/notes.txt", "", "Destination", "/calendars/cal/notes.txt")
	if r.Status != 415 && r.Status != 403 {
		t.Errorf("COPY of a text file into a calendar: %d\n%s", r.Status, r.Body)
	}
	r = e.Do("MOVE", "/calendars/other/b.ics", "", "Destination", "/calendars/cal/b.ics")
	wantError(t, r, 409, "{urn:ietf:params:xml:ns:caldav}no-uid-conflict")
	e.Must(200, "GET", "/calendars/other/b.ics", "") // nothing moved
	// Into a plain collection anything goes, and a calendar cannot be
	// copied into a calendar.
	e.Must(201, "COPY", "/calendars/other/b.ics", "", "Destination", "/calendars/plain/b.ics")
	r = e.Do("COPY", "/calendars/other/", "", "Destination", "/calendars/cal/inner/")
	if r.Status != 403 || !strings.Contains(r.Body, "calendar-collection-location-ok") {
		t.Errorf("COPY of a calendar into a calendar: %d\n%s", r.Status, r.Body)
	}
}

// The UID index follows deletes, moves and overwrites between PUTs.
func TestUIDIndexFollowsChanges(t *testing.T) {
	e := newEnv(t, Options{})
	e.mkcalendar("/calendars/cal/", "")
	ev := func(uid string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	conflictWith := func(path, uid, holder string) {
		t.Helper()
		r := e.Do("PUT", path, ev(uid), "Content-Type", "text/calendar")
		wantError(t, r, 409, "{urn:ietf:params:xml:ns:caldav}no-uid-conflict")
		if !strings.Contains(r.Body, holder) {
			t.Errorf("conflict names the wrong member:\n%s", r.Body)
		}
	}
	e.put("/calendars/cal/a.ics", ev("X"))
	conflictWith("/calendars/cal/b.ics", "X", "/calendars/cal/a.ics")
	e.Must(204, "DELETE", "/calendars/cal/a.ics", "")
	e.put("/calendars/cal/b.ics", ev("X"))
	conflictWith("/calendars/cal/c.ics", "X", "/calendars/cal/b.ics")
	e.Must(201, "MOVE", "/calendars/cal/b.ics", "", "Destination", "/calendars/cal/d.ics")
	conflictWith("/calendars/cal/e.ics", "X", "/calendars/cal/d.ics")
	// Overwriting d with another UID frees X.
	e.Must(204, "PUT", "/calendars/cal/d.ics", ev("Y"), "Content-Type", "text/calendar")
	e.put("/calendars/cal/e.ics", ev("X"))
	// The same object may be PUT again under its own name.
	e.Must(204, "PUT", "/calendars/cal/e.ics", ev("X"), "Content-Type", "text/calendar")
}

package caldav

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav/davtest"
)

// hostileRules are stored as legal iCalendar: rules without end, or with
// an end a billion instances away.
var hostileRules = map[string]string{
	"forever.ics": "RRULE:FREQ=SECONDLY",
	"billion.ics": "RRULE:FREQ=SECONDLY;COUNT=1000000000",
	"byparts.ics": "RRULE:FREQ=MINUTELY;BYSECOND=" + seconds(),
	"walked.ics":  "RRULE:FREQ=SECONDLY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;COUNT=1000000000",
}

// seconds lists 0 to 59.
func seconds() string {
	var s []string
	for i := range 60 {
		s = append(s, fmt.Sprint(i))
	}
	return strings.Join(s, ",")
}

// secondEvent is a one-second event starting at dtstart with rule.
func secondEvent(uid, dtstart, rule string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:" + dtstart + "\r\nDURATION:PT1S\r\n" + rule + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// within runs fn and fails the test when it has not returned before a
// generous deadline: an expansion that is not bounded would spin for
// hours, a bounded one takes milliseconds.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-ctx.Done():
		t.Fatalf("%s: no answer before the deadline", what)
	}
}

// timeRange is a calendar-query comp-filter for VEVENTs in [start, end).
func timeRange(start, end string) string {
	return `<C:comp-filter name="VEVENT"><C:time-range start="` + start + `" end="` + end + `"/></C:comp-filter>`
}

// Unbounded and huge rules are accepted at PUT (see the package doc), and
// every later use is bounded with a defined answer: a time-range match is
// exact, an expansion beyond ExpandLimit answers 507 (never a truncated
// list), free-busy likewise, sync and GET never expand.
func TestUnboundedRecurrence(t *testing.T) {
	e := calEnv(t, Options{})
	within(t, "PUT", func() {
		for name, rule := range hostileRules {
			e.put(cal+name, secondEvent(strings.TrimSuffix(name, ".ics"), "20060104T100000Z", rule))
		}
		e.put(cal+"plain.ics", secondEvent("plain", "20260301T100000Z", ""))
	})
	// CALDAV:max-instances is not advertised: rules without end are
	// stored; min-date-time is.
	r := e.Must(207, "PROPFIND", cal, `<D:propfind `+caNS+`><D:prop><C:max-instances/><C:min-date-time/><C:max-date-time/></D:prop></D:propfind>`, "Depth", "0")
	if !strings.Contains(r.Body, "<C:min-date-time>19000101T000000Z</C:min-date-time>") || !strings.Contains(r.Body, "404") {
		t.Errorf("limit properties:\n%s", r.Body)
	}
	year := timeRange("20260101T000000Z", "20270101T000000Z")
	within(t, "time-range over a year", func() {
		r := calQuery(e, cal, "1", `<D:getetag/>`, year)
		// walked.ics cannot be skipped through (BYHOUR with COUNT): its
		// rule needs more than the step bound to reach 2026.
		wantError(t, r, http.StatusInsufficientStorage, "{DAV:}number-of-matches-within-limits")
	})
	e.Must(204, "DELETE", cal+"walked.ics", "")
	within(t, "time-range over a year", func() {
		if got := matched(t, calQuery(e, cal, "1", `<D:getetag/>`, year)); got != "billion.ics byparts.ics forever.ics plain.ics" {
			t.Errorf("matched %q", got)
		}
	})
	within(t, "time-range beyond the horizon and beyond COUNT", func() {
		if got := matched(t, calQuery(e, cal, "1", `<D:getetag/>`, timeRange("22000101T000000Z", "22010101T000000Z"))); got != "" {
			t.Errorf("matched %q beyond the horizon", got)
		}
	})
	expand := func(start, end string) davtest.Response {
		return calQuery(e, cal, "1", `<C:calendar-data><C:expand start="`+start+`" end="`+end+`"/></C:calendar-data>`, timeRange(start, end))
	}
	within(t, "expand over a year", func() {
		wantError(t, expand("20260101T000000Z", "20270101T000000Z"), http.StatusInsufficientStorage, "{DAV:}number-of-matches-within-limits")
	})
	within(t, "expand over ten seconds", func() {
		r := expand("20260501T000000Z", "20260501T000010Z")
		if r.Status != 207 || strings.Count(r.Body, "RECURRENCE-ID") != 30 {
			t.Errorf("expand: %d with %d instances, want 30\n%.500s", r.Status, strings.Count(r.Body, "RECURRENCE-ID"), r.Body)
		}
	})
	within(t, "free-busy over a year", func() {
		r := e.Do("REPORT", cal, `<C:free-busy-query `+caNS+`><C:time-range start="20260101T000000Z" end="20270101T000000Z"/></C:free-busy-query>`, "Depth", "1")
		wantError(t, r, http.StatusInsufficientStorage, "{DAV:}number-of-matches-within-limits")
	})
	within(t, "free-busy over a minute", func() {
		r := e.Do("REPORT", cal, `<C:free-busy-query `+caNS+`><C:time-range start="20260501T000000Z" end="20260501T000100Z"/></C:free-busy-query>`, "Depth", "1")
		if r.Status != 200 || !strings.Contains(r.Body, "FREEBUSY") {
			t.Errorf("free-busy: %d\n%.500s", r.Status, r.Body)
		}
	})
	within(t, "sync and GET", func() {
		r := e.Must(207, "REPORT", cal, `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`)
		if n := strings.Count(r.Body, "<D:href>"); n != 4 {
			t.Errorf("sync lists %d members, want 4", n)
		}
		e.Must(200, "GET", cal, "")
	})
}

// ExpandLimit and HorizonYears are the limits of --max-instances and
// --recurrence-horizon: an expansion just within the limit answers, one
// well over it answers 507 (the limit counts the instances near the
// window, a few more than those in it); instances beyond the horizon do
// not exist.
func TestRecurrenceLimitOptions(t *testing.T) {
	e := calEnv(t, Options{ExpandLimit: 10, HorizonYears: 1})
	e.put(cal+"forever.ics", secondEvent("forever", "20060104T100000Z", "RRULE:FREQ=SECONDLY"))
	expand := func(start, end string) davtest.Response {
		return calQuery(e, cal, "1", `<C:calendar-data><C:expand start="`+start+`" end="`+end+`"/></C:calendar-data>`, timeRange(start, end))
	}
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Truncate(time.Second).Format("20060102T150405Z") }
	if r := expand(at(time.Hour), at(time.Hour+7*time.Second)); r.Status != 207 || strings.Count(r.Body, "RECURRENCE-ID") != 7 {
		t.Errorf("seven instances: %d\n%.500s", r.Status, r.Body)
	}
	wantError(t, expand(at(time.Hour), at(time.Hour+20*time.Second)), http.StatusInsufficientStorage, "{DAV:}number-of-matches-within-limits")
	if got := matched(t, calQuery(e, cal, "1", `<D:getetag/>`, timeRange(at(300*24*time.Hour), at(301*24*time.Hour)))); got != "forever.ics" {
		t.Errorf("within the horizon: %q", got)
	}
	if got := matched(t, calQuery(e, cal, "1", `<D:getetag/>`, timeRange(at(400*24*time.Hour), at(401*24*time.Hour)))); got != "" {
		t.Errorf("beyond the horizon: %q", got)
	}
}

package caldav

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/internal/readahead"
)

const (
	cal  = "/calendars/work/"
	caNS = `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"`
)

// event returns a minimal VEVENT object with the given UID and extra
// VEVENT lines.
func event(uid string, lines ...string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20060101T000000Z\r\nDTSTART:20060104T100000Z\r\nDURATION:PT1H\r\n" +
		strings.Join(append(lines, ""), "\r\n") + "END:VEVENT\r\nEND:VCALENDAR\r\n"
}

// calEnv is a server with the empty calendar /calendars/work/.
func calEnv(t *testing.T, o Options) *env {
	t.Helper()
	e := newEnv(t, o)
	e.mkcalendar(cal, "")
	return e
}

func TestPutPreconditions(t *testing.T) {
	big := event("big", "DESCRIPTION:"+strings.Repeat("x", 2000))
	tests := []struct {
		name, ct, body string
		opts           Options
		status         int
		cond           string
	}{
		{"supported-calendar-data: content type", "text/plain", event("a"), Options{}, 415, "supported-calendar-data"},
		{"supported-calendar-data: no content type", "", event("a"), Options{}, 415, "supported-calendar-data"},
		{"supported-calendar-data: version", "text/calendar", strings.Replace(event("a"), "VERSION:2.0", "VERSION:1.0", 1), Options{}, 415, "supported-calendar-data"},
		{"valid-calendar-data: not iCalendar", "text/calendar", "hello", Options{}, 403, "valid-calendar-data"},
		{"valid-calendar-data: unknown TZID", "text/calendar", strings.Replace(event("a"), "DTSTART:20060104T100000Z", "DTSTART;TZID=Nowhere/Else:20060104T100000", 1), Options{}, 403, "valid-calendar-data"},
		{"valid-calendar-object-resource: METHOD", "text/calendar", strings.Replace(event("a"), "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST", 1), Options{}, 403, "valid-calendar-object-resource"},
		{"valid-calendar-object-resource: two UIDs", "text/calendar", strings.Replace(event("a"), "END:VCALENDAR", "BEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20060101T000000Z\r\nDTSTART:20060105T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR", 1), Options{}, 403, "valid-calendar-object-resource"},
		{"valid-calendar-object-resource: no component", "text/calendar", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nEND:VCALENDAR\r\n", Options{}, 403, "valid-calendar-object-resource"},
		{"max-resource-size", "text/calendar", big, Options{MaxResourceSize: 1000}, 403, "max-resource-size"},
		{"min-date-time", "text/calendar", strings.Replace(event("a"), "DTSTART:20060104T100000Z", "DTSTART:18000104T100000Z", 1), Options{}, 403, "min-date-time"},
		{"max-date-time", "text/calendar", event("a"), Options{MaxDateTime: time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC)}, 403, "max-date-time"},
		{"max-instances", "text/calendar", event("a", "RRULE:FREQ=DAILY;COUNT=20"), Options{MaxInstances: 10}, 403, "max-instances"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := calEnv(t, tc.opts)
			var hdr []string
			if tc.ct != "" {
				hdr = []string{"Content-Type", tc.ct}
			}
			r := e.Do(http.MethodPut, cal+"x.ics", tc.body, hdr...)
			wantError(t, r, tc.status, "{urn:ietf:params:xml:ns:caldav}"+tc.cond)
			e.Must(http.StatusNotFound, http.MethodGet, cal+"x.ics", "")
		})
	}
}

func TestPutSupportedCalendarComponent(t *testing.T) {
	e := newEnv(t, Options{})
	e.mkcalendar("/calendars/todos/", `<C:mkcalendar `+caNS+`><D:set><D:prop>
		<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
		</D:prop></D:set></C:mkcalendar>`)
	r := e.Do(http.MethodPut, "/calendars/todos/x.ics", event("a"), "Content-Type", "text/calendar")
	wantError(t, r, 403, "{urn:ietf:params:xml:ns:caldav}supported-calendar-component")
	todo := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t\r\nDTSTAMP:20060101T000000Z\r\nSUMMARY:t\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
	e.put("/calendars/todos/t.ics", todo)
}

func TestPutNoUIDConflict(t *testing.T) {
	e := calEnv(t, Options{})
	e.put(cal+"a.ics", event("same"))
	r := e.Do(http.MethodPut, cal+"b.ics", event("same"), "Content-Type", "text/calendar")
	wantError(t, r, 409, "{urn:ietf:params:xml:ns:caldav}no-uid-conflict")
	if !strings.Contains(r.Body, "<D:href>/calendars/work/a.ics</D:href>") {
		t.Errorf("no href of the conflicting resource:\n%s", r.Body)
	}
	e.Must(http.StatusNotFound, http.MethodGet, cal+"b.ics", "")
	// Replacing the object itself is no conflict; the same UID in
	// another calendar neither.
	e.Must(http.StatusNoContent, http.MethodPut, cal+"a.ics", event("same", "SUMMARY:changed"), "Content-Type", "text/calendar")
	e.mkcalendar("/calendars/home/", "")
	e.put("/calendars/home/a.ics", event("same"))
}

// TestPutNoUIDConflictConcurrently: of concurrent PUTs of one UID under
// different names exactly one is stored, the others are refused with
// no-uid-conflict. Concurrent batches are built as a group, each on the
// changes of the ones before it, which no commit (and so no UID index)
// holds yet.
func TestPutNoUIDConflictConcurrently(t *testing.T) {
	e := calEnv(t, Options{})
	const rounds, writers = 20, 8
	for round := range rounds {
		uid := fmt.Sprintf("shared-%d", round)
		statuses := make(chan davtest.Response, writers)
		for w := range writers {
			go func() {
				statuses <- e.Do(http.MethodPut, fmt.Sprintf("%sr%d-w%d.ics", cal, round, w), event(uid), "Content-Type", "text/calendar")
			}()
		}
		created := 0
		for range writers {
			r := <-statuses
			switch r.Status {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				wantError(t, r, 409, "{urn:ietf:params:xml:ns:caldav}no-uid-conflict")
			default:
				t.Fatalf("round %d: PUT answered %d\n%s", round, r.Status, r.Body)
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d of %d PUTs of UID %s were stored", round, created, writers, uid)
		}
	}
}

func TestPutStoresBytesAsSent(t *testing.T) {
	e := calEnv(t, Options{})
	body := strings.ReplaceAll(event("bytes", "SUMMARY:as sent", "X-FOO;X-P=1:bar"), "\r\n", "\n")
	e.Must(http.StatusCreated, http.MethodPut, cal+"b.ics", body, "Content-Type", "text/calendar")
	r := e.Must(http.StatusOK, http.MethodGet, cal+"b.ics", "")
	if r.Body != body {
		t.Errorf("GET returned\n%q\nwant\n%q", r.Body, body)
	}
}

func TestPutOutsideCalendarsIsPlainWebDAV(t *testing.T) {
	e := newEnv(t, Options{})
	e.Must(http.StatusCreated, "MKCOL", "/calendars/files/", "")
	e.Must(http.StatusCreated, http.MethodPut, "/calendars/files/x.txt", "not a calendar", "Content-Type", "text/plain")
	// A plain collection below a calendar is not a calendar either.
	e.mkcalendar(cal, "")
	e.Must(http.StatusCreated, "MKCOL", cal+"attachments/", "")
	e.Must(http.StatusCreated, http.MethodPut, cal+"attachments/x.bin", "bytes")
}

func TestMkcalendarPreconditions(t *testing.T) {
	e := calEnv(t, Options{})
	t.Run("calendar-collection-location-ok", func(t *testing.T) {
		wantError(t, e.Do("MKCALENDAR", cal+"inner/", ""), 403, "{urn:ietf:params:xml:ns:caldav}calendar-collection-location-ok")
	})
	t.Run("calendar-collection-location-ok at depth", func(t *testing.T) {
		e.Must(http.StatusCreated, "MKCOL", cal+"sub/", "")
		wantError(t, e.Do("MKCALENDAR", cal+"sub/inner/", ""), 403, "{urn:ietf:params:xml:ns:caldav}calendar-collection-location-ok")
	})
	t.Run("calendar-collection-location-ok extended MKCOL", func(t *testing.T) {
		body := `<D:mkcol ` + caNS + `><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`
		wantError(t, e.Do("MKCOL", cal+"inner/", body), 403, "{urn:ietf:params:xml:ns:caldav}calendar-collection-location-ok")
	})
	t.Run("resource-must-be-null", func(t *testing.T) {
		wantError(t, e.Do("MKCALENDAR", cal, ""), 403, "{DAV:}resource-must-be-null")
	})
	t.Run("valid-calendar-data", func(t *testing.T) {
		body := `<C:mkcalendar ` + caNS + `><D:set><D:prop><D:displayname>x</D:displayname>
			<C:calendar-timezone>BEGIN:VCALENDAR
VERSION:2.0
PRODID:x
BEGIN:VEVENT
UID:x
DTSTART:20060101T000000Z
END:VEVENT
END:VCALENDAR</C:calendar-timezone></D:prop></D:set></C:mkcalendar>`
		r := e.Do("MKCALENDAR", "/calendars/badtz/", body)
		if r.Status != 403 {
			t.Fatalf("status %d\n%s", r.Status, r.Body)
		}
		got := mkcolStatuses(t, r.Body)
		if got["{urn:ietf:params:xml:ns:caldav}calendar-timezone"] != 403 || got["{DAV:}displayname"] != 424 {
			t.Errorf("statuses %v\n%s", got, r.Body)
		}
		e.Must(http.StatusNotFound, "PROPFIND", "/calendars/badtz/", "", "Depth", "0")
	})
	t.Run("supported-calendar-component", func(t *testing.T) {
		body := `<C:mkcalendar ` + caNS + `><D:set><D:prop><C:supported-calendar-component-set><C:comp name="VPOLL"/></C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>`
		r := e.Do("MKCALENDAR", "/calendars/poll/", body)
		if r.Status != 403 || mkcolStatuses(t, r.Body)["{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set"] != 403 {
			t.Fatalf("status %d\n%s", r.Status, r.Body)
		}
	})
	t.Run("parent missing", func(t *testing.T) {
		e.Must(http.StatusConflict, "MKCALENDAR", "/calendars/no/such/", "")
	})
}

// mkcolStatuses reads the property statuses of a mkcalendar-response.
func mkcolStatuses(t *testing.T, body string) map[string]int {
	t.Helper()
	// The response has the shape of a DAV:response: reuse parseMS by
	// wrapping its propstats.
	i := strings.Index(body, "<D:propstat")
	j := strings.LastIndex(body, "</D:propstat>")
	if i < 0 || j < 0 {
		t.Fatalf("no propstat in\n%s", body)
	}
	wrapped := `<D:multistatus ` + caNS + `><D:response><D:href>x</D:href>` + body[i:j+len("</D:propstat>")] + `</D:response></D:multistatus>`
	return parseMS(t, wrapped)["x"]
}

func TestMkcalendarProperties(t *testing.T) {
	e := newEnv(t, Options{MaxInstances: 500, MaxDateTime: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)})
	tzText := fixture(t, "rfc4791", "abcd1.ics")
	tzText = tzText[strings.Index(tzText, "BEGIN:VTIMEZONE"):strings.Index(tzText, "BEGIN:VEVENT")]
	e.mkcalendar(cal, `<C:mkcalendar `+caNS+`><D:set><D:prop>
		<D:displayname>Work</D:displayname>
		<C:calendar-description xml:lang="en">Work things</C:calendar-description>
		<C:calendar-timezone>BEGIN:VCALENDAR
PRODID:x
VERSION:2.0
`+tzText+`END:VCALENDAR
</C:calendar-timezone>
		<C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
		<A:calendar-color xmlns:A="http://apple.com/ns/ical/">#ff0000</A:calendar-color>
		</D:prop></D:set></C:mkcalendar>`)
	props := []string{"D:resourcetype", "D:displayname", "C:calendar-description", "C:calendar-timezone",
		"C:supported-calendar-component-set", "C:supported-calendar-data", "C:max-resource-size",
		"C:min-date-time", "C:max-date-time", "C:max-instances", "D:supported-report-set",
		"C:supported-collation-set", "A:calendar-color"}
	var b strings.Builder
	for _, p := range props {
		b.WriteString("<" + p + "/>")
	}
	r := e.Must(207, "PROPFIND", cal, `<D:propfind `+caNS+` xmlns:A="http://apple.com/ns/ical/"><D:prop>`+b.String()+`</D:prop></D:propfind>`, "Depth", "0")
	got := parseMS(t, r.Body)[cal]
	for _, p := range props {
		full := strings.NewReplacer("D:", "{DAV:}", "C:", "{urn:ietf:params:xml:ns:caldav}", "A:", "{http://apple.com/ns/ical/}").Replace(p)
		if got[full] != 200 {
			t.Errorf("%s: status %d\n%s", p, got[full], r.Body)
		}
	}
	checks := map[string]string{
		"{DAV:}resourcetype": `<D:collection/><C:calendar/>`,
		"{urn:ietf:params:xml:ns:caldav}supported-calendar-data": `<C:calendar-data content-type="text/calendar" version="2.0"/>`,
		"{urn:ietf:params:xml:ns:caldav}max-resource-size":       "1048576",
		"{urn:ietf:params:xml:ns:caldav}min-date-time":           "19000101T000000Z",
		"{urn:ietf:params:xml:ns:caldav}max-date-time":           "21000101T000000Z",
		"{urn:ietf:params:xml:ns:caldav}max-instances":           "500",
	}
	for prop, want := range checks {
		if got := propText(t, r.Body, cal, prop); !strings.Contains(got, strings.ReplaceAll(want, "/>", "")) && got != want {
			t.Errorf("%s = %q, want %q", prop, got, want)
		}
	}
	reports := propText(t, r.Body, cal, "{DAV:}supported-report-set")
	for _, rep := range []string{"calendar-query", "calendar-multiget"} {
		if !strings.Contains(reports, rep) {
			t.Errorf("supported-report-set lacks %s: %s", rep, reports)
		}
	}
	// Protected after creation; the description stays writable.
	r = e.Must(207, "PROPPATCH", cal, `<D:propertyupdate `+caNS+`><D:set><D:prop>
		<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
		</D:prop></D:set></D:propertyupdate>`)
	if st := parseMS(t, r.Body)[cal]["{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set"]; st != 403 {
		t.Errorf("PROPPATCH of the component set: %d", st)
	}
	for _, p := range []string{"max-resource-size", "supported-calendar-data", "min-date-time"} {
		r = e.Must(207, "PROPPATCH", cal, `<D:propertyupdate `+caNS+`><D:set><D:prop><C:`+p+`>1</C:`+p+`></D:prop></D:set></D:propertyupdate>`)
		if st := parseMS(t, r.Body)[cal]["{urn:ietf:params:xml:ns:caldav}"+p]; st != 403 {
			t.Errorf("PROPPATCH of %s: %d", p, st)
		}
	}
	r = e.Must(207, "PROPPATCH", cal, `<D:propertyupdate `+caNS+`><D:set><D:prop><C:calendar-timezone>nonsense</C:calendar-timezone></D:prop></D:set></D:propertyupdate>`)
	if st := parseMS(t, r.Body)[cal]["{urn:ietf:params:xml:ns:caldav}calendar-timezone"]; st != 403 {
		t.Errorf("PROPPATCH of an invalid calendar-timezone: %d", st)
	}
	r = e.Must(207, "PROPPATCH", cal, `<D:propertyupdate `+caNS+`><D:set><D:prop><C:calendar-description>New</C:calendar-description></D:prop></D:set></D:propertyupdate>`)
	if st := parseMS(t, r.Body)[cal]["{urn:ietf:params:xml:ns:caldav}calendar-description"]; st != 200 {
		t.Errorf("PROPPATCH of calendar-description: %d", st)
	}
	// allprop leaves the CalDAV properties out (RFC 4791 §5.2).
	r = e.Must(207, "PROPFIND", cal, `<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, "Depth", "0")
	if got := parseMS(t, r.Body)[cal]; got["{urn:ietf:params:xml:ns:caldav}supported-calendar-data"] != 0 || got["{DAV:}displayname"] != 200 {
		t.Errorf("allprop: %v", got)
	}
}

// A calendar created by extended MKCOL, and one read from a robur
// repository without any CalDAV property stored, advertise the same
// computed properties.
func TestCalendarPropertiesEverywhere(t *testing.T) {
	e := newEnv(t, Options{})
	e.Must(http.StatusCreated, "MKCOL", "/calendars/ext/", `<D:mkcol `+caNS+`><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype></D:prop></D:set></D:mkcol>`)
	for _, href := range []string{"/calendars/ext/"} {
		r := e.Must(207, "PROPFIND", href, `<D:propfind `+caNS+`><D:prop><C:supported-calendar-component-set/><C:supported-calendar-data/><C:max-resource-size/><C:min-date-time/><C:supported-collation-set/><C:max-date-time/></D:prop></D:propfind>`, "Depth", "0")
		got := parseMS(t, r.Body)[href]
		for _, p := range []string{"supported-calendar-component-set", "supported-calendar-data", "max-resource-size", "min-date-time", "supported-collation-set"} {
			if got["{urn:ietf:params:xml:ns:caldav}"+p] != 200 {
				t.Errorf("%s %s: %d", href, p, got["{urn:ietf:params:xml:ns:caldav}"+p])
			}
		}
		if got["{urn:ietf:params:xml:ns:caldav}max-date-time"] != 404 {
			t.Errorf("max-date-time without a limit: %d", got["{urn:ietf:params:xml:ns:caldav}max-date-time"])
		}
		comps := propText(t, r.Body, href, "{urn:ietf:params:xml:ns:caldav}supported-calendar-component-set")
		for _, c := range knownComponents {
			if !strings.Contains(comps, `"`+c+`"`) {
				t.Errorf("default component set lacks %s: %s", c, comps)
			}
		}
	}
	// Not on ordinary collections.
	e.Must(http.StatusCreated, "MKCOL", "/calendars/plain/", "")
	r := e.Must(207, "PROPFIND", "/calendars/plain/", `<D:propfind `+caNS+`><D:prop><C:supported-calendar-data/><D:supported-report-set/></D:prop></D:propfind>`, "Depth", "0")
	if st := parseMS(t, r.Body)["/calendars/plain/"]["{urn:ietf:params:xml:ns:caldav}supported-calendar-data"]; st != 404 {
		t.Errorf("supported-calendar-data on a plain collection: %d", st)
	}
	if rs := propText(t, r.Body, "/calendars/plain/", "{DAV:}supported-report-set"); strings.Contains(rs, "calendar-query") {
		t.Errorf("plain collection advertises calendar-query: %s", rs)
	}
}

func TestCalendarHomeSet(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.Must(207, "PROPFIND", "/principals/root/", `<D:propfind `+caNS+`><D:prop><C:calendar-home-set/><D:current-user-principal/></D:prop></D:propfind>`, "Depth", "0")
	if got := propText(t, r.Body, "/principals/root/", "{urn:ietf:params:xml:ns:caldav}calendar-home-set"); !strings.Contains(got, ">/calendars/<") {
		t.Errorf("calendar-home-set = %q", got)
	}
	r = e.Must(207, "PROPFIND", "/calendars/", `<D:propfind `+caNS+`><D:prop><C:calendar-home-set/></D:prop></D:propfind>`, "Depth", "0")
	if st := parseMS(t, r.Body)["/calendars/"]["{urn:ietf:params:xml:ns:caldav}calendar-home-set"]; st != 404 {
		t.Errorf("calendar-home-set on a collection: %d", st)
	}
}

func TestOptionsAndWellKnown(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.Must(200, http.MethodOptions, "/calendars/", "")
	if dav := r.Header.Get("DAV"); !strings.Contains(dav, "calendar-access") || !strings.Contains(dav, "1") {
		t.Errorf("DAV header %q", dav)
	}
	if allow := r.Header.Get("Allow"); !strings.Contains(allow, "MKCALENDAR") || !strings.Contains(allow, "REPORT") {
		t.Errorf("Allow %q", allow)
	}
	for _, m := range []string{http.MethodGet, "PROPFIND"} {
		req, _ := http.NewRequest(m, "http://cal.example.com/.well-known/caldav", nil)
		rec := newRecorder()
		e.Handler.ServeHTTP(rec, req) // no credentials
		if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "http://cal.example.com/calendars" {
			t.Errorf("%s: %d Location %q", m, rec.Code, rec.Header().Get("Location"))
		}
	}
}

func TestGetWholeCalendar(t *testing.T) {
	e := appendixB(t)
	e.Must(207, "PROPPATCH", "/calendars/bernard/work/", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Bernard's work</D:displayname></D:prop></D:set></D:propertyupdate>`)
	r := e.Must(200, http.MethodGet, "/calendars/bernard/work/", "")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
		t.Fatalf("Content-Type %q", ct)
	}
	body := r.Body
	for _, want := range []string{"PRODID:" + DefaultProductID, "VERSION:2.0", "X-WR-CALNAME:Bernard's work", "SUMMARY:Event #2 bis bis", "BEGIN:VFREEBUSY", "BEGIN:VTODO"} {
		if !strings.Contains(body, want) {
			t.Errorf("whole calendar lacks %q", want)
		}
	}
	if n := strings.Count(body, "BEGIN:VTIMEZONE"); n != 1 {
		t.Errorf("%d VTIMEZONEs, want the one US/Eastern", n)
	}
	if n := strings.Count(body, "BEGIN:VEVENT"); n != 5 {
		t.Errorf("%d VEVENTs, want 5", n)
	}
	cal, err := parseICS(body)
	if err != nil || len(cal.Children) == 0 {
		t.Errorf("whole calendar does not parse: %v", err)
	}
	r = e.Must(200, http.MethodGet, "/calendars/bernard/work/", "", "Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") || !strings.Contains(r.Body, "abcd1.ics") {
		t.Errorf("browser got %q\n%s", r.Header.Get("Content-Type"), r.Body)
	}
	// Ordinary collections keep the HTML listing.
	r = e.Must(200, http.MethodGet, "/calendars/bernard/", "")
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Errorf("plain collection: %q", r.Header.Get("Content-Type"))
	}
}

// calQuery sends a calendar-query with the given DAV:prop content and filter
// (inside the VCALENDAR comp-filter) to the calendar.
func calQuery(e *env, path, depth, prop, filter string, extra ...string) davtest.Response {
	body := `<C:calendar-query ` + caNS + `><D:prop>` + prop + `</D:prop><C:filter><C:comp-filter name="VCALENDAR">` +
		filter + `</C:comp-filter></C:filter>` + strings.Join(extra, "") + `</C:calendar-query>`
	return e.Do("REPORT", path, body, "Depth", depth)
}

func TestQueryFilterErrors(t *testing.T) {
	e := appendixB(t)
	w := "/calendars/bernard/work/"
	tests := []struct {
		name, filter string
		status       int
		cond         string
	}{
		{"non-UTC time-range", `<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000" end="20060105T000000Z"/></C:comp-filter>`, 403, "valid-filter"},
		{"malformed time-range", `<C:comp-filter name="VEVENT"><C:time-range start="tomorrow"/></C:comp-filter>`, 403, "valid-filter"},
		{"time-range end before start", `<C:comp-filter name="VEVENT"><C:time-range start="20060105T000000Z" end="20060104T000000Z"/></C:comp-filter>`, 403, "valid-filter"},
		{"unknown filter element", `<C:comp-filter name="VEVENT"><C:no-such-filter/></C:comp-filter>`, 403, "valid-filter"},
		{"unknown collation", `<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter></C:comp-filter>`, 403, "supported-collation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, calQuery(e, w, "1", `<D:getetag/>`, tc.filter), tc.status, "{urn:ietf:params:xml:ns:caldav}"+tc.cond)
		})
	}
	t.Run("no filter", func(t *testing.T) {
		r := e.Do("REPORT", w, `<C:calendar-query `+caNS+`><D:prop><D:getetag/></D:prop></C:calendar-query>`, "Depth", "1")
		wantError(t, r, 403, "{urn:ietf:params:xml:ns:caldav}valid-filter")
	})
	t.Run("invalid query timezone", func(t *testing.T) {
		r := calQuery(e, w, "1", `<D:getetag/>`, ``, `<C:timezone>junk</C:timezone>`)
		wantError(t, r, 403, "{urn:ietf:params:xml:ns:caldav}valid-calendar-data")
	})
	t.Run("unsupported calendar-data type", func(t *testing.T) {
		r := calQuery(e, w, "1", `<C:calendar-data content-type="application/calendar+json"/>`, ``)
		wantError(t, r, 403, "{urn:ietf:params:xml:ns:caldav}supported-calendar-data")
	})
	t.Run("report on a plain collection", func(t *testing.T) {
		r := calQuery(e, "/calendars/bernard/", "1", `<D:getetag/>`, ``)
		wantError(t, r, 403, "{DAV:}supported-report")
	})
}

// matched returns the sorted hrefs of a 207 body.
func matched(t *testing.T, r davtest.Response) string {
	t.Helper()
	if r.Status != 207 {
		t.Fatalf("status %d\n%s", r.Status, r.Body)
	}
	var hrefs []string
	for h := range parseMS(t, r.Body) {
		hrefs = append(hrefs, h[strings.LastIndex(h, "/")+1:])
	}
	sortStrings(hrefs)
	return strings.Join(hrefs, " ")
}

func TestQueryTextMatchCollations(t *testing.T) {
	e := calEnv(t, Options{})
	e.put(cal+"a.ics", event("a", "SUMMARY:Team Meeting"))
	e.put(cal+"b.ics", event("b", "SUMMARY:team lunch"))
	e.put(cal+"c.ics", event("c", "SUMMARY:Été fest"))
	tests := []struct{ name, match, want string }{
		{"default ascii-casemap", `<C:text-match>TEAM</C:text-match>`, "a.ics b.ics"},
		{"i;ascii-casemap", `<C:text-match collation="i;ascii-casemap">team m</C:text-match>`, "a.ics"},
		{"i;octet", `<C:text-match collation="i;octet">team</C:text-match>`, "b.ics"},
		{"i;unicode-casemap", `<C:text-match collation="i;unicode-casemap">éTÉ</C:text-match>`, "c.ics"},
		{"negate", `<C:text-match negate-condition="yes">team</C:text-match>`, "c.ics"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := calQuery(e, cal, "1", `<D:getetag/>`, `<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">`+tc.match+`</C:prop-filter></C:comp-filter>`)
			if got := matched(t, r); got != tc.want {
				t.Errorf("got %q, want %q\n%s", got, tc.want, r.Body)
			}
		})
	}
}

func TestQueryInstanceLimit(t *testing.T) {
	e := calEnv(t, Options{ExpandLimit: 50})
	e.put(cal+"daily.ics", event("daily", "RRULE:FREQ=DAILY"))
	// A time range holding 40 instances is fine ...
	r := calQuery(e, cal, "1", `<D:getetag/>`, `<C:comp-filter name="VEVENT"><C:time-range start="20070101T000000Z" end="20070210T000000Z"/></C:comp-filter>`)
	if got := matched(t, r); got != "daily.ics" {
		t.Fatalf("got %q", got)
	}
	// ... expanding a year of them is not: 507, never 500.
	r = calQuery(e, cal, "1", `<C:calendar-data><C:expand start="20070101T000000Z" end="20080101T000000Z"/></C:calendar-data>`,
		`<C:comp-filter name="VEVENT"><C:time-range start="20070101T000000Z" end="20080101T000000Z"/></C:comp-filter>`)
	wantError(t, r, 507, "{DAV:}number-of-matches-within-limits")
	// Too many matching resources.
	e2 := calEnv(t, Options{MaxResults: 2})
	for _, u := range []string{"x", "y", "z"} {
		e2.put(cal+u+".ics", event(u))
	}
	wantError(t, calQuery(e2, cal, "1", `<D:getetag/>`, ``), 507, "{DAV:}number-of-matches-within-limits")
}

func TestQueryDepthAndCalendarData(t *testing.T) {
	e := appendixB(t)
	w := "/calendars/bernard/work/"
	// Depth 0 on the collection: the collection is no calendar object.
	if got := matched(t, calQuery(e, w, "0", `<D:getetag/>`, ``)); got != "" {
		t.Errorf("Depth 0 on the calendar matched %q", got)
	}
	// Depth 0 on an object.
	if got := matched(t, calQuery(e, w+"abcd3.ics", "0", `<D:getetag/>`, `<C:comp-filter name="VEVENT"/>`)); got != "abcd3.ics" {
		t.Errorf("object: %q", got)
	}
	if got := matched(t, calQuery(e, w+"abcd4.ics", "0", `<D:getetag/>`, `<C:comp-filter name="VEVENT"/>`)); got != "" {
		t.Errorf("non-matching object: %q", got)
	}
	// calendar-data only when asked (robur always sends it).
	r := calQuery(e, w, "1", `<D:getetag/>`, `<C:comp-filter name="VTODO"/>`)
	if strings.Contains(r.Body, "calendar-data") {
		t.Errorf("calendar-data not asked for but returned:\n%s", r.Body)
	}
	// An unknown property is 404 in its own propstat, as in PROPFIND.
	r = calQuery(e, w, "1", `<D:getetag/><X:nope xmlns:X="urn:x"/><C:calendar-data/>`, `<C:comp-filter name="VTODO"/>`)
	got := parseMS(t, r.Body)[w+"abcd4.ics"]
	if got["{urn:x}nope"] != 404 || got["{DAV:}getetag"] != 200 || got["{urn:ietf:params:xml:ns:caldav}calendar-data"] != 200 {
		t.Errorf("statuses %v", got)
	}
	// propname lists property names and no calendar data.
	r = e.Do("REPORT", w, `<C:calendar-query `+caNS+`><D:propname/><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter></C:calendar-query>`, "Depth", "1")
	got = parseMS(t, r.Body)[w+"abcd4.ics"]
	if got["{DAV:}getetag"] != 200 || got["{urn:ietf:params:xml:ns:caldav}calendar-data"] != 0 {
		t.Errorf("propname: %v", got)
	}
	// allprop gives the dead and live properties.
	r = e.Do("REPORT", w, `<C:calendar-query `+caNS+`><D:allprop/><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VTODO"/></C:comp-filter></C:filter></C:calendar-query>`, "Depth", "1")
	if got := parseMS(t, r.Body)[w+"abcd4.ics"]; got["{DAV:}getetag"] != 200 || got["{DAV:}getcontenttype"] != 200 {
		t.Errorf("allprop: %v", got)
	}
}

func TestQueryFloatingTimezone(t *testing.T) {
	e := newEnv(t, Options{})
	tzText := fixture(t, "rfc4791", "abcd1.ics")
	tzText = tzText[strings.Index(tzText, "BEGIN:VTIMEZONE"):strings.Index(tzText, "BEGIN:VEVENT")]
	vcal := "BEGIN:VCALENDAR\r\nPRODID:x\r\nVERSION:2.0\r\n" + tzText + "END:VCALENDAR\r\n"
	e.mkcalendar(cal, `<C:mkcalendar `+caNS+`><D:set><D:prop><C:calendar-timezone>`+vcal+`</C:calendar-timezone></D:prop></D:set></C:mkcalendar>`)
	// Floating 22:30 on Jan 4 is 03:30Z on Jan 5 in US/Eastern.
	e.put(cal+"f.ics", strings.Replace(event("f"), "DTSTART:20060104T100000Z", "DTSTART:20060104T223000", 1))
	jan5 := `<C:comp-filter name="VEVENT"><C:time-range start="20060105T000000Z" end="20060106T000000Z"/></C:comp-filter>`
	if got := matched(t, calQuery(e, cal, "1", `<D:getetag/>`, jan5)); got != "f.ics" {
		t.Errorf("with the calendar's zone: %q", got)
	}
	// The query's own CALDAV:timezone wins: in UTC the event is on Jan 4.
	utc := strings.NewReplacer("US/Eastern", "UTC", "-0500", "+0000", "-0400", "+0000").Replace(vcal)
	if got := matched(t, calQuery(e, cal, "1", `<D:getetag/>`, jan5, `<C:timezone>`+utc+`</C:timezone>`)); got != "" {
		t.Errorf("with the query's zone: %q", got)
	}
}

func TestMultiget(t *testing.T) {
	e := appendixB(t)
	e.Must(http.StatusCreated, "MKCOL", "/calendars/files/", "")
	e.Must(http.StatusCreated, http.MethodPut, "/calendars/files/note.txt", "text", "Content-Type", "text/plain")
	body := `<C:calendar-multiget ` + caNS + `><D:prop><D:getetag/><C:calendar-data/></D:prop>
		<D:href>/calendars/bernard/work/abcd1.ics</D:href>
		<D:href>http://example.com/calendars/bernard/work/abcd4.ics</D:href>
		<D:href>/calendars/bernard/work/missing.ics</D:href>
		<D:href>/calendars/files/note.txt</D:href>
		</C:calendar-multiget>`
	r := e.Must(207, "REPORT", "/calendars/bernard/work/", body)
	got := parseMS(t, r.Body)
	if got["/calendars/bernard/work/abcd1.ics"]["{urn:ietf:params:xml:ns:caldav}calendar-data"] != 200 ||
		got["/calendars/bernard/work/abcd4.ics"]["{urn:ietf:params:xml:ns:caldav}calendar-data"] != 200 ||
		got["/calendars/bernard/work/missing.ics"][""] != 404 ||
		got["/calendars/files/note.txt"]["{urn:ietf:params:xml:ns:caldav}calendar-data"] != 404 ||
		got["/calendars/files/note.txt"]["{DAV:}getetag"] != 200 {
		t.Errorf("statuses %v\n%s", got, r.Body)
	}
	if data := propText(t, r.Body, "/calendars/bernard/work/abcd1.ics", "{urn:ietf:params:xml:ns:caldav}calendar-data"); data != fixture(t, "rfc4791", "abcd1.ics") {
		t.Errorf("calendar-data is not the stored object:\n%q", data)
	}
	// On an object as the request URI too.
	e.Must(207, "REPORT", "/calendars/bernard/work/abcd1.ics", body)
	wantError(t, e.Do("REPORT", "/calendars/bernard/work/", `<C:calendar-multiget `+caNS+`><D:prop><D:getetag/></D:prop></C:calendar-multiget>`), 400, "")
}

// Unchanged objects are parsed at most once, whatever the number of
// reports and PUTs that look at them. A PUT keeps what later reads need
// of its parse (UID and span), not the parse: a query on the time or
// type of objects parses nothing, and an export of the whole calendar
// parses each object once.
func TestParseCache(t *testing.T) {
	e := calEnv(t, Options{})
	for i := range 20 {
		e.put(fmt.Sprintf("%s%d.ics", cal, i), event(fmt.Sprint("u", i)))
	}
	base := e.cal.parses.Load()
	calQuery(e, cal, "1", `<C:calendar-data/>`, `<C:comp-filter name="VEVENT"/>`)
	if n := e.cal.parses.Load() - base; n != 0 {
		t.Errorf("a query by component type parsed %d objects", n)
	}
	for range 3 {
		calQuery(e, cal, "1", `<C:calendar-data/>`, `<C:comp-filter name="VEVENT"/>`)
		e.Must(200, http.MethodGet, cal, "")
	}
	e.put(cal+"new.ics", event("new"))
	if n := e.cal.parses.Load() - base; n != 20 {
		t.Errorf("%d parses for 20 objects exported three times and a PUT beside them", n)
	}
	// A fresh handler parses each object once, then never again.
	e.cal.objects = newCache[blobKey, *object](100)
	e.cal.uids = newCache[blobKey, string](100)
	e.cal.spans = newCache[blobKey, *span](100)
	base = e.cal.parses.Load()
	for range 3 {
		calQuery(e, cal, "1", `<D:getetag/>`, `<C:comp-filter name="VEVENT"/>`)
	}
	if n := e.cal.parses.Load() - base; n != 21 {
		t.Errorf("%d parses for 21 objects", n)
	}
}

// TestQueryFollowsChanges: a calendar-query answers from an index of the
// calendar's version, so each change must show in the next query: a new
// event in the range, one moved out of it, one deleted.
func TestQueryFollowsChanges(t *testing.T) {
	e := calEnv(t, Options{})
	inRange := `<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>`
	query := func() string { return matched(t, calQuery(e, cal, "1", `<D:getetag/>`, inRange)) }
	e.Must(201, "PUT", cal+"a.ics", event("a"), "Content-Type", "text/calendar")
	e.Must(201, "PUT", cal+"b.ics", event("b"), "Content-Type", "text/calendar")
	if got := query(); got != "a.ics b.ics" {
		t.Fatalf("first query: %q", got)
	}
	e.Must(201, "PUT", cal+"c.ics", event("c"), "Content-Type", "text/calendar")
	if got := query(); got != "a.ics b.ics c.ics" {
		t.Errorf("after adding c: %q", got)
	}
	e.Must(204, "PUT", cal+"b.ics", strings.Replace(event("b"), "20060104T100000Z", "20060204T100000Z", 1), "Content-Type", "text/calendar")
	if got := query(); got != "a.ics c.ics" {
		t.Errorf("after moving b out: %q", got)
	}
	e.Must(204, "DELETE", cal+"a.ics", "")
	if got := query(); got != "c.ics" {
		t.Errorf("after deleting a: %q", got)
	}
}

// A multiget longer than the read-ahead window answers every href in the
// order asked, each with its own status: the readable objects with their
// stored bytes, another user's objects 403, missing ones 404, a
// malformed href 400.
func TestMultigetManyHrefsInOrder(t *testing.T) {
	e := withFreeBusyCalendar(t) // bob may not read alice's calendar
	type want struct {
		href, data string
		status     int
	}
	var wants []want
	var body strings.Builder
	body.WriteString(`<C:calendar-multiget ` + caNS + `><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
	for i := range 3 * readahead.Window {
		var w want
		switch {
		case i%10 == 3:
			w = want{href: "/calendars/alice/opaque.ics", status: 403}
		case i%10 == 5:
			w = want{href: fmt.Sprintf("/calendars/bob/missing-%d.ics", i), status: 404}
		case i == 7:
			w = want{href: "/calendars/bob/bad%zz.ics", status: 400}
		default:
			w = want{href: fmt.Sprintf("/calendars/bob/e%d.ics", i), data: event(fmt.Sprint("bob-", i)), status: 200}
			e.Want(201, "bob", "PUT", w.href, w.data, "Content-Type", "text/calendar")
		}
		wants = append(wants, w)
		body.WriteString("<D:href>" + w.href + "</D:href>")
	}
	body.WriteString(`</C:calendar-multiget>`)
	r := e.Want(207, "bob", "REPORT", "/calendars/bob/", body.String())
	doc := etree.NewDocument()
	if err := doc.ReadFromString(r.Body); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, resp := range doc.Root().ChildElements() {
		order = append(order, resp.FindElement("href").Text())
	}
	statuses := parseMS(t, r.Body)
	if len(order) != len(wants) {
		t.Fatalf("%d responses for %d hrefs", len(order), len(wants))
	}
	for i, w := range wants {
		if order[i] != w.href {
			t.Errorf("response %d is for %s, want %s", i, order[i], w.href)
			continue
		}
		if w.status != 200 {
			if got := statuses[w.href][""]; got != w.status {
				t.Errorf("%s: status %d, want %d", w.href, got, w.status)
			}
			continue
		}
		if got := propText(t, r.Body, w.href, "{urn:ietf:params:xml:ns:caldav}calendar-data"); got != w.data {
			t.Errorf("%s: calendar-data %q, want the stored %q", w.href, got, w.data)
		}
	}
}

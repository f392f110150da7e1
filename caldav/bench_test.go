package caldav_test

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/caldav"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest/stack"
	"github.com/gocaldav/gocaldav/gitstore"
)

// benchCalendar makes /calendars/root/ hold n events spread over 2025 and
// 2026 (a tenth weekly recurring), stored in one commit as an import
// would, and returns the server stack.
func benchCalendar(b *testing.B, n int) *stack.Stack {
	return benchCalendarIn(b, n, "")
}

// benchCalendarIn is benchCalendar with the store on disk in dir ("" for
// memory).
func benchCalendarIn(b *testing.B, n int, dir string) *stack.Stack {
	return benchCalendarOf(b, n, dir, "root")
}

// benchCalendarOf is benchCalendarIn with the events in user's calendar,
// /calendars/USER/ (the user made through the administration API).
func benchCalendarOf(b *testing.B, n int, dir, user string) *stack.Stack {
	b.Helper()
	o := stack.Options{Dir: dir, Register: func(srv *dav.Server) { caldav.Register(srv, caldav.Options{}) }}
	if user != "root" {
		o.Users = []string{user}
	}
	s := stack.New(b, o)
	r := rand.New(rand.NewSource(1))
	_, err := s.Store.Batch(context.Background(), gitstore.Commit{AuthorName: "bench", AuthorEmail: "b@x", Message: "fill"},
		func(tx *gitstore.Txn) error {
			for i := 0; i < n; i++ {
				start := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(2*365*24)) * time.Hour)
				rrule := ""
				if i%10 == 0 {
					rrule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n"
				}
				body := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//b//EN\r\nBEGIN:VEVENT\r\nUID:e%d\r\nDTSTAMP:20250101T000000Z\r\n"+
					"DTSTART:%s\r\nDURATION:PT1H\r\n%sSUMMARY:event %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", i, start.Format("20060102T150405Z"), rrule, i)
				if err := dav.StoreObject(tx, []string{"calendars", user, fmt.Sprintf("e%05d.ics", i)}, []byte(body), "text/calendar", start); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC() // the fill's garbage is not the benchmark's
	return s
}

// BenchmarkCalendarQueryMonth is a calendar-query for one month (getetag
// only) on a 10,000-event calendar, warm caches.
func BenchmarkCalendarQueryMonth(b *testing.B) {
	s := benchCalendar(b, 10000)
	body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	s.Want(207, "root", "REPORT", "/calendars/root/", body, "Depth", "1") // warm the caches
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := s.Want(207, "root", "REPORT", "/calendars/root/", body, "Depth", "1")
		if !strings.Contains(r.Body, "getetag") {
			b.Fatal("no results")
		}
	}
}

// BenchmarkPropfindCalendar is PROPFIND Depth 1 getetag on the same
// calendar.
func BenchmarkPropfindCalendar(b *testing.B) {
	s := benchCalendar(b, 10000)
	body := `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`
	b.ReportAllocs()
	for b.Loop() {
		s.Want(207, "root", "PROPFIND", "/calendars/root/", body, "Depth", "1")
	}
}

// BenchmarkPropfindCalendarUser is BenchmarkPropfindCalendar by the
// calendar's owner, not the administrator: every member's access is
// checked against its ACL.
func BenchmarkPropfindCalendarUser(b *testing.B) {
	s := benchCalendarOf(b, 10000, "", "alice")
	body := `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`
	b.ReportAllocs()
	for b.Loop() {
		r := s.Want(207, "alice", "PROPFIND", "/calendars/alice/", body, "Depth", "1")
		if strings.Count(r.Body, "<D:getetag>") != 10001 {
			b.Fatalf("%d etags", strings.Count(r.Body, "<D:getetag>"))
		}
	}
}

// BenchmarkMultiget100 fetches 100 events with calendar-data.
func BenchmarkMultiget100(b *testing.B) {
	s := benchCalendar(b, 10000)
	var hrefs strings.Builder
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&hrefs, "<D:href>/calendars/root/e%05d.ics</D:href>", i*97)
	}
	body := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>` + hrefs.String() + `</C:calendar-multiget>`
	b.ReportAllocs()
	for b.Loop() {
		s.Want(207, "root", "REPORT", "/calendars/root/", body, "Depth", "1")
	}
}

// BenchmarkMultigetRandom100 is the shared benchmark's multiget: 100
// hrefs drawn anew for each request from a 10,000-event calendar on disk,
// so that the objects are read from the pack rather than from a cache
// (their spans are known, as they are after the events were PUT).
func BenchmarkMultigetRandom100(b *testing.B) {
	s := benchCalendarIn(b, 10000, b.TempDir())
	s.Want(207, "root", "REPORT", "/calendars/root/", `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>`+
		`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`, "Depth", "1") // learns every span
	r := rand.New(rand.NewSource(2))
	b.ReportAllocs()
	for b.Loop() {
		var body strings.Builder
		body.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
		for _, i := range r.Perm(10000)[:100] {
			fmt.Fprintf(&body, "<D:href>/calendars/root/e%05d.ics</D:href>", i)
		}
		body.WriteString(`</C:calendar-multiget>`)
		resp := s.Want(207, "root", "REPORT", "/calendars/root/", body.String(), "Depth", "1")
		if n := strings.Count(resp.Body, "BEGIN:VCALENDAR"); n != 100 {
			b.Fatalf("%d objects in the answer", n)
		}
	}
}

// benchEvent is a new one-hour event with uid.
func benchEvent(uid string) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//b//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20260310T100000Z\r\nDURATION:PT1H\r\nSUMMARY:new\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// BenchmarkPutInto10k creates new events in a 10,000-event calendar, one
// durable commit each, on disk as the binary stores them.
func BenchmarkPutInto10k(b *testing.B) {
	s := benchCalendarIn(b, 10000, b.TempDir())
	s.Want(201, "root", "PUT", "/calendars/root/warm.ics", benchEvent("warm"), "Content-Type", "text/calendar")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		uid := fmt.Sprintf("new%d", i)
		i++
		s.Want(201, "root", "PUT", "/calendars/root/"+uid+".ics", benchEvent(uid), "Content-Type", "text/calendar")
	}
}

// BenchmarkPutInto10kParallel is BenchmarkPutInto10k with 8 writers (the
// store on disk): each PUT still gets its own commit, and concurrent ones
// share fsyncs.
func BenchmarkPutInto10kParallel(b *testing.B) {
	s := benchCalendarIn(b, 10000, b.TempDir())
	s.Want(201, "root", "PUT", "/calendars/root/warm.ics", benchEvent("warm"), "Content-Type", "text/calendar")
	var next atomic.Int64
	b.SetParallelism(4) // 8 writers on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			uid := fmt.Sprintf("par%d", next.Add(1))
			s.Want(201, "root", "PUT", "/calendars/root/"+uid+".ics", benchEvent(uid), "Content-Type", "text/calendar")
		}
	})
}

// BenchmarkSyncDelta10k asks for the changes since a token taken ten
// changes ago on a 10,000-event calendar.
func BenchmarkSyncDelta10k(b *testing.B) {
	s := benchCalendar(b, 10000)
	initial := `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	r := s.Want(207, "root", "REPORT", "/calendars/root/", initial)
	i := strings.Index(r.Body, "<D:sync-token>")
	j := strings.Index(r.Body, "</D:sync-token>")
	if i < 0 || j < i {
		b.Fatalf("no sync-token in %.300s", r.Body)
	}
	token := r.Body[i+len("<D:sync-token>") : j]
	for k := 0; k < 10; k++ {
		uid := fmt.Sprintf("d%d", k)
		s.Want(201, "root", "PUT", "/calendars/root/"+uid+".ics", benchEvent(uid), "Content-Type", "text/calendar")
	}
	delta := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
	b.ReportAllocs()
	for b.Loop() {
		r := s.Want(207, "root", "REPORT", "/calendars/root/", delta)
		if strings.Count(r.Body, "<D:response>") != 10 {
			b.Fatalf("want 10 responses, got %.500s", r.Body)
		}
	}
}

// BenchmarkCalendarQueryMonthExpand is the month query with calendar-data
// expanded (every instance in the month as its own component).
func BenchmarkCalendarQueryMonthExpand(b *testing.B) {
	s := benchCalendar(b, 10000)
	body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` +
		`<C:calendar-data><C:expand start="20260301T000000Z" end="20260401T000000Z"/></C:calendar-data></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
		`<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
	s.Want(207, "root", "REPORT", "/calendars/root/", body, "Depth", "1") // warm the caches
	b.ReportAllocs()
	for b.Loop() {
		r := s.Want(207, "root", "REPORT", "/calendars/root/", body, "Depth", "1")
		if !strings.Contains(r.Body, "RECURRENCE-ID") {
			b.Fatal("nothing expanded")
		}
	}
}

package caldav_test

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
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
	b.Helper()
	s := stack.New(b, stack.Options{Register: func(srv *dav.Server) { caldav.Register(srv, caldav.Options{}) }})
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
				if err := dav.StoreObject(tx, []string{"calendars", "root", fmt.Sprintf("e%05d.ics", i)}, []byte(body), "text/calendar", start); err != nil {
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

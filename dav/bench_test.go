package dav

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

// fillCollection puts n small objects into /calendars/bench/ in one
// commit, as an import would.
func fillCollection(b *testing.B, e *testEnv, n int) {
	b.Helper()
	e.Must(201, "MKCOL", "/calendars/bench/", "")
	_, err := e.store.Batch(context.Background(), gitstore.Commit{AuthorName: "bench", AuthorEmail: "b@x", Message: "fill"},
		func(tx *gitstore.Txn) error {
			for i := 0; i < n; i++ {
				body := []byte(strings.Replace(ics, "UID:1", fmt.Sprintf("UID:%d", i), 1))
				if err := StoreObject(tx, []string{"calendars", "bench", fmt.Sprintf("e%05d.ics", i)}, body, "text/calendar", testNow); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPropfindDepth1 is PROPFIND Depth 1 of getetag on a collection
// of 1,000 objects, through the whole handler.
func BenchmarkPropfindDepth1(b *testing.B) {
	e := newTestEnv(&testing.T{})
	fillCollection(b, e, 1000)
	body := `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("PROPFIND", "/calendars/bench/", strings.NewReader(body))
		req.SetBasicAuth("root", "secret")
		req.Header.Set("Depth", "1")
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, req)
		if rec.Code != 207 {
			b.Fatal(rec.Code)
		}
	}
}

// BenchmarkMultistatusCalendarData encodes a multiget-sized answer: 100
// responses, each a getetag and 1.2 KB of calendar data (CRLF lines,
// which are escaped).
func BenchmarkMultistatusCalendarData(b *testing.B) {
	data := strings.Repeat("DESCRIPTION:a line of an event & its <details>\r\n", 25)
	etag := propfile.TextProperty(PropETag, `"0123456789abcdef0123456789abcdef01234567"`)
	cd := propfile.TextProperty(CalDAVName("calendar-data"), data)
	b.SetBytes(int64(100 * len(data)))
	b.ReportAllocs()
	for b.Loop() {
		ms := NewMultistatus()
		for i := range 100 {
			r := ms.Add(fmt.Sprintf("/calendars/user/cal/e%05d.ics", i))
			r.Prop(200, etag)
			r.Prop(200, cd)
		}
		if ms.Size() < int64(100*len(data)) {
			b.Fatal("short answer")
		}
	}
}

// BenchmarkParseRequestXML parses the body of a 100-href
// calendar-multiget (7 KB), as a request reads it: quick path and
// checks.
func BenchmarkParseRequestXML(b *testing.B) {
	var body strings.Builder
	body.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
	for i := range 100 {
		fmt.Fprintf(&body, "<D:href>/calendars/bench-031307-10000/ev-%06d-1234abcd.ics</D:href>", i*97)
	}
	body.WriteString(`</C:calendar-multiget>`)
	data := []byte(body.String())
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseXML(data, DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
}

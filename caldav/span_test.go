package caldav

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/caldav/query"
	"github.com/gocaldav/gocaldav/caldav/recur"
)

// spanEvents are objects of every shape the span must bound: timed,
// zoned, floating, all-day, recurring with COUNT, UNTIL, none (unbounded),
// RDATE, EXDATE, an override moved far away, a journal, a todo.
func spanEvents(r *rand.Rand, n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(2*365*24)) * time.Hour)
		dt := start.Format("20060102T150405")
		var ev strings.Builder
		ev.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n")
		kind := r.Intn(9)
		uid := fmt.Sprintf("u%d", i)
		comp := "VEVENT"
		if kind == 8 {
			comp = "VJOURNAL"
		}
		ev.WriteString("BEGIN:" + comp + "\r\nUID:" + uid + "\r\nDTSTAMP:20250101T000000Z\r\n")
		switch kind {
		case 0:
			ev.WriteString("DTSTART:" + dt + "Z\r\nDTEND:" + start.Add(90*time.Minute).Format("20060102T150405") + "Z\r\n")
		case 1:
			ev.WriteString("DTSTART;TZID=Pacific/Kiritimati:" + dt + "\r\nDURATION:PT1H\r\n")
		case 2:
			ev.WriteString("DTSTART:" + dt + "\r\nDTEND:" + start.Add(time.Hour).Format("20060102T150405") + "\r\n") // floating
		case 3:
			ev.WriteString("DTSTART;VALUE=DATE:" + start.Format("20060102") + "\r\n")
		case 4:
			ev.WriteString("DTSTART:" + dt + "Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY;COUNT=" + fmt.Sprint(2+r.Intn(20)) + "\r\nEXDATE:" + start.AddDate(0, 0, 7).Format("20060102T150405") + "Z\r\n")
		case 5:
			ev.WriteString("DTSTART:" + dt + "Z\r\nDURATION:PT30M\r\nRRULE:FREQ=DAILY;UNTIL=" + start.AddDate(0, 1, 0).Format("20060102T150405") + "Z\r\n")
		case 6:
			ev.WriteString("DTSTART:" + dt + "Z\r\nDURATION:PT30M\r\nRRULE:FREQ=MONTHLY\r\n") // unbounded
		case 7:
			ev.WriteString("DTSTART:" + dt + "Z\r\nDURATION:PT1H\r\nRDATE:" + start.AddDate(1, 0, 0).Format("20060102T150405") + "Z\r\nRRULE:FREQ=DAILY;COUNT=3\r\n")
		case 8:
			ev.WriteString("DTSTART;VALUE=DATE:" + start.Format("20060102") + "\r\n")
		}
		ev.WriteString("END:" + comp + "\r\n")
		if kind == 4 || kind == 5 { // an override moved far away
			ev.WriteString("BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20250101T000000Z\r\nRECURRENCE-ID:" + start.AddDate(0, 0, 14).Format("20060102T150405") + "Z\r\n")
			ev.WriteString("DTSTART:" + start.AddDate(0, 6, 0).Format("20060102T150405") + "Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n")
		}
		ev.WriteString("END:VCALENDAR\r\n")
		out = append(out, ev.String())
	}
	return out
}

// TestSpanNeverExcludesAMatch: for random objects and ranges, whenever
// the full filter matches, the span prefilter keeps the object; and it
// does exclude some (else it would be useless).
func TestSpanNeverExcludesAMatch(t *testing.T) {
	r := rand.New(rand.NewSource(4791))
	objects := spanEvents(r, 300)
	cals, spans := parseWithSpans(t, objects)
	excluded := 0
	for q := 0; q < 40; q++ {
		_, start, end, f := randomRangeQuery(t, r, q)
		pre := prefilterOf(f)
		if len(pre) != 1 {
			t.Fatalf("prefilter %v", pre)
		}
		for _, zone := range []*time.Location{time.UTC, time.FixedZone("+14", 14*3600), time.FixedZone("-12", -12*3600)} {
			for i, cal := range cals {
				if !pre.excludes(spans[i]) {
					continue
				}
				excluded++
				matched, err := f.Match(cal, query.Options{Floating: zone})
				if err != nil {
					t.Fatalf("object %d: %v", i, err)
				}
				if matched {
					t.Fatalf("object %d in zone %v matches [%v, %v) but the span excludes it:\n%s", i, zone, start, end, objects[i])
				}
			}
		}
	}
	if excluded == 0 {
		t.Fatal("the prefilter never excluded anything")
	}
	t.Logf("prefilter excluded %d object×query×zone cases", excluded)
}

// TestSpanDecidesLikeTheFilter: whenever a span decides a time-range
// filter from its exact instances, the answer is the full filter's, in
// every floating zone; and it decides most timed objects. Ranges and
// events share the hour grid, so the boundary cases of RFC 4791 §9.9
// (touching ends, zero duration) occur.
func TestSpanDecidesLikeTheFilter(t *testing.T) {
	r := rand.New(rand.NewSource(6578))
	objects := spanEvents(r, 300)
	for i := range 60 { // zero-duration events and DTEND equal to DTSTART
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(2*365*24)) * time.Hour)
		dt := start.Format("20060102T150405Z")
		end := ""
		if i%2 == 0 {
			end = "DTEND:" + dt + "\r\n"
		}
		objects = append(objects, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:z"+fmt.Sprint(i)+
			"\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:"+dt+"\r\n"+end+"END:VEVENT\r\nEND:VCALENDAR\r\n")
	}
	cals, spans := parseWithSpans(t, objects)
	decided, matches := 0, 0
	for q := 0; q < 60; q++ {
		comp, start, end, f := randomRangeQuery(t, r, q)
		quick := timeRangeOnlyOf(f)
		if quick == nil {
			t.Fatal("a lone time-range filter is not recognised")
		}
		if q%7 == 0 { // sometimes only ask whether there is such a component
			f = compFilter(t, comp, "")
			if quick = timeRangeOnlyOf(f); quick == nil || !quick.anyTime {
				t.Fatal("a lone comp-filter is not recognised")
			}
		}
		for i, cal := range cals {
			got, ok := spans[i].decide(quick)
			if !ok {
				continue
			}
			decided++
			if got {
				matches++
			}
			for _, zone := range []*time.Location{time.UTC, time.FixedZone("+14", 14*3600), time.FixedZone("-12", -12*3600)} {
				want, err := f.Match(cal, query.Options{Floating: zone})
				if err != nil {
					t.Fatalf("object %d: %v", i, err)
				}
				if got != want {
					t.Fatalf("object %d, zone %v, [%v, %v): span decides %v, the filter says %v:\n%s", i, zone, start, end, got, want, objects[i])
				}
			}
		}
	}
	if decided < 60*len(objects)/3 || matches == 0 {
		t.Fatalf("the span decided %d of %d cases (%d matches)", decided, 60*len(objects), matches)
	}
	t.Logf("span decided %d of %d object×query cases, %d matches", decided, 60*len(objects), matches)
}

// TestTimeRangeOnlyOf: only a lone VEVENT/VJOURNAL time-range is decided
// by spans.
func TestTimeRangeOnlyOf(t *testing.T) {
	for _, c := range []struct {
		inner string
		ok    bool
	}{
		{`<C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z"/></C:comp-filter>`, true},
		{`<C:comp-filter name="VJOURNAL"><C:time-range end="20260101T000000Z"/></C:comp-filter>`, true},
		{`<C:comp-filter name="VTODO"><C:time-range start="20260101T000000Z"/></C:comp-filter>`, false},
		{`<C:comp-filter name="VEVENT"/>`, true},
		{`<C:comp-filter name="VTODO"/>`, true},
		{`<C:comp-filter name="VALARM"/>`, false},
		{`<C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z"/><C:prop-filter name="SUMMARY"/></C:comp-filter>`, false},
		{`<C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z"/><C:comp-filter name="VALARM"/></C:comp-filter>`, false},
		{`<C:comp-filter name="VEVENT"><C:time-range start="20260101T000000Z"/></C:comp-filter><C:comp-filter name="VTODO"/>`, false},
		{`<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>`, false},
	} {
		doc := etree.NewDocument()
		if err := doc.ReadFromString(`<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">` + c.inner + `</C:comp-filter></C:filter>`); err != nil {
			t.Fatal(err)
		}
		f, err := query.ParseFilter(doc.Root())
		if err != nil {
			t.Fatalf("%s: %v", c.inner, err)
		}
		if got := timeRangeOnlyOf(f) != nil; got != c.ok {
			t.Errorf("%s: decidable %v, want %v", c.inner, got, c.ok)
		}
	}
}

// parseWithSpans parses objects and computes their spans.
// The parsed objects are query.Objects, each used in every zone and
// range the tests try, as a server uses them.
func parseWithSpans(t *testing.T, objects []string) ([]*query.Object, []*span) {
	t.Helper()
	cals := make([]*query.Object, len(objects))
	spans := make([]*span, len(objects))
	for i, obj := range objects {
		cal, err := icalobj.Parse([]byte(obj))
		if err != nil {
			t.Fatal(err)
		}
		cals[i], spans[i] = query.NewObject(cal), spanOf(cal, nil, recur.Limits{MaxInstances: spanInstances})
	}
	return cals, spans
}

// compFilter is the filter VCALENDAR > comp holding inner.
func compFilter(t *testing.T, comp, inner string) *query.Filter {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR"><C:comp-filter name="` +
		comp + `">` + inner + `</C:comp-filter></C:comp-filter></C:filter>`); err != nil {
		t.Fatal(err)
	}
	f, err := query.ParseFilter(doc.Root())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// randomRangeQuery is query q of a randomized test: a time range on the
// hour grid over 2025–2027 on VEVENT (on VJOURNAL every fifth time).
func randomRangeQuery(t *testing.T, r *rand.Rand, q int) (comp string, start, end time.Time, f *query.Filter) {
	t.Helper()
	start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Intn(3*365*24)) * time.Hour)
	end = start.Add(time.Duration(1+r.Intn(24*40)) * time.Hour)
	comp = "VEVENT"
	if q%5 == 0 {
		comp = "VJOURNAL"
	}
	f = compFilter(t, comp, `<C:time-range start="`+start.Format("20060102T150405Z")+`" end="`+end.Format("20060102T150405Z")+`"/>`)
	return comp, start, end, f
}

// TestIndexCandidatesAgreeWithSpans: the calendar index's flat bounds
// keep exactly the members the spans keep, for ranges with open ends,
// sub-second ends and two components at once, with members that have no
// span and members that lack the component.
func TestIndexCandidatesAgreeWithSpans(t *testing.T) {
	r := rand.New(rand.NewSource(6764))
	objects := spanEvents(r, 200)
	objects = append(objects, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VTODO\r\nUID:todo\r\nDTSTAMP:20250101T000000Z\r\nDUE:20260301T000000Z\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
	_, spans := parseWithSpans(t, objects)
	idx := &calendarIndex{bounds: map[string][]secondsInterval{}}
	for i, s := range spans {
		if i%37 == 5 {
			s = nil // unreadable: never excluded
		}
		idx.add(indexedMember{name: fmt.Sprint(i), span: s})
	}
	kept := 0
	for q := 0; q < 60; q++ {
		start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.Int63n(int64(3 * 365 * 24 * time.Hour))))
		end := start.Add(time.Duration(1 + r.Int63n(int64(40*24*time.Hour))))
		if c, ok := spans[r.Intn(len(spans))].comp("VEVENT"); ok && q%4 == 3 && !c.iv.start.IsZero() {
			// Ranges that touch a member's bounds: starting where it
			// ends, ending where it starts.
			start, end = c.iv.end, c.iv.end.Add(time.Hour)
			if r.Intn(2) == 0 {
				start, end = c.iv.start.Add(-time.Hour), c.iv.start
			}
		}
		switch q % 6 {
		case 1:
			start = time.Time{}
		case 2:
			end = time.Time{}
		}
		var pre prefilter
		for _, comp := range [][]string{{"VEVENT"}, {"VJOURNAL"}, {"VEVENT", "VJOURNAL"}}[q%3] {
			pre = append(pre, struct {
				comp  string
				start time.Time
				end   time.Time
			}{comp, start, end})
		}
		var got []int
		if err := idx.candidates(pre, func(i int) error { got = append(got, i); return nil }); err != nil {
			t.Fatal(err)
		}
		var want []int
		for i, m := range idx.members {
			if m.span == nil || !pre.excludes(m.span) {
				want = append(want, i)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("query %d [%v, %v) %v: index keeps %v, spans keep %v", q, start, end, pre, got, want)
		}
		kept += len(got)
	}
	if kept == 0 || kept == 60*len(objects) {
		t.Fatalf("kept %d of %d: the queries test nothing", kept, 60*len(objects))
	}
}

// TestExactInstancesBound: a span lists an event's instances exactly
// when there are at most exactInstances of them, counted after EXDATEs,
// and never for an unbounded rule.
func TestExactInstancesBound(t *testing.T) {
	event := func(rule, extra string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:x\r\n" +
			"DTSTAMP:20260101T000000Z\r\nDTSTART:20260105T090000Z\r\nDTEND:20260105T100000Z\r\n" +
			"RRULE:" + rule + "\r\n" + extra + "END:VEVENT\r\nEND:VCALENDAR\r\n"
	}
	for _, tc := range []struct {
		name  string
		ics   string
		exact int // -1: no exact list
	}{
		{"COUNT=64", event("FREQ=WEEKLY;COUNT=64", ""), 64},
		{"COUNT=65", event("FREQ=WEEKLY;COUNT=65", ""), -1},
		{"COUNT=65 less one EXDATE", event("FREQ=WEEKLY;COUNT=65", "EXDATE:20260112T090000Z\r\n"), 64},
		{"unbounded", event("FREQ=WEEKLY", ""), -1},
	} {
		_, spans := parseWithSpans(t, []string{tc.ics})
		c, ok := spans[0].comp("VEVENT")
		if !ok {
			t.Fatalf("%s: no VEVENT span", tc.name)
		}
		got := len(c.exact)
		if !c.hasExact {
			got = -1
		}
		if got != tc.exact {
			t.Errorf("%s: %d exact instances, want %d", tc.name, got, tc.exact)
		}
	}
}

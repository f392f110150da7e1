package caldav

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
)

// zoneEvent is an event in zone Europe/Berlin, whose VTIMEZONE names its
// standard time stdName; fold folds the VTIMEZONE's BEGIN line.
func zoneEvent(uid, stdName string, fold bool) string {
	begin := "BEGIN:VTIMEZONE\r\n"
	if fold {
		begin = "BEGIN:VTIME\r\n ZONE\r\n"
	}
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n" + begin +
		"TZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n" +
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n" +
		"TZNAME:" + stdName + "\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:" + uid + "\r\nDTSTAMP:20260101T000000Z\r\n" +
		"DTSTART;TZID=Europe/Berlin:20261110T090000\r\nSUMMARY:" + uid + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

// TestShareZones: parses of objects carrying the same VTIMEZONE text
// share one component; a VTIMEZONE whose text differs (the same TZID
// with another TZNAME), or whose BEGIN line cannot be found in the text,
// keeps its own; and every object still encodes as it was stored.
func TestShareZones(t *testing.T) {
	h := &handler{sharedZones: newCache[string, *ical.Component](16)}
	texts := []string{
		zoneEvent("a", "CET", false),
		zoneEvent("b", "CET", false),
		zoneEvent("c", "MEZ", false),
		zoneEvent("d", "CET", true),
	}
	var cals []*ical.Calendar
	for _, text := range texts {
		o := parseObject([]byte(text))
		if o.cal == nil {
			t.Fatal(o.err)
		}
		h.shareZones([]byte(text), o.cal)
		cals = append(cals, o.cal)
	}
	zone := func(c *ical.Calendar) *ical.Component { return c.Children[0] }
	if zone(cals[0]) != zone(cals[1]) {
		t.Error("a and b carry the same VTIMEZONE text but do not share its parse")
	}
	if zone(cals[2]) == zone(cals[0]) {
		t.Error("c's VTIMEZONE (TZNAME MEZ) was replaced by a's (CET)")
	}
	if zone(cals[3]) == zone(cals[0]) {
		t.Error("d's VTIMEZONE, whose BEGIN line is folded, was shared")
	}
	for i, c := range cals {
		var buf bytes.Buffer
		if err := icalobj.Encode(&buf, c); err != nil {
			t.Fatal(err)
		}
		if got, want := canonicalICS(t, buf.String()), canonicalICS(t, texts[i]); got != want {
			t.Errorf("object %d encodes as\n%s\nwant\n%s", i, got, want)
		}
	}
}

// TestShareZonesLeavesNestedZones: a VTIMEZONE inside an event (not
// where one belongs) leaves the object's zones unshared: here the text
// found is the nested one's, as the top-level one's BEGIN line is
// folded, and pairing it with the top-level parse would be wrong.
func TestShareZonesLeavesNestedZones(t *testing.T) {
	h := &handler{sharedZones: newCache[string, *ical.Component](16)}
	plain := zoneEvent("a", "MEZ", false)
	zoneText := plain[strings.Index(plain, "BEGIN:VTIMEZONE"):strings.Index(plain, "BEGIN:VEVENT")]
	nested := strings.Replace(zoneEvent("b", "CET", true), "END:VEVENT", zoneText+"END:VEVENT", 1)
	var cals []*ical.Calendar
	for _, text := range []string{plain, nested} {
		o := parseObject([]byte(text))
		if o.cal == nil {
			t.Fatal(o.err)
		}
		h.shareZones([]byte(text), o.cal)
		cals = append(cals, o.cal)
	}
	if cals[0].Children[0] == cals[1].Children[0] {
		t.Error("the top-level VTIMEZONE (CET) was replaced by the one nested in the event (MEZ)")
	}
}

package icalobj

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func crlf(s string) []byte {
	return []byte(strings.ReplaceAll(strings.TrimSpace(s), "\n", "\r\n") + "\r\n")
}

func obj(body string) []byte {
	return crlf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n" + strings.TrimSpace(body) + "\nEND:VCALENDAR")
}

const event = `BEGIN:VEVENT
UID:e1
DTSTAMP:20240101T000000Z
DTSTART:20240110T100000Z
DTEND:20240110T110000Z
ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:a@example.com
ORGANIZER;CN="Org, Inc":mailto:o@example.com
END:VEVENT`

func TestAppendixBValid(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "rfc4791", "*.ics"))
	want := map[string]string{"abcd1.ics": "VEVENT", "abcd2.ics": "VEVENT", "abcd4.ics": "VTODO", "abcd8.ics": "VFREEBUSY"}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		sum, err := Validate(b, Rules{})
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if w, ok := want[filepath.Base(f)]; ok && sum.Component != w {
			t.Errorf("%s: component %s, want %s", f, sum.Component, w)
		}
	}
	b, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "rfc4791", "abcd2.ics"))
	sum, err := Validate(b, Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.UID != "00959BC664CA650E933C892C@example.com" || !sum.Recurring || sum.Overrides != 2 ||
		!sum.Start.Equal(time.Date(2006, 1, 2, 17, 0, 0, 0, time.UTC)) || !sum.End.Equal(time.Date(2006, 1, 6, 20, 0, 0, 0, time.UTC)) ||
		len(sum.TZIDs) != 1 || sum.TZIDs[0] != "US/Eastern" {
		t.Errorf("summary: %+v", sum)
	}
}

func TestValidateErrors(t *testing.T) {
	jan := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		data []byte
		r    Rules
		cond string
	}{
		{"garbage", []byte("hello"), Rules{}, CondValidCalendarData},
		{"truncated", crlf("BEGIN:VCALENDAR\nVERSION:2.0"), Rules{}, CondValidCalendarData},
		{"param without colon (go-ical panics)", crlf("BEGIN:VCALENDAR\nDTSTART;TZID=x"), Rules{}, CondValidCalendarData},
		{"two calendars", append(obj(event), obj(event)...), Rules{}, CondValidCalendarData},
		{"not VCALENDAR", crlf("BEGIN:VEVENT\nEND:VEVENT"), Rules{}, CondValidCalendarData},
		{"no PRODID", crlf("BEGIN:VCALENDAR\nVERSION:2.0\n" + event + "\nEND:VCALENDAR"), Rules{}, CondValidCalendarData},
		{"version 1.0", crlf("BEGIN:VCALENDAR\nVERSION:1.0\nPRODID:x\n" + event + "\nEND:VCALENDAR"), Rules{}, CondSupportedCalendarData},
		{"METHOD", crlf("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nMETHOD:REQUEST\n" + event + "\nEND:VCALENDAR"), Rules{}, CondValidCalendarObject},
		{"no component", obj(""), Rules{}, CondValidCalendarObject},
		{"two UIDs", obj(event + "\n" + strings.Replace(event, "UID:e1", "UID:e2", 1)), Rules{}, CondValidCalendarObject},
		{"no UID", obj(strings.Replace(event, "UID:e1\n", "", 1)), Rules{}, CondValidCalendarObject},
		{"mixed types", obj(event + "\nBEGIN:VTODO\nUID:e1\nDTSTAMP:20240101T000000Z\nEND:VTODO"), Rules{}, CondValidCalendarObject},
		{"unsupported component", obj(event), Rules{Components: []string{"VTODO"}}, CondSupportedCalendarComponent},
		{"too big", obj(event), Rules{MaxSize: 100}, CondMaxResourceSize},
		{"before min", obj(event), Rules{MinDateTime: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}, CondMinDateTime},
		{"after max", obj(event), Rules{MaxDateTime: jan}, CondMaxDateTime},
		{"unbounded past max", obj(strings.Replace(event, "DTEND", "RRULE:FREQ=DAILY\nDTEND", 1)), Rules{MaxDateTime: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}, CondMaxDateTime},
		{"max instances", obj(strings.Replace(event, "DTEND", "RRULE:FREQ=DAILY;COUNT=20\nDTEND", 1)), Rules{MaxInstances: 10}, CondMaxInstances},
		{"DTEND and DURATION", obj(strings.Replace(event, "DTEND", "DURATION:PT1H\nDTEND", 1)), Rules{}, CondValidCalendarData},
		{"unknown TZID", obj(strings.Replace(event, "DTSTART:20240110T100000Z", "DTSTART;TZID=Atlantis:20240110T100000", 1)), Rules{}, CondValidCalendarData},
		// go-deps gotcha 8: go-ical writes DTSTAMP;TZID=Local for time.Local.
		{"TZID=Local", obj(strings.Replace(event, "DTSTAMP:20240101T000000Z", "DTSTAMP;TZID=Local:20240101T000000", 1)), Rules{}, CondValidCalendarData},
		{"bad RRULE", obj(strings.Replace(event, "DTEND", "RRULE:FREQ=SOMETIMES\nDTEND", 1)), Rules{}, CondValidCalendarData},
		{"bad date", obj(strings.Replace(event, "20240110T100000Z", "20241310T100000Z", 1)), Rules{}, CondValidCalendarData},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Validate(tc.data, tc.r)
			var e *Error
			if !errors.As(err, &e) || e.Condition != tc.cond {
				t.Errorf("got %v, want %s", err, tc.cond)
			}
		})
	}
}

func TestValidateKeepsBytes(t *testing.T) {
	data := obj(event)
	orig := append([]byte(nil), data...)
	sum, err := Validate(data, Rules{Components: []string{"VEVENT"}, MaxSize: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, orig) {
		t.Error("Validate modified the input")
	}
	at := sum.Calendar.Children[0].Props.Get(ical.PropAttendee)
	if at.Params.Get("RSVP") != "TRUE" || at.Value != "mailto:a@example.com" {
		t.Errorf("ATTENDEE: %+v", at)
	}
	if org := sum.Calendar.Children[0].Props.Get(ical.PropOrganizer); org.Params.Get("CN") != "Org, Inc" {
		t.Errorf("ORGANIZER: %+v", org)
	}
}

func TestEncode(t *testing.T) {
	cal, err := Parse(obj(event))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 100)
	cal.Children[0].Props.SetText(ical.PropDescription, long)
	// A subset without DTSTAMP, which go-ical's encoder refuses (gotcha 7).
	cal.Children[0].Props.Del(ical.PropDateTimeStamp)
	out := EncodeBytes(cal)
	for _, line := range strings.Split(string(out), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := back.Children[0].Props.Text(ical.PropDescription); got != long {
		t.Error("folded UTF-8 text did not round-trip")
	}
	if p := back.Children[0].Props.Get(ical.PropOrganizer); p.Params.Get("CN") != "Org, Inc" {
		t.Errorf("quoted parameter lost: %+v", p)
	}
	if !strings.HasPrefix(string(out), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:") {
		t.Errorf("VERSION and PRODID should lead: %q", out[:40])
	}
	if bytes.Equal(EncodeBytes(cal), out) == false {
		t.Error("encoding is not deterministic")
	}
}

// TestEncodeSharedProperties: components sharing property values (as the
// instances of an expansion share those they do not change) encode
// exactly as independent copies would.
func TestEncodeSharedProperties(t *testing.T) {
	master := ical.NewComponent(ical.CompEvent)
	master.Props.SetText(ical.PropUID, "shared")
	master.Props.SetText(ical.PropSummary, "a summary long enough to be folded across more than one content line, and more")
	attendee := ical.NewProp("ATTENDEE")
	attendee.Value = "mailto:a@example.com"
	attendee.Params.Set("CN", "A; B")
	master.Props.Add(attendee)
	build := func(share bool) *ical.Calendar {
		cal := ical.NewCalendar()
		cal.Props.SetText(ical.PropVersion, "2.0")
		for i := range 4 {
			c := ical.NewComponent(ical.CompEvent)
			for name, ps := range master.Props {
				if share {
					c.Props[name] = ps
				} else {
					c.Props[name] = append([]ical.Prop(nil), ps...)
				}
			}
			start := ical.NewProp(ical.PropDateTimeStart)
			start.Value = fmt.Sprintf("2026030%dT100000Z", i+1)
			c.Props.Set(start)
			cal.Children = append(cal.Children, c)
		}
		return cal
	}
	shared, copied := string(EncodeBytes(build(true))), string(EncodeBytes(build(false)))
	if shared != copied {
		t.Errorf("shared properties encode as\n%s\nindependent copies as\n%s", shared, copied)
	}
	if n := strings.Count(shared, "ATTENDEE;CN=\"A; B\":mailto:a@example.com"); n != 4 {
		t.Errorf("the shared ATTENDEE appears %d times, want 4:\n%s", n, shared)
	}
}

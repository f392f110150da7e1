package icalobj

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate feeds arbitrary bytes to Validate: it must never panic or
// hang, and whatever it accepts must re-encode and re-parse.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "rfc4791", "*.ics"))
	tzFiles, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "tz", "*.ics"))
	for _, p := range append(files, tzFiles...) {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add(obj(event))
	f.Add([]byte("BEGIN:VCALENDAR\r\nDTSTART;TZID=x"))
	f.Add(obj("BEGIN:VEVENT\nUID:x\nDTSTART:20240101T000000Z\nRRULE:FREQ=SECONDLY\nEXDATE:20240101T000001Z,20240101T000002Z\nRDATE;VALUE=PERIOD:20240102T000000Z/PT1H\nEND:VEVENT"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sum, err := Validate(data, Rules{MaxSize: 1 << 16, MaxInstances: 1000})
		if err != nil {
			return
		}
		if _, err := Parse(EncodeBytes(sum.Calendar)); err != nil {
			t.Fatalf("accepted object does not re-parse: %v", err)
		}
	})
}

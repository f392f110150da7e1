package value

import "testing"

// FuzzValues feeds arbitrary text to the iCalendar value parsers (DATE,
// DATE-TIME, PERIOD, DURATION, UTC-OFFSET): none may panic, and a
// DATE-TIME that parses lies in years 0-9999.
func FuzzValues(f *testing.F) {
	for _, s := range []string{"20240101", "20240101T100000Z", "99991231T235959Z", "00000101T000000", "20241301T000000Z",
		"20240101T100000Z/PT1H", "20240101T100000Z/20240101T090000Z", "P1W", "-P1DT2H3M4S", "P99999999999W", "PT",
		"+0100", "-2400", "+999999", "20240230", "2024010", "T", ""} {
		f.Add(s, "DATE-TIME", "")
		f.Add(s, "DATE", "Europe/Berlin")
	}
	f.Fuzz(func(t *testing.T, s, valueType, tzid string) {
		if dt, err := Parse(s, valueType, tzid); err == nil {
			if y := dt.Wall.Year(); y < 0 || y > 9999 {
				t.Fatalf("Parse(%q) gave year %d", s, y)
			}
		}
		_, _ = ParseDate(s)
		_, _, _ = ParseDateTimeText(s)
		_, _ = ParsePeriod(s, tzid)
		_, _ = ParseDuration(s)
		_, _ = ParseUTCOffset(s)
	})
}

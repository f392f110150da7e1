package rrule

import (
	"testing"
	"time"
)

// FuzzRRULE parses arbitrary rules and iterates them with a small step
// bound: it must never panic or hang.
func FuzzRRULE(f *testing.F) {
	for _, s := range []string{
		"FREQ=DAILY;COUNT=10", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2",
		"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "FREQ=SECONDLY;COUNT=1000000000",
		"FREQ=MINUTELY;INTERVAL=60;BYMINUTE=5", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SU;WKST=SU;UNTIL=19971224T000000Z",
		"FREQ=YEARLY;BYYEARDAY=-1,366;BYHOUR=0,23;BYMINUTE=0,59;BYSECOND=0,60",
	} {
		f.Add(s, int64(873190800))
	}
	f.Fuzz(func(t *testing.T, s string, start int64) {
		r, err := Parse(s)
		if err != nil {
			return
		}
		dt := time.Unix(start%(250*365*86400), 0).UTC()
		it := r.Iterator(dt, Options{MaxSteps: 2000, After: dt.AddDate(0, 0, int(start%1000))})
		prev := time.Time{}
		for i := 0; i < 200; i++ {
			w, ok := it.Next()
			if !ok {
				break
			}
			if w.Before(prev) {
				t.Fatalf("%q: occurrences out of order: %s after %s", s, w, prev)
			}
			prev = w
		}
	})
}

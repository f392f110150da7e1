package rrule

import (
	"testing"
	"time"
)

// A COUNT rule with one occurrence per period skips ahead to After and
// yields, from After on, exactly the occurrences stepping from DTSTART
// yields; rules that may skip periods step as before.
func TestCountSkipAhead(t *testing.T) {
	for _, rule := range []string{
		"FREQ=SECONDLY;COUNT=5000", "FREQ=SECONDLY;INTERVAL=7;COUNT=3000", "FREQ=MINUTELY;COUNT=4000",
		"FREQ=HOURLY;INTERVAL=5;COUNT=900", "FREQ=DAILY;COUNT=400", "FREQ=WEEKLY;INTERVAL=2;COUNT=60",
		"FREQ=MONTHLY;COUNT=40", "FREQ=DAILY;BYHOUR=9,17;COUNT=300", "FREQ=SECONDLY;COUNT=3",
	} {
		for _, after := range []string{"19970902T093000", "19970910T000000", "19980101T000000", "20300101T000000"} {
			r, err := Parse(rule)
			if err != nil {
				t.Fatal(err)
			}
			start, from := wall("19970831T090000"), wall(after)
			var want []time.Time
			all := r.Iterator(start, Options{})
			for w, ok := all.Next(); ok; w, ok = all.Next() {
				if !w.Before(from) {
					want = append(want, w)
				}
			}
			var got []time.Time
			skip := r.Iterator(start, Options{After: from})
			for w, ok := skip.Next(); ok; w, ok = skip.Next() {
				if !w.Before(from) {
					got = append(got, w)
				}
			}
			if len(got) != len(want) || (len(got) > 0 && (!got[0].Equal(want[0]) || !got[len(got)-1].Equal(want[len(want)-1]))) {
				t.Errorf("%s after %s: %d occurrences %v…, want %d %v…", rule, after, len(got), head(got), len(want), head(want))
			}
		}
	}
}

// Skipping makes a huge COUNT cheap: the billionth second is found
// without stepping through the seconds before it.
func TestCountSkipHuge(t *testing.T) {
	r, err := Parse("FREQ=SECONDLY;COUNT=1000000000")
	if err != nil {
		t.Fatal(err)
	}
	start := wall("20060104T100000")
	last := start.Add(999_999_999 * time.Second)
	it := r.Iterator(start, Options{After: last.Add(-time.Minute), MaxSteps: 1000})
	var n int
	var end time.Time
	for w, ok := it.Next(); ok; w, ok = it.Next() {
		n, end = n+1, w
	}
	if it.Err() != nil || !end.Equal(last) || n > 100 {
		t.Errorf("last %v after %d (err %v), want %v", end, n, it.Err(), last)
	}
}

func head(ts []time.Time) []time.Time { return ts[:min(len(ts), 2)] }

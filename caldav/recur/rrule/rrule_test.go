package rrule

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

func wall(s string) time.Time {
	t, err := time.Parse("20060102T150405", s)
	if err != nil {
		panic(err)
	}
	return t
}

func collect(t *testing.T, rule, dtstart string, n int, o Options) []string {
	t.Helper()
	r, err := Parse(rule)
	if err != nil {
		t.Fatalf("Parse(%q): %v", rule, err)
	}
	it := r.Iterator(wall(dtstart), o)
	var out []string
	for len(out) < n {
		w, ok := it.Next()
		if !ok {
			break
		}
		out = append(out, w.Format("20060102T1504"))
	}
	return out
}

// Examples from RFC 5545 §3.8.5.3, evaluated as wall clocks.
func TestRFC5545Examples(t *testing.T) {
	tests := []struct {
		rule, start string
		n           int
		want        string
	}{
		{"FREQ=DAILY;COUNT=10", "19970902T090000", 20, "19970902T0900 19970903T0900 19970904T0900 19970905T0900 19970906T0900 19970907T0900 19970908T0900 19970909T0900 19970910T0900 19970911T0900"},
		{"FREQ=DAILY;INTERVAL=10;COUNT=5", "19970902T090000", 20, "19970902T0900 19970912T0900 19970922T0900 19971002T0900 19971012T0900"},
		{"FREQ=WEEKLY;COUNT=10;WKST=SU;BYDAY=TU,TH", "19970902T090000", 20, "19970902T0900 19970904T0900 19970909T0900 19970911T0900 19970916T0900 19970918T0900 19970923T0900 19970925T0900 19970930T0900 19971002T0900"},
		{"FREQ=MONTHLY;COUNT=10;BYDAY=1FR", "19970905T090000", 20, "19970905T0900 19971003T0900 19971107T0900 19971205T0900 19980102T0900 19980206T0900 19980306T0900 19980403T0900 19980501T0900 19980605T0900"},
		{"FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", "19970907T090000", 20, "19970907T0900 19970928T0900 19971102T0900 19971130T0900 19980104T0900 19980125T0900 19980301T0900 19980329T0900 19980503T0900 19980531T0900"},
		{"FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", "19970922T090000", 20, "19970922T0900 19971020T0900 19971117T0900 19971222T0900 19980119T0900 19980216T0900"},
		{"FREQ=MONTHLY;BYMONTHDAY=-3", "19970928T090000", 6, "19970928T0900 19971029T0900 19971128T0900 19971229T0900 19980129T0900 19980226T0900"},
		{"FREQ=YEARLY;BYDAY=20MO", "19970519T090000", 3, "19970519T0900 19980518T0900 19990517T0900"},
		{"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "19970512T090000", 3, "19970512T0900 19980511T0900 19990517T0900"},
		{"FREQ=YEARLY;BYMONTH=3;BYDAY=TH", "19970313T090000", 7, "19970313T0900 19970320T0900 19970327T0900 19980305T0900 19980312T0900 19980319T0900 19980326T0900"},
		{"FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "19970902T090000", 4, "19980213T0900 19980313T0900 19981113T0900 19990813T0900"},
		{"FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", "19961105T090000", 3, "19961105T0900 20001107T0900 20041102T0900"},
		{"FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", "19970904T090000", 20, "19970904T0900 19971007T0900 19971106T0900"},
		{"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", "19970929T090000", 4, "19970929T0900 19971030T0900 19971127T0900 19971230T0900"},
		{"FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000", "19970902T090000", 20, "19970902T0900 19970902T1200 19970902T1500"},
		{"FREQ=MINUTELY;INTERVAL=15;COUNT=6", "19970902T090000", 20, "19970902T0900 19970902T0915 19970902T0930 19970902T0945 19970902T1000 19970902T1015"},
		{"FREQ=MINUTELY;INTERVAL=90;COUNT=4", "19970902T090000", 20, "19970902T0900 19970902T1030 19970902T1200 19970902T1330"},
		{"FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", "19970902T160000", 4, "19970902T1600 19970902T1620 19970902T1640 19970903T0900"},
		{"FREQ=DAILY;BYHOUR=9,16;BYMINUTE=0,40", "19970902T160000", 4, "19970902T1600 19970902T1640 19970903T0900 19970903T0940"},
		{"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", "19970805T090000", 20, "19970805T0900 19970810T0900 19970819T0900 19970824T0900"},
		{"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", "19970805T090000", 20, "19970805T0900 19970817T0900 19970819T0900 19970831T0900"},
		{"FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", "20070115T090000", 20, "20070115T0900 20070130T0900 20070215T0900 20070315T0900 20070330T0900"},
		{"FREQ=YEARLY;INTERVAL=3;COUNT=4;BYYEARDAY=1,100,200", "19970101T090000", 20, "19970101T0900 19970410T0900 19970719T0900 20000101T0900"},
		{"FREQ=YEARLY", "20000229T120000", 3, "20000229T1200 20040229T1200 20080229T1200"},
		{"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "20001026T020000", 3, "20001029T0200 20011028T0200 20021027T0200"},
	}
	for _, tc := range tests {
		t.Run(tc.rule, func(t *testing.T) {
			got := strings.Join(collect(t, tc.rule, tc.start, tc.n, Options{}), " ")
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestUntilDate(t *testing.T) {
	got := collect(t, "FREQ=DAILY;UNTIL=19970904", "19970902T090000", 10, Options{})
	if len(got) != 3 {
		t.Errorf("UNTIL as DATE is inclusive of that day: %v", got)
	}
}

func TestSkipAhead(t *testing.T) {
	// Without COUNT, an After hint avoids walking from DTSTART.
	o := Options{After: wall("20250101T000000"), MaxSteps: 10}
	got := collect(t, "FREQ=SECONDLY", "19700101T000000", 3, o)
	if len(got) != 3 || got[0] > "20250101T0000" {
		t.Errorf("skip-ahead failed: %v", got)
	}
}

func TestBounded(t *testing.T) {
	tests := []struct{ name, rule string }{
		{"impossible day", "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30"},
		{"impossible yearly", "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=31"},
		{"unreachable hour", "FREQ=HOURLY;INTERVAL=24;BYHOUR=5"},
		{"unreachable minute", "FREQ=MINUTELY;INTERVAL=60;BYMINUTE=5"},
		{"bad setpos", "FREQ=SECONDLY;BYSETPOS=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			it := r.Iterator(wall("20000101T000000"), Options{MaxSteps: 100_000})
			n := 0
			for {
				if _, ok := it.Next(); !ok {
					break
				}
				n++
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			if n != 0 {
				t.Errorf("got %d occurrences, want 0", n)
			}
		})
	}
	r, _ := Parse("FREQ=SECONDLY;COUNT=1000000000")
	it := r.Iterator(wall("20000101T000000"), Options{MaxSteps: 1000})
	n := 0
	for {
		if _, ok := it.Next(); !ok {
			break
		}
		n++
	}
	if n != 1000 || !errors.Is(it.Err(), ErrStepLimit) {
		t.Errorf("n=%d err=%v, want 1000 and ErrStepLimit", n, it.Err())
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{
		"", "COUNT=3", "FREQ=FOO", "FREQ=DAILY;COUNT=0", "FREQ=DAILY;BYHOUR=24",
		"FREQ=DAILY;BYDAY=XX", "FREQ=DAILY;BYDAY=0MO", "FREQ=DAILY;COUNT=2;UNTIL=20000101",
		"FREQ=DAILY;FREQ=WEEKLY", "FREQ=DAILY;NOPE=1", "FREQ=DAILY;INTERVAL=0", "FREQ",
	} {
		if _, err := Parse(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", s, err)
		}
	}
	if _, err := Parse("FREQ=DAILY;X-FOO=1"); err != nil {
		t.Errorf("X- part should be ignored: %v", err)
	}
}

// TestDayNext: stepping a day at a time agrees with the time package on
// every field over four centuries (leap years, month and year ends).
func TestDayNext(t *testing.T) {
	d := dayOf(time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC))
	for at := time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC); at.Year() < 2300; {
		at = at.AddDate(0, 0, 1)
		d = d.next()
		if want := dayOf(at); d != want {
			t.Fatalf("after %v: %+v, want %+v", at.AddDate(0, 0, -1), d, want)
		}
	}
}

// TestWeeklyShortcut: a WEEKLY rule with plain BYDAY days yields the
// same occurrences whether its candidates come from the day offsets or
// from testing each day of the week.
func TestWeeklyShortcut(t *testing.T) {
	r := rand.New(rand.NewSource(5545))
	names := []string{"SU", "MO", "TU", "WE", "TH", "FR", "SA"}
	tried := 0
	for i := 0; i < 300; i++ {
		rule := fmt.Sprintf("FREQ=WEEKLY;INTERVAL=%d;WKST=%s", 1+r.Intn(3), names[r.Intn(7)])
		if r.Intn(4) > 0 {
			var days []string
			for _, n := range names {
				if r.Intn(3) == 0 {
					days = append(days, n)
				}
			}
			if len(days) > 0 {
				rule += ";BYDAY=" + strings.Join(days, ",")
			}
		}
		if r.Intn(3) == 0 {
			rule += ";BYHOUR=7,19"
		}
		if r.Intn(3) == 0 {
			rule += fmt.Sprintf(";COUNT=%d", 1+r.Intn(40))
		}
		p, err := Parse(rule)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		start := time.Date(1990+r.Intn(30), time.Month(1+r.Intn(12)), 1+r.Intn(28), r.Intn(24), 0, 0, 0, time.UTC)
		fast := p.Iterator(start, Options{})
		if fast.weekDays == nil {
			t.Fatalf("%s: no shortcut", rule)
		}
		slow := p.Iterator(start, Options{})
		slow.weekDays = nil
		for n := 0; n < 100; n++ {
			a, okA := fast.Next()
			b, okB := slow.Next()
			if okA != okB || !a.Equal(b) {
				t.Fatalf("%s from %v, occurrence %d: shortcut %v %v, day by day %v %v", rule, start, n, a, okA, b, okB)
			}
			if !okA {
				break
			}
			tried++
		}
	}
	if tried < 10000 {
		t.Fatalf("only %d occurrences compared", tried)
	}
}

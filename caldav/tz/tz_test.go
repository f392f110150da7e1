package tz

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func loadCal(t testing.TB, name string) *ical.Calendar {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "tz", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cal, err := ical.NewDecoder(f).Decode()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cal
}

func offsetAt(loc *time.Location, utc string) int {
	t, err := time.Parse(time.RFC3339, utc)
	if err != nil {
		panic(err)
	}
	_, off := t.In(loc).Zone()
	return off / 3600
}

// Named zones: IANA, Windows (go-deps gotcha 2: "W. Europe Standard Time"
// fails in go-ical) and vendor prefixes ("/mozilla.org/..." fails too).
func TestNamed(t *testing.T) {
	tests := []struct {
		tzid string
		want string // IANA zone with identical offsets
	}{
		{"US/Eastern", "America/New_York"},
		{"Europe/Berlin", "Europe/Berlin"},
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"Eastern Standard Time", "America/New_York"},
		{"Tokyo Standard Time", "Asia/Tokyo"},
		{"/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"},
		{"/mozilla.org/20070129_1/America/New_York", "America/New_York"},
		{"/softwarestudio.org/Olson_20011030_5/America/New_York", "America/New_York"},
		{"/freeassociation.sourceforge.net/Tzfile/Europe/London", "Europe/London"},
		{"/citadel.org/20190914_1/Europe/Paris", "Europe/Paris"},
	}
	r := &Resolver{}
	for _, tc := range tests {
		t.Run(tc.tzid, func(t *testing.T) {
			loc, err := r.Location(tc.tzid, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := time.LoadLocation(tc.want)
			for _, at := range []string{"2024-01-15T12:00:00Z", "2024-07-15T12:00:00Z"} {
				if g, w := offsetAt(loc, at), offsetAt(want, at); g != w {
					t.Errorf("%s at %s: offset %d, want %d", tc.tzid, at, g, w)
				}
			}
		})
	}
}

func TestUnknown(t *testing.T) {
	r := &Resolver{}
	// "Local" must never mean the server's zone (go-deps gotcha 8).
	for _, tzid := range []string{"Local", "", "Nowhere/Special", "../../etc/passwd", "/x/y/Local"} {
		if _, err := r.Location(tzid, nil); !errors.Is(err, ErrUnknownTZID) {
			t.Errorf("Location(%q) = %v, want ErrUnknownTZID", tzid, err)
		}
	}
}

// A VTIMEZONE-only zone with the full RFC 5545 New York history (RRULE with
// UNTIL, RDATE, several observances) must agree with the IANA database.
func TestVTimezoneMatchesIANA(t *testing.T) {
	cal := loadCal(t, "rfc5545-new-york.ics")
	r := &Resolver{}
	loc, err := r.Location("NYC Custom", cal)
	if err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	for at := time.Date(1968, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2040; at = at.Add(6 * time.Hour) {
		_, g := at.In(loc).Zone()
		_, w := at.In(ny).Zone()
		if g != w {
			t.Fatalf("at %s: offset %d, IANA %d", at, g, w)
		}
	}
	// Wall clock to instant: 2006-07-02 10:00 EDT = 14:00Z.
	if got := time.Date(2006, 7, 2, 10, 0, 0, 0, loc).UTC(); got.Hour() != 14 {
		t.Errorf("10:00 local = %s", got)
	}
}

// Outlook writes "Customized Time Zone" with rules starting in 1601.
func TestOutlookVTimezone(t *testing.T) {
	cal := loadCal(t, "outlook-berlin.ics")
	loc, err := (&Resolver{}).Location("Customized Time Zone", cal)
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	for at := time.Date(1997, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2035; at = at.Add(12 * time.Hour) {
		_, g := at.In(loc).Zone()
		_, w := at.In(berlin).Zone()
		if g != w {
			t.Fatalf("at %s: offset %d, Berlin %d", at, g, w)
		}
	}
}

func TestRDateOnlyVTimezone(t *testing.T) {
	cal := loadCal(t, "rdate-only.ics")
	loc, err := (&Resolver{}).Location("Island Time", cal)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		at   string
		want int
	}{
		{"2019-06-01T00:00:00Z", 3},
		{"2020-02-29T22:59:59Z", 3},
		{"2020-02-29T23:00:00Z", 4},
		{"2020-06-01T00:00:00Z", 4},
		{"2020-12-01T00:00:00Z", 3},
		{"2021-06-01T00:00:00Z", 4},
		{"2022-06-01T00:00:00Z", 4},
		{"2022-12-01T00:00:00Z", 3},
		{"2023-06-01T00:00:00Z", 3},
	}
	for _, tc := range tests {
		if g := offsetAt(loc, tc.at); g != tc.want {
			t.Errorf("at %s: %d, want %d", tc.at, g, tc.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	bad := ical.NewComponent(ical.CompTimezone)
	bad.Props.SetText(ical.PropTimezoneID, "Broken")
	if _, err := Compile(bad); err == nil {
		t.Error("VTIMEZONE without observances compiled")
	}
	std := ical.NewComponent(ical.CompTimezoneStandard)
	std.Props.Set(&ical.Prop{Name: ical.PropDateTimeStart, Params: ical.Params{}, Value: "19700101T000000"})
	std.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetFrom, Params: ical.Params{}, Value: "+01"})
	std.Props.Set(&ical.Prop{Name: ical.PropTimezoneOffsetTo, Params: ical.Params{}, Value: "+0100"})
	bad.Children = append(bad.Children, std)
	if _, err := Compile(bad); err == nil {
		t.Error("bad TZOFFSETFROM accepted")
	}
}

func TestCacheConcurrent(t *testing.T) {
	cal := loadCal(t, "rdate-only.ics")
	r := &Resolver{MaxEntries: 2}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if _, err := r.Location("Island Time", cal); err != nil {
					t.Error(err)
					return
				}
				if _, err := r.Location("Europe/Berlin", nil); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	a, _ := Default.Location("Island Time", cal)
	b, _ := Default.Location("Island Time", cal)
	if a != b {
		t.Error("cache did not return the same location")
	}
}

package value

import (
	"errors"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want Duration
	}{
		{"P1D", Duration{Days: 1}},
		{"P2W", Duration{Days: 14}},
		{"-PT15M", Duration{Negative: true, Seconds: 900}},
		{"+P1DT2H3M4S", Duration{Days: 1, Seconds: 7384}},
		{"PT0S", Duration{}},
	}
	for _, tc := range tests {
		got, err := ParseDuration(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseDuration(%q) = %+v, %v", tc.in, got, err)
		}
	}
	for _, bad := range []string{"", "P", "1D", "PT", "P1H", "PT1D", "P1DT", "P99999999999D", "PT1H2", "P1DTT1H"} {
		if _, err := ParseDuration(bad); !errors.Is(err, ErrSyntax) {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	// Nominal days keep the wall clock across DST; seconds are exact.
	ny, _ := time.LoadLocation("America/New_York")
	start := time.Date(2024, 3, 9, 9, 0, 0, 0, ny)
	if got := (Duration{Days: 1}).AddTo(start); got.Hour() != 9 || got.Sub(start) != 23*time.Hour {
		t.Errorf("P1D across DST: %s", got)
	}
	if got := (Duration{Seconds: 86400}).AddTo(start); got.Hour() != 10 {
		t.Errorf("PT24H across DST: %s", got)
	}
}

func TestParseDateTime(t *testing.T) {
	tests := []struct {
		v, vt, tzid string
		kind        Kind
	}{
		{"20240101", "", "", KindDate},
		{"20240101", "DATE", "", KindDate},
		{"20240101T120000", "", "", KindFloating},
		{"20240101T120000Z", "", "Europe/Berlin", KindUTC},
		{"20240101T120000", "DATE-TIME", "Europe/Berlin", KindZoned},
	}
	for _, tc := range tests {
		dt, err := Parse(tc.v, tc.vt, tc.tzid)
		if err != nil || dt.Kind != tc.kind {
			t.Errorf("Parse(%q,%q,%q) = %v %v", tc.v, tc.vt, tc.tzid, dt.Kind, err)
		}
	}
	for _, bad := range []string{"2024010", "20240230", "20241301T000000", "20240101T250000", "20240101X120000", "2024-01-01"} {
		if _, err := Parse(bad, "", ""); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if _, err := Parse("20240101T120000", "DATE", ""); err == nil {
		t.Error("VALUE=DATE with a date-time accepted")
	}
}

func TestUTCOffset(t *testing.T) {
	for in, want := range map[string]int{"+0100": 3600, "-0500": -18000, "+013045": 5445, "-0000": 0} {
		if got, err := ParseUTCOffset(in); err != nil || got != want {
			t.Errorf("ParseUTCOffset(%q) = %d %v", in, got, err)
		}
	}
	for _, bad := range []string{"0100", "+01", "+2400", "+01:00"} {
		if _, err := ParseUTCOffset(bad); err == nil {
			t.Errorf("ParseUTCOffset(%q) accepted", bad)
		}
	}
}

func TestPropList(t *testing.T) {
	p := &ical.Prop{Name: "RDATE", Params: ical.Params{"VALUE": {"PERIOD"}}, Value: "20240102T100000Z/20240102T130000Z,20240103T100000Z/PT30M"}
	items, err := PropList(p)
	if err != nil || len(items) != 2 || items[0].Period == nil || !items[1].Period.HasDuration {
		t.Fatalf("PERIOD list: %+v %v", items, err)
	}
	p = &ical.Prop{Name: "EXDATE", Params: ical.Params{"TZID": {"Europe/Berlin"}}, Value: "20240102T090000,20240103T090000"}
	items, err = PropList(p)
	if err != nil || len(items) != 2 || items[1].Kind != KindZoned || items[1].TZID != "Europe/Berlin" {
		t.Fatalf("EXDATE list: %+v %v", items, err)
	}
	fb := &ical.Prop{Name: "FREEBUSY", Params: ical.Params{}, Value: "20240101T100000Z/PT1H"}
	if items, err := PropList(fb); err != nil || items[0].Period == nil {
		t.Errorf("FREEBUSY defaults to PERIOD: %+v %v", items, err)
	}
}

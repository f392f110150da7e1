package webmachine

import (
	"testing"
)

func TestChooseMediaType(t *testing.T) {
	provided := []string{"text/xml", "text/calendar", "text/html"}
	for _, c := range []struct {
		accept string
		want   string
		ok     bool
	}{
		{"", "text/xml", true},
		{"text/calendar", "text/calendar", true},
		{"TEXT/Calendar", "text/calendar", true},
		{"*/*", "text/xml", true},
		{"text/*", "text/xml", true},
		{"text/html, */*;q=0.1", "text/html", true},
		{"text/*;q=0.5, text/calendar", "text/calendar", true},
		{"text/calendar;q=0.2, text/html;q=0.9", "text/html", true},
		{"text/calendar;q=0, */*", "text/xml", true},
		{"application/json", "", false},
		{"*/*;q=0", "", false},
		{"text/html;q=bogus, text/calendar", "text/calendar", true},
		{"text/*;q=0.3, text/html;level=1, text/html;q=0.7", "text/html", true},
	} {
		got, ok := ChooseMediaType(c.accept, provided)
		if got != c.want || ok != c.ok {
			t.Errorf("ChooseMediaType(%q) = %q, %v; want %q, %v", c.accept, got, ok, c.want, c.ok)
		}
	}
}

func TestChooseCharset(t *testing.T) {
	provided := []string{"utf-8", "iso-8859-1"}
	for _, c := range []struct {
		header, want string
		ok           bool
	}{
		{"utf-8", "utf-8", true},
		{"ISO-8859-1", "iso-8859-1", true},
		{"iso-8859-1;q=0.9, utf-8;q=0.1", "iso-8859-1", true},
		{"*", "utf-8", true},
		{"*;q=0", "", false},
		{"koi8-r", "", false},
		{"utf-8;q=0, *", "iso-8859-1", true},
	} {
		got, ok := chooseCharset(c.header, provided)
		if got != c.want || ok != c.ok {
			t.Errorf("chooseCharset(%q) = %q, %v; want %q, %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

func TestChooseEncoding(t *testing.T) {
	gz := []Encoding{GzipEncoding()}
	for _, c := range []struct {
		header   string
		provided []Encoding
		want     string
		ok       bool
	}{
		{"gzip", gz, "gzip", true},
		{"gzip;q=0.5, identity;q=0.1", gz, "gzip", true},
		{"gzip, identity", gz, "identity", true}, // equal q: identity costs nothing
		{"br", gz, "identity", true},
		{"identity;q=0", gz, "", false},
		{"*;q=0", gz, "", false},
		{"*;q=0, identity", gz, "identity", true},
		{"*", gz, "identity", true},
		{"gzip;q=0", gz, "identity", true},
		{"identity;q=0, gzip", gz, "gzip", true},
		{"gzip", nil, "identity", true},
	} {
		_, got, ok := chooseEncoding(c.header, c.provided)
		if got != c.want || ok != c.ok {
			t.Errorf("chooseEncoding(%q) = %q, %v; want %q, %v", c.header, got, ok, c.want, c.ok)
		}
	}
}

func TestGraphNegotiation(t *testing.T) {
	twoTypes := func(r *testResource) {
		r.providers = []Provider{textProvider("text/calendar", "BEGIN:VCALENDAR"), textProvider("text/html", "<html>")}
		r.charsets = []string{"utf-8"}
	}
	for _, c := range []struct {
		name, accept, wantType, wantBody, wantVary string
		status                                     int
	}{
		{"no Accept picks the first", "", "text/calendar; charset=utf-8", "BEGIN:VCALENDAR", "Accept", 200},
		{"browser gets HTML", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8", "<html>", "Accept", 200},
		{"calendar client", "text/calendar", "text/calendar; charset=utf-8", "BEGIN:VCALENDAR", "Accept", 200},
		{"nothing acceptable", "application/json", "", "", "", 406},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec := serveHTTP(t, "GET", "/", h("Accept", c.accept), twoTypes)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			if c.status != 200 {
				return
			}
			if got := rec.Header().Get("Content-Type"); got != c.wantType {
				t.Errorf("Content-Type %q, want %q", got, c.wantType)
			}
			if got := rec.Body.String(); got != c.wantBody {
				t.Errorf("body %q, want %q", got, c.wantBody)
			}
			if got := rec.Header().Values("Vary"); len(got) != 1 || got[0] != c.wantVary {
				t.Errorf("Vary %q, want [%s]", got, c.wantVary)
			}
		})
	}
}

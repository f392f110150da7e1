package main

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocaldav/gocaldav/caldav"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest/stack"
)

// TestSmoke runs the whole benchmark with a small calendar against our
// server in process (over loopback HTTP) and requires every check to
// pass: the server's query answers must match the generator's exact
// expectations.
func TestSmoke(t *testing.T) {
	s := stack.New(t, stack.Options{Register: func(srv *dav.Server) { caldav.Register(srv, caldav.Options{}) }})
	ts := httptest.NewServer(s.Handler)
	defer ts.Close()
	out := filepath.Join(t.TempDir(), "r.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{ts.URL + "/", "root", stack.Passwords["root"], "-n", "150", "-reps", "2", "-c", "3",
		"-get-clients", "2", "-get-duration", "300ms", "-at-size-puts", "4", "-hol-reports", "1", "-pid", "0",
		"-label", "smoke", "-out", out}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stderr.String(), stdout.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Sizes) != 1 || r.Sizes[0].Expect.Objects == 0 {
		t.Fatalf("results: %+v", r.Sizes)
	}
	seen := map[string]bool{}
	for _, o := range r.Sizes[0].Ops {
		seen[o.Key] = true
		if o.OK != nil && !*o.OK {
			t.Errorf("%s: check failed: %s", o.Name, o.Check)
		}
		if o.Value <= 0 && o.Key != "hol_max" {
			t.Errorf("%s: value %v", o.Name, o.Value)
		}
	}
	for _, k := range []string{"put_seq", "put_par", "propfind_d1", "multiget_100", "query_month_etag", "query_month_data",
		"query_month_expand", "sync_initial", "sync_delta", "get_load", "hol_max", "put_at_size", "put_at_size_par", "delete_calendar"} {
		if !seen[k] {
			t.Errorf("no %s", k)
		}
	}
	if !strings.Contains(stdout.String(), "calendar-query month, expand") {
		t.Errorf("table:\n%s", stdout.String())
	}
	// The calendars are gone.
	if r := s.As("root", "PROPFIND", r.Sizes[0].Calendar, "", "Depth", "0"); r.Status != 404 {
		t.Errorf("calendar left behind: PROPFIND %d", r.Status)
	}

	// -compare puts two runs side by side with the targets.
	stdout.Reset()
	if code := run([]string{"-compare", out + " " + out}, &stdout, &stderr); code != 0 {
		t.Fatalf("-compare: exit %d: %s", code, stderr.String())
	}
	for _, want := range []string{"| PROPFIND Depth 1 getetag (ms) |", "1.00×", "≥ 20× ✗"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("-compare lacks %q:\n%s", want, stdout.String())
		}
	}
}

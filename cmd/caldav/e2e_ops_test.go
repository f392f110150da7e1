package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scrape fetches /metrics from addr and returns each series (name with
// its labels, as printed) and its value.
func scrape(t *testing.T, addr string) map[string]string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", resp.StatusCode)
	}
	m := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			m[line[:i]] = line[i+1:]
		}
	}
	return m
}

// TestMetrics scrapes the metrics listener: request counts by method and
// status, failed logins, store gauges; the main listener has no metrics.
func TestMetrics(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret", "--metrics", "127.0.0.1:0")
	for range 3 {
		s.do(t, "PROPFIND", "/principals/root/", "root", "secret")
	}
	for range 2 {
		s.do(t, "PROPFIND", "/principals/root/", "root", "wrong")
	}
	s.must(t, 201, request{method: "PUT", path: "/calendars/root/a.ics", user: "root", pass: "secret", body: event("a@e2e", "A"),
		header: map[string]string{"Content-Type": "text/calendar"}})
	s.must(t, 404, request{method: "GET", path: "/calendars/root/none.ics", user: "root", pass: "secret"})
	resp, body := s.send(t, nil, request{method: "GET", path: "/metrics", user: "root", pass: "secret"})
	if resp.StatusCode == 200 || strings.Contains(body, "caldav_http_requests_total") {
		t.Errorf("GET /metrics on the main listener: %d\n%s", resp.StatusCode, body)
	}
	m := scrape(t, s.addrs["metrics"])
	for series, want := range map[string]string{
		`caldav_http_requests_total{code="207",method="PROPFIND"}`:      "3",
		`caldav_http_requests_total{code="401",method="PROPFIND"}`:      "2",
		`caldav_http_requests_total{code="201",method="PUT"}`:           "1",
		`caldav_http_requests_total{code="404",method="GET"}`:           "2", // none.ics and /metrics
		`caldav_failed_logins_total`:                                    "2",
		`caldav_principals`:                                             "1",
		`caldav_calendars`:                                              "1",
		`caldav_objects`:                                                "1",
		`caldav_push_pending_commits`:                                   "0",
		`caldav_http_request_duration_seconds_count{method="PROPFIND"}`: "5",
	} {
		if got, ok := m[series]; !ok || got != want {
			t.Errorf("%s = %q, want %s", series, got, want)
		}
	}
	if v, err := strconv.ParseFloat(m["caldav_repository_bytes"], 64); err != nil || v <= 0 {
		t.Errorf("caldav_repository_bytes = %q", m["caldav_repository_bytes"])
	}
	if _, ok := m["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	// Without --pprof the metrics listener serves no profiles.
	if resp, err := http.Get("http://" + s.addrs["metrics"] + "/debug/pprof/"); err != nil || resp.StatusCode != 404 {
		t.Errorf("GET /debug/pprof/ without --pprof: %v %v", resp.StatusCode, err)
	}
	// Unknown methods share one label value.
	s.send(t, nil, request{method: "BREW", path: "/"})
	if got := scrape(t, s.addrs["metrics"]); got[`caldav_http_requests_total{code="405",method="other"}`] == "" &&
		got[`caldav_http_requests_total{code="501",method="other"}`] == "" {
		t.Errorf("an unknown method is not counted as other: %v", filterPrefix(got, "caldav_http_requests_total"))
	}
}

// TestPprof checks --pprof: Go's profiles on the metrics listener only.
func TestPprof(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret", "--metrics", "127.0.0.1:0", "--pprof")
	resp, err := http.Get("http://" + s.addrs["metrics"] + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), "heap profile") {
		t.Errorf("GET /debug/pprof/heap: %d\n%.300s", resp.StatusCode, b)
	}
	if resp, _ := s.send(t, nil, request{method: "GET", path: "/debug/pprof/", user: "root", pass: "secret"}); resp.StatusCode == 200 {
		t.Error("profiles served on the main listener")
	}
}

// filterPrefix keeps the series whose name starts with prefix.
func filterPrefix(m map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if strings.HasPrefix(k, prefix) {
			out[k] = v
		}
	}
	return out
}

// TestTraceHeader checks --trace header: the decision path is sent with
// each answer.
func TestTraceHeader(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret", "--trace", "header")
	s.must(t, 201, request{method: "PUT", path: "/calendars/root/t.ics", user: "root", pass: "secret", body: event("t@e2e", "T"),
		header: map[string]string{"Content-Type": "text/calendar"}})
	for _, c := range []struct {
		path   string
		status int
		suffix string
	}{
		{"/calendars/root/t.ics", 200, ",o18,o18b"},
		{"/calendars/root/none.ics", 404, ",l7"},
	} {
		resp, _ := s.must(t, c.status, request{method: "GET", path: c.path, user: "root", pass: "secret"})
		tr := resp.Header.Get("X-Webmachine-Trace")
		if !strings.HasPrefix(tr, "b13,") || !strings.HasSuffix(tr, c.suffix) {
			t.Errorf("GET %s: X-Webmachine-Trace %q, want b13,…%s", c.path, tr, c.suffix)
		}
	}
	// Without the flag there is no trace.
	s2 := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret")
	if resp, _ := s2.send(t, nil, request{method: "GET", path: "/healthz"}); resp.Header.Get("X-Webmachine-Trace") != "" {
		t.Error("trace header sent without --trace")
	}
}

// rfc5424 is an RFC 5424 header: PRI VERSION TIMESTAMP (at most six
// fraction digits) HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG.
var rfc5424 = regexp.MustCompile(`^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)) ([!-~]{1,255}) caldav (\d+) - - (.*)$`)

// TestSyslog receives the server's log over UDP as RFC 5424 messages,
// among them the access log line of a request.
func TestSyslog(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--syslog", "udp://"+pc.LocalAddr().String())
	s.do(t, "PROPFIND", "/principals/root/", "root", "secret")
	buf := make([]byte, 64<<10)
	var got []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		pc.SetReadDeadline(deadline)
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no access log line over syslog; received:\n%s", strings.Join(got, "\n"))
		}
		msg := string(buf[:n])
		got = append(got, msg)
		m := rfc5424.FindStringSubmatch(msg)
		if m == nil {
			t.Errorf("not an RFC 5424 message: %q", msg)
			continue
		}
		if _, err := time.Parse(time.RFC3339Nano, m[2]); err != nil {
			t.Errorf("timestamp %q: %v", m[2], err)
		}
		if strings.HasPrefix(m[5], "request ") && strings.Contains(m[5], `path="/principals/root/"`) {
			if m[1] != "30" {
				t.Errorf("access log line with priority %s, want 30 (daemon.info)", m[1])
			}
			for _, want := range []string{`user="root"`, `method="PROPFIND"`, `status="207"`} {
				if !strings.Contains(m[5], want) {
					t.Errorf("access log line lacks %s: %q", want, msg)
				}
			}
			return
		}
	}
}

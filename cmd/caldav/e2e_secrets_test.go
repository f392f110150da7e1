package main

import (
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNoSecretsInLogsOrMetrics runs the binary at debug level with the
// decision trace logged and a remote whose URL holds credentials (an
// unreachable one, so its errors are logged), creates users with
// passwords, fails logins, asks for the password and salt properties,
// and then looks for every secret (passwords, the remote's credentials,
// the stored hashes) in the server's output, in /metrics and in the
// answers.
func TestNoSecretsInLogsOrMetrics(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	secrets := map[string]string{
		"admin password":  "Adm1nS3cretXyz",
		"alice password":  "Al1ceS3cretQwe",
		"bob password":    "B0bS3cretRty",
		"wrong guess":     "Gu3ssS3cretUio",
		"remote password": "R3moteS3cretPas",
	}
	remote := "http://gitbot:" + secrets["remote password"] + "@127.0.0.1:" + itoa(freePort(t)) + "/data.git"
	// A first start without the remote makes the repository (a new one
	// would wait for the unreachable remote's data).
	first := start(t, bin, "--data", data, "--admin-password", secrets["admin password"], "--log-level", "debug")
	if err := first.stop(t, 20*time.Second); err != nil {
		t.Fatalf("first start: %v", err)
	}
	s := launch(t, bin, "--data", data, "--admin-password", secrets["admin password"], "--http", "127.0.0.1:0",
		"--metrics", "127.0.0.1:0", "--log-level", "debug", "--trace", "log", "--remote", remote, "--shutdown-timeout", "2s")
	var answers strings.Builder
	req := func(r request) {
		resp, body := s.send(t, nil, r)
		answers.WriteString(resp.Status + "\n")
		for k, v := range resp.Header {
			answers.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
		answers.WriteString(body + "\n")
	}
	root := func(r request) request { r.user, r.pass = "root", secrets["admin password"]; return r }
	req(root(request{method: "PUT", path: "/users/alice?password=" + secrets["alice password"]}))
	req(root(request{method: "PUT", path: "/users/bob?password=" + secrets["bob password"]}))
	req(root(request{method: "PUT", path: "/users/bob?password=" + secrets["bob password"]}))
	for range 7 {
		req(request{method: "PROPFIND", path: "/calendars/alice/", user: "alice", pass: secrets["wrong guess"], header: map[string]string{"Depth": "0"}})
	}
	req(request{method: "PROPFIND", path: "/calendars/alice/", user: "nobody", pass: secrets["wrong guess"]})
	req(request{method: "PROPFIND", path: "/principals/alice/", user: "alice", pass: secrets["alice password"], header: map[string]string{"Depth": "0"},
		body: `<D:propfind xmlns:D="DAV:" xmlns:R="io:robur:webdav"><D:prop><R:password/><R:salt/></D:prop></D:propfind>`})
	req(request{method: "PROPFIND", path: "/principals/alice/", user: "alice", pass: secrets["alice password"], header: map[string]string{"Depth": "0"}})
	req(request{method: "PUT", path: "/calendars/alice/e.ics", user: "alice", pass: secrets["alice password"], body: event("e@s", "E"),
		header: map[string]string{"Content-Type": "text/calendar"}})
	req(request{method: "GET", path: "/healthz"})
	time.Sleep(1500 * time.Millisecond) // a push or two fails and is logged
	resp, err := http.Get("http://" + s.addrs["metrics"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metricsText), "caldav_login_throttled_total") {
		t.Errorf("no throttled-login metric")
	}
	if m := regexp.MustCompile(`caldav_login_throttled_total (\d+)`).FindStringSubmatch(string(metricsText)); m == nil || m[1] == "0" {
		t.Errorf("repeated failed logins were not throttled (metric %v)", m)
	}
	_ = s.stop(t, 20*time.Second) // the push cannot succeed: a non-zero exit is expected

	// The stored hashes and salts, as git holds them.
	for _, u := range []string{"root", "alice", "bob"} {
		out, err := exec.Command("git", "--git-dir="+data, "show", "main:principals/"+u+"/.prop").CombinedOutput()
		if err != nil {
			t.Fatalf("git show %s's properties: %v\n%s", u, err, out)
		}
		for _, m := range regexp.MustCompile(`\$argon2id\$[^\s)"]+`).FindAllString(string(out), -1) {
			secrets[u+" hash"] = m
			// The hash's last part alone (the digest) must not leak either.
			if i := strings.LastIndexByte(m, '$'); i > 0 && len(m)-i > 16 {
				secrets[u+" digest"] = m[i+1:]
			}
		}
	}
	if _, ok := secrets["alice hash"]; !ok {
		t.Fatalf("no argon2id hash found in alice's properties")
	}
	if !strings.Contains(s.logs.String(), "gitbot") && !strings.Contains(s.logs.String(), "127.0.0.1") {
		t.Logf("the remote is not named in the log")
	}
	places := map[string]string{"server output": first.logs.String() + s.logs.String(), "/metrics": string(metricsText), "answers": answers.String()}
	for what, secret := range secrets {
		for where, text := range places {
			if strings.Contains(text, secret) {
				i := strings.Index(text, secret)
				t.Errorf("the %s appears in the %s: …%s…", what, where, text[max(0, i-200):min(len(text), i+len(secret)+50)])
			}
		}
	}
	if !strings.Contains(s.logs.String(), "login refused") {
		t.Errorf("failed logins were not logged")
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}

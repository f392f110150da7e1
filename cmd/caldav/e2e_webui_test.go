package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// zapConfig is the part of CalDavZAP 0.13.1's config.js that matters: the
// href expression as the stock file spreads it over lines, delegation
// and the default language.
const zapConfig = `var globalNetworkCheckSettings={
	href: location.protocol+'//'+location.hostname+
		(location.port ? ':'+location.port: '')+
		location.pathname.replace(RegExp('/+[^/]+/*(index\.html)?$'),'')+
		'/caldav.php/',
	timeOut: 90000,
	lockTimeOut: 10000,
	checkContentType: true,
	settingsAccount: true,
	delegation: true,
	additionalResources: [],
	hrefLabel: null,
	forceReadOnly: null,
	ignoreAlarms: false,
	backgroundCalendars: []
}
var globalInterfaceLanguage='en_US';
`

// writeFiles creates files (path → content) below dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// rawGet sends a request line as given, unnormalised, and returns the
// status line and the rest of the answer.
func rawGet(t *testing.T, addr, target string) (string, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", target, addr)
	r := bufio.NewReader(c)
	status, _ := r.ReadString('\n')
	var rest strings.Builder
	_, _ = bufio.NewReader(r).WriteTo(&rest)
	return strings.TrimSpace(status), rest.String()
}

// TestWebUI serves a CalDavZAP directory with --web-ui and --language:
// config.js rewritten, / as index.html, nothing outside the directory,
// no listings, no writes, and DAV still answering at /.
func TestWebUI(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	root := t.TempDir()
	ui := filepath.Join(root, "ui")
	writeFiles(t, root, map[string]string{
		"secret.txt":       "outside the UI\n",
		"ui/index.html":    "<html>CalDavZAP</html>\n",
		"ui/config.js":     zapConfig,
		"ui/lib/jquery.js": "// jquery\n",
	})
	s := start(t, bin, "--data", filepath.Join(root, "data"), "--admin-password", "secret",
		"--web-ui", ui, "--language", "de_DE")

	resp, js := s.must(t, 200, request{method: "GET", path: "/config.js"})
	if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, "javascript") {
		t.Errorf("config.js Content-Type %q", ct)
	}
	if !strings.Contains(js, "(location.port ? ':'+location.port: '')+\n\t\t'/principals/',") {
		t.Errorf("config.js href does not end in '/principals/':\n%s", js)
	}
	for _, gone := range []string{"caldav.php", "location.pathname.replace", "delegation: true"} {
		if strings.Contains(js, gone) {
			t.Errorf("config.js still contains %q:\n%s", gone, js)
		}
	}
	if !strings.Contains(js, "delegation: false") {
		t.Errorf("config.js: delegation not turned off:\n%s", js)
	}
	// The language set last wins when the script runs.
	if i := strings.LastIndex(js, "globalInterfaceLanguage"); i < 0 || !strings.HasPrefix(js[i:], "globalInterfaceLanguage='de_DE'") {
		t.Errorf("config.js does not end up with de_DE:\n%s", js)
	}
	if resp.ContentLength != int64(len(js)) {
		t.Errorf("Content-Length %d for %d bytes", resp.ContentLength, len(js))
	}
	// A cache revalidates config.js by its content: the same answer is
	// 304, and the answer a restart with another --language gives is not.
	etag := resp.Header.Get("ETag")
	s.must(t, 304, request{method: "GET", path: "/config.js", header: map[string]string{"If-None-Match": etag}})
	if lm := resp.Header.Get("Last-Modified"); lm != "" {
		t.Errorf("config.js has Last-Modified %s: a cache would keep it when only --language changes", lm)
	}
	fr := start(t, bin, "--data", filepath.Join(root, "data2"), "--admin-password", "secret", "--web-ui", ui, "--language", "fr_FR")
	if resp, body := fr.send(t, nil, request{method: "GET", path: "/config.js", header: map[string]string{"If-None-Match": etag}}); resp.StatusCode != 200 || !strings.Contains(body, "fr_FR") {
		t.Errorf("config.js for fr_FR revalidated with de_DE's ETag: %d", resp.StatusCode)
	}

	if _, body := s.must(t, 200, request{method: "GET", path: "/"}); body != "<html>CalDavZAP</html>\n" {
		t.Errorf("GET / = %q, want index.html", body)
	}
	if _, body := s.must(t, 200, request{method: "GET", path: "/lib/jquery.js"}); body != "// jquery\n" {
		t.Errorf("GET /lib/jquery.js = %q", body)
	}
	s.must(t, 404, request{method: "GET", path: "/missing.js"})
	for _, dir := range []string{"/lib/", "/lib"} {
		if resp, body := s.send(t, nil, request{method: "GET", path: dir}); resp.StatusCode == 200 || strings.Contains(body, "jquery") {
			t.Errorf("GET %s lists the directory: %d\n%s", dir, resp.StatusCode, body)
		}
	}
	for _, target := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/lib/../../secret.txt", "/lib/%2e%2e/%2e%2e/secret.txt"} {
		status, rest := rawGet(t, s.addrs["http"], target)
		if strings.Contains(status, " 200 ") || strings.Contains(rest, "outside the UI") {
			t.Errorf("GET %s: %s, escapes the UI directory:\n%s", target, status, rest)
		}
	}
	for _, m := range []string{"PUT", "DELETE", "POST"} {
		resp, _ := s.send(t, nil, request{method: m, path: "/config.js", user: "root", pass: "secret", body: "x"})
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("%s /config.js: %d, want 405", m, resp.StatusCode)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(ui, "config.js")); string(b) != zapConfig {
		t.Error("the UI file was changed")
	}

	// PROPFIND / is still DAV: principal discovery.
	_, body := s.must(t, 207, request{method: "PROPFIND", path: "/", user: "root", pass: "secret",
		header: map[string]string{"Depth": "0", "Content-Type": "application/xml"},
		body:   `<?xml version="1.0"?><propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>`})
	if !strings.Contains(body, "/principals/root/") {
		t.Errorf("PROPFIND / does not name root's principal:\n%s", body)
	}
	// And DAV paths are not shadowed by the UI.
	s.must(t, 207, request{method: "PROPFIND", path: "/calendars/root/", user: "root", pass: "secret", header: map[string]string{"Depth": "0"}})
}

package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAuthHeaderFromTrustedProxy takes the user from --auth-header on
// connections from --trusted-proxy, and ignores it from anywhere else.
func TestAuthHeaderFromTrustedProxy(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	trusted := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--auth-header", "X-Remote-User", "--trusted-proxy", "10.1.0.0/16, 127.0.0.1/32")
	untrusted := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--auth-header", "X-Remote-User", "--trusted-proxy", "10.0.0.0/8")
	as := func(user string) request {
		return request{method: "PROPFIND", path: "/principals/root/", header: map[string]string{"Depth": "0", "X-Remote-User": user}}
	}

	trusted.must(t, 207, as("root"))
	if !trusted.waitLog(`user=root method=PROPFIND`) {
		t.Errorf("the access log does not name the proxy's user:\n%s", trusted.logs)
	}
	trusted.must(t, 201, request{method: "PUT", path: "/users/alice?password=alicepw", user: "root", pass: "secret"})
	// alice is herself, not root: her own calendar yes, root's no.
	r := as("alice")
	r.path = "/calendars/alice/"
	trusted.must(t, 207, r)
	r.path = "/calendars/root/"
	if resp, _ := trusted.send(t, nil, r); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("alice via the header reads root's calendar: %d", resp.StatusCode)
	}
	// An unknown user is not let in; passwords still work beside the header.
	trusted.must(t, 401, as("mallory"))
	trusted.must(t, 207, request{method: "PROPFIND", path: "/principals/alice/", user: "alice", pass: "alicepw", header: map[string]string{"Depth": "0"}})

	// From an address outside --trusted-proxy the header counts for nothing.
	untrusted.must(t, 401, as("root"))
	r = as("root")
	r.user, r.pass = "root", "wrong"
	untrusted.must(t, 401, r)
	r.pass = "secret"
	untrusted.must(t, 207, r)
}

// TestPasswdOffline resets root's password with caldav passwd while the
// server is stopped.
func TestPasswdOffline(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, "--data", data, "--admin-password", "forgotten")
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if out, code := runBin(t, "", bin, "passwd", "--data", data, "root"); code == 0 {
		t.Errorf("an empty password was accepted:\n%s", out)
	}
	if out, code := runBin(t, "new secret\n", bin, "passwd", "--data", data, "nobody"); code == 0 {
		t.Errorf("passwd for an unknown user succeeded:\n%s", out)
	}
	if out, code := runBin(t, "new secret\n", bin, "passwd", "--data", data, "root"); code != 0 {
		t.Fatalf("caldav passwd: exit %d\n%s", code, out)
	}
	if log := gitLog(t, data, "%an%x09%s"); !strings.HasPrefix(log, "caldav passwd\t") {
		t.Errorf("the reset is not a commit of its own:\n%s", log)
	}
	s = start(t, bin, "--data", data)
	if st := s.do(t, "PROPFIND", "/principals/root/", "root", "new secret"); st != 207 {
		t.Errorf("the new password: %d", st)
	}
	if st := s.do(t, "PROPFIND", "/principals/root/", "root", "forgotten"); st != 401 {
		t.Errorf("the old password: %d", st)
	}
	// While the server runs, the data directory is locked.
	if out, code := runBin(t, "x\n", bin, "passwd", "--data", data, "root"); code == 0 {
		t.Errorf("passwd succeeded while the server holds the data directory:\n%s", out)
	}
}

// TestAuthHeaderAdminAPI: the administration API should accept the user
// a trusted proxy names, as every other path does.
func TestAuthHeaderAdminAPI(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--auth-header", "X-Remote-User", "--trusted-proxy", "127.0.0.1/32")
	s.must(t, 201, request{method: "PUT", path: "/users/alice?password=alicepw", header: map[string]string{"X-Remote-User": "root"}})
}

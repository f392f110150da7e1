package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHelpListsEveryFlag checks that --help exits 0 and lists the flags in
// their groups, with none left ungrouped.
func TestHelpListsEveryFlag(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	out, code := runBin(t, "", bin, "--help")
	if code != 0 {
		t.Fatalf("--help exited %d:\n%s", code, out)
	}
	for _, g := range flagGroups {
		if !strings.Contains(out, "\n"+g.title+":\n") {
			t.Errorf("--help lacks the group %q", g.title)
		}
		for _, n := range g.names {
			if !regexp.MustCompile(`(?m)^  --` + regexp.QuoteMeta(n) + ` `).MatchString(out) {
				t.Errorf("--help lacks --%s", n)
			}
		}
	}
	if strings.Contains(out, "\nOther:\n") {
		t.Errorf("--help has flags that belong to no group:\n%s", out[strings.Index(out, "\nOther:\n"):])
	}
	for _, sub := range []string{"caldav passwd", "caldav import"} {
		if !strings.Contains(out, sub) {
			t.Errorf("--help does not mention %q", sub)
		}
	}
}

// TestBadFlagsExitNonZero checks that bad flags and bad combinations exit
// non-zero with a one-line reason, before touching the data directory.
func TestBadFlagsExitNonZero(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cert := filepath.Join(dir, "missing.pem")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "bogus"},
		{[]string{"--data", data}, "no listener"},
		{[]string{"--http", "x:y:z"}, "--http"},
		{[]string{"--http", "127.0.0.1:0", "--https", "127.0.0.1:0", "--tls-proxy", "--tls-dir", dir}, "--tls-proxy"},
		{[]string{"--https", "127.0.0.1:0"}, "--tls-cert"},
		{[]string{"--https", "127.0.0.1:0", "--tls-cert", cert}, "--tls-key"},
		{[]string{"--http", "127.0.0.1:0", "--auth-header", "X-Remote-User"}, "--trusted-proxy"},
		{[]string{"--http", "127.0.0.1:0", "--trusted-proxy", "nonsense"}, "--trusted-proxy"},
		{[]string{"--http", "127.0.0.1:0", "--push", "later"}, "--push"},
		{[]string{"--http", "127.0.0.1:0", "--pprof"}, "--metrics"},
		{[]string{"--http", "127.0.0.1:0", "--pack-interval", "0s"}, "--pack-interval"},
		// Files that do not exist are found before the data directory
		// is created.
		{[]string{"--data", data, "--admin-password", "p", "--https", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", cert}, "missing.pem"},
		{[]string{"--data", data, "--admin-password", "p", "--http", "127.0.0.1:0", "--web-ui", filepath.Join(dir, "nothing")}, "--web-ui"},
	} {
		out, code := runBin(t, "", bin, c.args...)
		if code == 0 {
			t.Errorf("%v exited 0", c.args)
			continue
		}
		line := strings.TrimSpace(out)
		if !strings.HasPrefix(line, "caldav:") || strings.Contains(line, "\n") || !strings.Contains(line, c.want) {
			t.Errorf("%v: want one line starting with caldav: and naming %s, got:\n%s", c.args, c.want, out)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(data, "*")); len(m) > 0 {
		t.Errorf("a refused start created the data directory: %v", m)
	}
	// An empty data directory without an admin password refuses to start.
	out, code := runBin(t, "", bin, "--data", filepath.Join(dir, "d"), "--http", "127.0.0.1:0")
	if code == 0 || !strings.Contains(out, "admin") {
		t.Errorf("empty store without --admin-password: exit %d\n%s", code, out)
	}
}

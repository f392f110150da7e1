package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gitDaemon is a git daemon serving the bare repositories in a directory
// over git:// on 127.0.0.1, with push enabled. It can be stopped and
// started again on the same port.
type gitDaemon struct {
	base string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// newGitDaemon makes the directory with a bare repository per name and
// starts the daemon; it is stopped when the test ends.
func newGitDaemon(t *testing.T, repos ...string) *gitDaemon {
	t.Helper()
	d := &gitDaemon{base: t.TempDir(), port: freePort(t)}
	for _, r := range repos {
		if out, err := exec.Command("git", "init", "-q", "--bare", d.dir(r)).CombinedOutput(); err != nil {
			t.Fatalf("git init --bare: %v\n%s", err, out)
		}
	}
	d.start(t)
	t.Cleanup(func() { d.stop(t) })
	return d
}

// dir is the bare repository of a name.
func (d *gitDaemon) dir(repo string) string { return filepath.Join(d.base, repo+".git") }

// url is the remote URL of a repository.
func (d *gitDaemon) url(repo string) string {
	return fmt.Sprintf("git://127.0.0.1:%d/%s.git", d.port, repo)
}

// start runs the daemon in its own process group and waits until it
// accepts connections.
func (d *gitDaemon) start(t *testing.T) {
	t.Helper()
	exe, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	d.cmd = exec.Command(filepath.Join(strings.TrimSpace(string(exe)), "git-daemon"),
		"--export-all", "--enable=receive-pack", "--base-path="+d.base,
		"--listen=127.0.0.1", fmt.Sprintf("--port=%d", d.port), "--reuseaddr", d.base)
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	logs := &syncBuffer{}
	d.cmd.Stdout, d.cmd.Stderr = logs, logs
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("git daemon: %v", err)
	}
	d.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(d.cmd, d.done)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", d.port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-d.done:
			t.Fatalf("git daemon exited:\n%s", logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("git daemon not listening:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop kills the daemon's process group (it forks per connection).
func (d *gitDaemon) stop(t *testing.T) {
	t.Helper()
	if d.cmd == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
	<-d.done
	d.cmd = nil
}

// head is the commit of the main branch in a repository ("" if none).
func head(gitDir string) string {
	out, err := exec.Command("git", "--git-dir="+gitDir, "rev-parse", "--verify", "-q", "refs/heads/main").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// healthLine returns the value of a line of GET /healthz ("push pending").
func (s *server) healthLine(t *testing.T, key string) string {
	t.Helper()
	_, body := s.must(t, 200, request{method: "GET", path: "/healthz"})
	for _, l := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(l, key+" "); ok {
			return v
		}
	}
	return ""
}

// waitPushed waits until /healthz reports no pending push and the
// remote's main branch is the server's commit.
func (s *server) waitPushed(t *testing.T, remote string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		commit := s.healthLine(t, "commit")
		if s.healthLine(t, "push pending") == "0" && head(remote) == commit {
			return
		}
		if time.Now().After(deadline) {
			_, body := s.must(t, 200, request{method: "GET", path: "/healthz"})
			t.Fatalf("not pushed after 20 s: remote at %q\n%s", head(remote), body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// event is an iCalendar object with CRLF line ends.
func event(uid, summary string) string {
	return strings.ReplaceAll(`BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//gocaldav//e2e//EN
BEGIN:VEVENT
UID:`+uid+`
DTSTAMP:20240101T000000Z
DTSTART:20240102T100000Z
DTEND:20240102T110000Z
SUMMARY:`+summary+`
END:VEVENT
END:VCALENDAR
`, "\n", "\r\n")
}

// changes are the requests each push test makes: each is one commit.
var changes = []struct {
	req    request
	author string
	msg    string
}{
	{request{method: "PUT", path: "/users/alice?password=alicepw", user: "root", pass: "secret"}, "root (via caldav)", "PUT /users/alice"},
	{request{method: "MKCOL", path: "/calendars/alice/work/", user: "alice", pass: "alicepw"}, "alice (via caldav)", "MKCOL /calendars/alice/work/"},
	{request{method: "PUT", path: "/calendars/alice/meeting.ics", user: "alice", pass: "alicepw", body: event("meeting@e2e", "Meeting"),
		header: map[string]string{"Content-Type": "text/calendar; charset=utf-8"}}, "alice (via caldav)", "PUT /calendars/alice/meeting.ics"},
}

// checkRemoteLog checks that the remote has one commit per change, newest
// first, by the right author, above the initialisation commit.
func checkRemoteLog(t *testing.T, remote string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(gitLog(t, remote, "%an%x09%s")), "\n")
	if len(lines) != len(changes)+1 {
		t.Fatalf("remote has %d commits, want %d:\n%s", len(lines), len(changes)+1, strings.Join(lines, "\n"))
	}
	for i, c := range changes {
		if got, want := lines[len(changes)-1-i], c.author+"\t"+c.msg; got != want {
			t.Errorf("remote commit %d: %q, want %q", i+1, got, want)
		}
	}
	if !strings.HasPrefix(lines[len(lines)-1], "caldav (initialisation)\t") {
		t.Errorf("first remote commit: %q", lines[len(lines)-1])
	}
}

// checkRestored starts a server on an empty data directory with the
// remote and checks that what the changes made is there.
func checkRestored(t *testing.T, bin, url string) {
	t.Helper()
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "restored"), "--remote", url)
	if st := s.do(t, "PROPFIND", "/principals/alice/", "alice", "alicepw"); st != 207 {
		t.Errorf("alice cannot log in on the restored server: %d", st)
	}
	if st := s.do(t, "PROPFIND", "/calendars/alice/work/", "alice", "alicepw"); st != 207 {
		t.Errorf("PROPFIND of the restored collection: %d", st)
	}
	_, body := s.must(t, 200, request{method: "GET", path: "/calendars/alice/meeting.ics", user: "alice", pass: "alicepw"})
	if body != changes[2].req.body {
		t.Errorf("restored event differs:\n%q\nwant\n%q", body, changes[2].req.body)
	}
}

// TestPushToGitDaemon pushes every change to a git daemon in the
// background, then restores a server from the remote alone.
func TestPushToGitDaemon(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	d := newGitDaemon(t, "repo")
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret", "--remote", d.url("repo"), "--metrics", "127.0.0.1:0")
	for _, c := range changes {
		s.must(t, 201, c.req)
	}
	s.waitPushed(t, d.dir("repo"))
	if m := scrape(t, s.addrs["metrics"]); m["caldav_push_pending_commits"] != "0" || m["caldav_push_failing"] != "0" {
		t.Errorf("push metrics after the push: pending %q failing %q", m["caldav_push_pending_commits"], m["caldav_push_failing"])
	}
	checkRemoteLog(t, d.dir("repo"))
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	checkRestored(t, bin, d.url("repo"))
}

// TestPushSync answers each change only once it is on the remote.
func TestPushSync(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	d := newGitDaemon(t, "repo")
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--remote", d.url("repo"), "--push", "sync")
	for _, c := range changes {
		s.must(t, 201, c.req)
		// No waiting: the answer came after the push.
		if got := strings.TrimSpace(gitLog(t, d.dir("repo"), "%s%n%b")); !strings.HasPrefix(got, c.msg) {
			t.Errorf("after %s answered, the remote's last commit is %q", c.msg, got)
		}
	}
	checkRemoteLog(t, d.dir("repo"))
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	checkRestored(t, bin, d.url("repo"))
}

// TestShutdownWithPendingPush stops the server with SIGTERM while its
// remote is down: it stops accepting at once, gives up after the flush
// timeout with a clear error, keeps the commit, and pushes it at the next
// start once the remote is back.
func TestShutdownWithPendingPush(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	d := newGitDaemon(t, "repo")
	data := filepath.Join(t.TempDir(), "data")
	args := []string{"--data", data, "--remote", d.url("repo"), "--shutdown-timeout", "3s"}
	s := start(t, bin, append(args, "--admin-password", "secret")...)
	s.waitPushed(t, d.dir("repo"))
	pushed := head(d.dir("repo"))
	d.stop(t)
	s.must(t, 201, changes[0].req)
	if p := s.healthLine(t, "push pending"); p != "1" {
		t.Errorf("push pending %q with the remote down, want 1", p)
	}
	began := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes at once, while the push is still being tried.
	for {
		c, err := net.DialTimeout("tcp", s.addrs["http"], time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Since(began) > 2*time.Second {
			t.Fatal("still accepting connections 2 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-s.done:
		t.Fatalf("exited before the flush timeout: %v\n%s", s.err, s.logs)
	default:
	}
	var err error
	select {
	case <-s.done:
		err = s.err
	case <-time.After(15 * time.Second):
		t.Fatalf("still running 15 s after SIGTERM with a 3 s shutdown timeout:\n%s", s.logs)
	}
	took := time.Since(began)
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Errorf("exit status %v, want 1 (commits not pushed)", err)
	}
	if took < 2*time.Second {
		t.Errorf("gave up after %v, before the 3 s timeout", took)
	}
	last := lastLine(s.logs.String())
	if !strings.HasPrefix(last, "caldav: 1 commit not pushed") || !strings.Contains(last, data) {
		t.Errorf("last line %q does not say what was not pushed and where it is kept", last)
	}
	if head(d.dir("repo")) != pushed {
		t.Fatal("the remote moved while it was down")
	}
	// The commit is kept; with the remote back, the next start pushes it.
	if log := gitLog(t, data, "%s"); !strings.HasPrefix(log, changes[0].msg+"\n") {
		t.Fatalf("the commit is not in the data directory:\n%s", log)
	}
	d.start(t)
	s = start(t, bin, args...)
	s.waitPushed(t, d.dir("repo"))
	if log := gitLog(t, d.dir("repo"), "%s"); !strings.HasPrefix(log, changes[0].msg+"\n") {
		t.Errorf("remote log after the restart:\n%s", log)
	}
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Errorf("exit with everything pushed: %v\n%s", err, s.logs)
	}
}

// lastLine is the last non-empty line of a text.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestRemoteUnreachableOnFirstStart refuses to create an empty repository
// when the remote may hold the data.
func TestRemoteUnreachableOnFirstStart(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	out, code := runBin(t, "", bin, "--data", data, "--admin-password", "secret", "--http", "127.0.0.1:0",
		"--remote", fmt.Sprintf("git://127.0.0.1:%d/none.git", freePort(t)))
	if code == 0 || !strings.Contains(lastLine(out), "empty") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(data, "refs", "heads", "main")); err == nil {
		t.Error("the refused start left a main branch behind")
	}
}

// TestShutdownAfterRemoteReturns: the remote was down long enough for the
// push backoff to grow past the shutdown timeout, then came back; a
// SIGTERM must push at once rather than wait out the backoff.
func TestShutdownAfterRemoteReturns(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	d := newGitDaemon(t, "repo")
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret", "--remote", d.url("repo"), "--shutdown-timeout", "3s")
	s.waitPushed(t, d.dir("repo"))
	d.stop(t)
	s.must(t, 201, changes[0].req)
	time.Sleep(8 * time.Second) // failed attempts at 0, 0.5, 1.5, 3.5 and 7.5 s: the next waits 8 s
	d.start(t)
	if err := s.stop(t, 15*time.Second); err != nil {
		t.Errorf("exit %v with the remote back:\n%s", err, s.logs)
	}
	if log := gitLog(t, d.dir("repo"), "%s"); !strings.HasPrefix(log, changes[0].msg+"\n") {
		t.Errorf("the commit was not pushed at shutdown; remote log:\n%s", log)
	}
}

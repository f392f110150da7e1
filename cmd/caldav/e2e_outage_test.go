package main

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// metric reads one metric of a scrape as a number (-1 when absent).
func metric(t *testing.T, m map[string]string, name string) float64 {
	t.Helper()
	v, ok := m[name]
	if !ok {
		return -1
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatalf("metric %s = %q: %v", name, v, err)
	}
	return f
}

// git runs git with args and returns its trimmed output.
func git(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// putEvent stores event NAME in alice's calendar work; its commit message
// is "PUT /calendars/alice/work/NAME.ics".
func putEvent(t *testing.T, s *server, name string) {
	t.Helper()
	s.must(t, 201, request{method: "PUT", path: "/calendars/alice/work/" + name + ".ics", user: "alice", pass: "alicepw",
		body: event(name+"@outage", name), header: map[string]string{"Content-Type": "text/calendar; charset=utf-8"}})
}

// outageServer starts a server pushing to a git daemon, with alice and
// her calendar work pushed.
func outageServer(t *testing.T) (*server, *gitDaemon, string) {
	t.Helper()
	bin := buildBinary(t)
	d := newGitDaemon(t, "repo")
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret", "--remote", d.url("repo"), "--metrics", "127.0.0.1:0")
	s.must(t, 201, changes[0].req) // alice
	s.must(t, 201, changes[1].req) // her calendar work
	s.waitPushed(t, d.dir("repo"))
	return s, d, data
}

// TestRemoteOutage stops the git daemon for 8 s while writes go on: every
// PUT answers 201 at once, the push is retried with backoff (a handful of
// attempts, not one per write, nor a hot loop), /healthz stays 200 and,
// like the metrics, shows the lag; when the daemon is back on the same
// port, every commit reaches it in order.
func TestRemoteOutage(t *testing.T) {
	t.Parallel()
	s, d, data := outageServer(t)
	remote := d.dir("repo")
	before := scrape(t, s.addrs["metrics"])
	attempts0, failures0 := metric(t, before, "caldav_push_attempts_total"), metric(t, before, "caldav_push_failures_total")
	if attempts0 < 1 || failures0 != 0 {
		t.Fatalf("before the outage: %v attempts, %v failures", attempts0, failures0)
	}
	pushed := head(remote)
	failedLines := strings.Count(s.logs.String(), "gitstore: push failed")

	d.stop(t)
	const writes = 16
	began := time.Now()
	for i := range writes {
		t0 := time.Now()
		putEvent(t, s, fmt.Sprintf("e%02d", i))
		if took := time.Since(t0); took > 2*time.Second {
			t.Errorf("PUT %d took %v with the remote down (the push is asynchronous)", i, took)
		}
		time.Sleep(time.Until(began.Add(time.Duration(i+1) * 500 * time.Millisecond)))
	}
	outage := time.Since(began)

	// The lag is visible while the remote is down; /healthz stays 200.
	resp, body := s.must(t, 200, request{method: "GET", path: "/healthz"})
	_ = resp
	if !strings.Contains(body, fmt.Sprintf("push pending %d\n", writes)) || !strings.Contains(body, "push lag ") ||
		!strings.Contains(body, "push error ") {
		t.Errorf("/healthz during the outage:\n%s", body)
	}
	m := scrape(t, s.addrs["metrics"])
	attempts, failures := metric(t, m, "caldav_push_attempts_total")-attempts0, metric(t, m, "caldav_push_failures_total")-failures0
	lag := metric(t, m, "caldav_push_lag_seconds")
	if metric(t, m, "caldav_push_pending_commits") != writes || metric(t, m, "caldav_push_failing") != 1 ||
		lag < outage.Seconds()-2 || lag > outage.Seconds()+2 {
		t.Errorf("metrics during a %v outage: pending %s, failing %s, lag %s", outage, m["caldav_push_pending_commits"],
			m["caldav_push_failing"], m["caldav_push_lag_seconds"])
	}
	logged := strings.Count(s.logs.String(), "gitstore: push failed") - failedLines
	t.Logf("outage %v: %d PUTs answered 201, %v push attempts (%v failed, %d logged), lag %vs, /healthz 200:\n%s",
		outage.Round(time.Millisecond), writes, attempts, failures, logged, lag, body)
	// Backoff from 0.5 s doubling: attempts at 0, 0.5, 1.5, 3.5 and 7.5 s.
	// (An attempt may end between the scrape and the log count.)
	if attempts < 3 || attempts > 7 || failures != attempts || logged < int(failures) || logged > int(failures)+1 {
		t.Errorf("%v push attempts, %v failures, %d logged in %v for %d writes: want a backed-off handful (3 to 7), each failing and logged",
			attempts, failures, logged, outage, writes)
	}
	if head(remote) != pushed {
		t.Fatal("the remote moved while its daemon was down")
	}

	// Back on the same port: everything arrives, in order.
	d.start(t)
	s.waitPushed(t, remote)
	m = scrape(t, s.addrs["metrics"])
	if metric(t, m, "caldav_push_pending_commits") != 0 || metric(t, m, "caldav_push_failing") != 0 ||
		metric(t, m, "caldav_push_lag_seconds") != 0 || metric(t, m, "caldav_push_failures_total")-failures0 != failures {
		t.Errorf("metrics after the remote returned: %v", m)
	}
	if body := s.healthLine(t, "push lag"); body != "" {
		t.Errorf("push lag %q after the push", body)
	}
	subjects := strings.Split(git(t, "--git-dir="+remote, "log", "--reverse", "--format=%s", pushed+"..main"), "\n")
	if len(subjects) != writes {
		t.Fatalf("the remote got %d commits, want %d:\n%s", len(subjects), writes, strings.Join(subjects, "\n"))
	}
	for i, got := range subjects {
		if want := fmt.Sprintf("PUT /calendars/alice/work/e%02d.ics", i); got != want {
			t.Errorf("remote commit %d: %q, want %q", i, got, want)
		}
	}
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	// The remote's history and tree are the data directory's.
	if l, r := git(t, "--git-dir="+data, "rev-list", "main"), git(t, "--git-dir="+remote, "rev-list", "main"); l != r {
		t.Errorf("local and remote histories differ:\n%s\n--\n%s", l, r)
	}
	if l, r := git(t, "--git-dir="+data, "rev-parse", "main^{tree}"), git(t, "--git-dir="+remote, "rev-parse", "main^{tree}"); l != r {
		t.Errorf("local tree %s, remote tree %s", l, r)
	}
	git(t, "--git-dir="+remote, "fsck", "--strict", "--no-progress")
}

// TestRemoteMoved: while the server has unpushed commits, someone else
// pushes to the remote branch. The server must not overwrite it: its
// pushes are rejected, it fetches, sees the histories diverged, reports
// that in the log, /healthz and the metrics, keeps retrying (with
// backoff) without forcing, and keeps serving and committing locally. A
// SIGTERM then stops it at once, saying the histories need reconciling.
func TestRemoteMoved(t *testing.T) {
	t.Parallel()
	s, d, data := outageServer(t)
	remote := d.dir("repo")
	pushed := head(remote)

	d.stop(t)
	putEvent(t, s, "mine1")
	putEvent(t, s, "mine2")
	// A foreign commit on the remote branch.
	clone := filepath.Join(t.TempDir(), "clone")
	git(t, "clone", "-q", "-b", "main", remote, clone)
	git(t, "-C", clone, "-c", "user.name=Someone Else", "-c", "user.email=else@example.org",
		"commit", "-q", "--allow-empty", "-m", "foreign commit")
	git(t, "-C", clone, "push", "-q", "origin", "HEAD:main")
	foreign := head(remote)
	if foreign == pushed {
		t.Fatal("the foreign push did not move the remote")
	}
	d.start(t)

	// The server notices the divergence at its next retry.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.healthLine(t, "push error"), "diverged") {
		if time.Now().After(deadline) {
			_, body := s.must(t, 200, request{method: "GET", path: "/healthz"})
			t.Fatalf("no divergence reported after 20 s:\n%s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	m := scrape(t, s.addrs["metrics"])
	failures := metric(t, m, "caldav_push_failures_total")
	if metric(t, m, "caldav_push_failing") != 1 || metric(t, m, "caldav_push_pending_commits") != 2 {
		t.Errorf("metrics with a diverged remote: failing %s, pending %s", m["caldav_push_failing"], m["caldav_push_pending_commits"])
	}
	// It keeps serving and committing locally.
	putEvent(t, s, "mine3")
	s.must(t, 200, request{method: "GET", path: "/calendars/alice/work/mine1.ics", user: "alice", pass: "alicepw"})
	if p := s.healthLine(t, "push pending"); p != "3" {
		t.Errorf("push pending %q after another PUT, want 3", p)
	}
	// And keeps retrying, never forcing: wait for two more failures.
	deadline = time.Now().Add(20 * time.Second)
	for metric(t, scrape(t, s.addrs["metrics"]), "caldav_push_failures_total") < failures+2 {
		if time.Now().After(deadline) {
			t.Fatalf("no retry within 20 s after the divergence (%v failures)", failures)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if h := head(remote); h != foreign {
		t.Fatalf("the remote branch moved from the foreign commit %s to %s", foreign, h)
	}
	if got := git(t, "--git-dir="+remote, "log", "--format=%an: %s", "main"); !strings.HasPrefix(got, "Someone Else: foreign commit\n") ||
		strings.Contains(got, "mine") {
		t.Errorf("remote history:\n%s", got)
	}
	if !strings.Contains(s.logs.String(), "push rejected") {
		t.Error("no log line about the rejected push")
	}
	_, body := s.must(t, 200, request{method: "GET", path: "/healthz"})
	t.Logf("after %v failed pushes, /healthz 200:\n%s", metric(t, scrape(t, s.addrs["metrics"]), "caldav_push_failures_total"), body)

	// SIGTERM: no use waiting out --shutdown-timeout (30 s) for a push
	// only a person can unblock; the exit says so. Every local write is
	// kept in the data directory.
	began := time.Now()
	if err := s.stop(t, 10*time.Second); err == nil {
		t.Error("exit status 0 with unpushed commits")
	}
	last := lastLine(s.logs.String())
	if !strings.HasPrefix(last, "caldav: 3 commits not pushed") ||
		!strings.Contains(last, "Reconcile") || !strings.Contains(last, data) {
		t.Errorf("last line %q does not say what was kept where and what to do", last)
	}
	t.Logf("stopped in %v: %s", time.Since(began).Round(time.Millisecond), last)
	got := git(t, "--git-dir="+data, "log", "--format=%s", "-3", "main")
	if want := "PUT /calendars/alice/work/mine3.ics\nPUT /calendars/alice/work/mine2.ics\nPUT /calendars/alice/work/mine1.ics"; got != want {
		t.Errorf("local history:\n%s\nwant\n%s", got, want)
	}
	git(t, "--git-dir="+data, "fsck", "--strict", "--no-progress")
}

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests put the data directory on a file system of its own: a
// small tmpfs to fill up, an ext4 image that goes read-only on an error.
// Mounting needs root (and a kernel that lets this process mount, e.g. not
// an unprivileged container); otherwise they are skipped, saying why.
//
// "mount -o remount,ro" cannot make a running server's file system
// read-only: the kernel refuses (EBUSY) while a file is open for writing,
// and the server keeps its journal open. A file system goes read-only
// under a running program when it fails (ext4's errors=remount-ro), which
// is what TestReadOnlyDataDir does. Without root, chmod is no substitute
// either: the open journal stays writable, so commits keep succeeding.

// mountFS mounts a file system on a new directory and unmounts it when
// the test ends (after the servers started later were killed), or skips
// the test when this machine does not allow it.
func mountFS(t *testing.T, args ...string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a file system for the data directory")
	}
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", append(args, dir)...).CombinedOutput(); err != nil {
		t.Skipf("cannot mount here (mount %s): %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() {
		if exec.Command("mountpoint", "-q", dir).Run() != nil {
			return // the test unmounted it
		}
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file until the file system is full and returns its size.
func fill(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for size := len(buf); size > 0; {
		w, err := f.Write(buf[:size])
		n += int64(w)
		switch {
		case errors.Is(err, syscall.ENOSPC):
			size /= 2 // fill the last pages too
		case err != nil:
			t.Fatalf("filling %s: %v", path, err)
		}
	}
	return n
}

// eventPut is the PUT of alice's event NAME.
func eventPut(name string) request {
	return request{method: "PUT", path: "/calendars/alice/" + name + ".ics", user: "alice", pass: "alicepw",
		body: event(name+"@disk", name), header: map[string]string{"Content-Type": "text/calendar; charset=utf-8"}}
}

// checkStored checks that each event answers GET with its body.
func checkStored(t *testing.T, s *server, names []string) {
	t.Helper()
	for _, n := range names {
		resp, body := s.send(t, nil, request{method: "GET", path: "/calendars/alice/" + n + ".ics", user: "alice", pass: "alicepw"})
		if resp.StatusCode != 200 || body != eventPut(n).body {
			t.Errorf("acknowledged %s: %d", n, resp.StatusCode)
		}
	}
}

// checkHistory checks that the data directory's history has a commit for
// each acknowledged event and for no other, and that git fsck --strict
// finds nothing wrong.
func checkHistory(t *testing.T, data string, acked, refused []string) {
	t.Helper()
	log := gitLog(t, data, "%s")
	for _, n := range acked {
		if !strings.Contains(log, "PUT /calendars/alice/"+n+".ics\n") {
			t.Errorf("no commit for the acknowledged %s", n)
		}
	}
	for _, n := range refused {
		if strings.Contains(log, "/"+n+".ics\n") {
			t.Errorf("a commit for the refused %s", n)
		}
	}
	if out, err := exec.Command("git", "--git-dir="+data, "fsck", "--strict", "--no-progress", "--no-dangling").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("git fsck --strict: %v\n%s", err, out)
	}
}

// TestDiskFull runs the binary on a 16 MiB tmpfs and fills it: writes
// answer 507 with a plain message, the background pack writer fails as
// well, reads, PROPFIND and /healthz keep working; once the filler is deleted, writes succeed again without a
// restart, every acknowledged write is there, and git fsck --strict is
// clean.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	mnt := mountFS(t, "-t", "tmpfs", "-o", "size=16m", "tmpfs")
	data := filepath.Join(mnt, "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret", "--metrics", "127.0.0.1:0", "--pack-interval", "1s")
	s.must(t, 201, changes[0].req) // alice
	var acked, refused []string
	for i := range 3 {
		n := fmt.Sprintf("before%d", i)
		s.must(t, 201, eventPut(n))
		acked = append(acked, n)
	}

	filled := fill(t, filepath.Join(mnt, "filler"))
	// The journal's last page may hold a few small commits.
	var body string
	for i := 0; ; i++ {
		n := fmt.Sprintf("full%d", i)
		r, b := s.send(t, nil, eventPut(n))
		if r.StatusCode == 201 && i < 8 {
			acked = append(acked, n)
			continue
		}
		if r.StatusCode != 507 {
			t.Fatalf("PUT on a full disk: %d, want 507\n%s", r.StatusCode, b)
		}
		refused, body = append(refused, n), b
		if len(refused) == 3 {
			break
		}
	}
	if !strings.Contains(body, "disk is full") {
		t.Errorf("507 body %q does not say the disk is full", body)
	}
	// The background pack writer fails too (its objects stay in the
	// journal and memory) and reads keep working.
	if !s.waitLog("writing a pack failed") {
		t.Error("the pack writer did not run into the full disk")
	}
	checkOnlyReadsWork(t, s, 507, "a full disk", "no space left on device", acked)
	m := scrape(t, s.addrs["metrics"])
	t.Logf("filled %d MiB: %d PUTs acknowledged, then 507 (%s PUT answers 507 in the metrics): %q", filled>>20,
		len(acked), m[`caldav_http_requests_total{code="507",method="PUT"}`], strings.TrimSpace(body))

	// Space returns: writes work again, without a restart.
	if err := os.Remove(filepath.Join(mnt, "filler")); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		n := fmt.Sprintf("after%d", i)
		s.must(t, 201, eventPut(n))
		acked = append(acked, n)
	}
	s.must(t, 201, request{method: "MKCOL", path: "/calendars/alice/more/", user: "alice", pass: "alicepw"})
	checkStored(t, s, acked)
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	checkHistory(t, data, acked, refused)
	// And a restart finds everything.
	s = start(t, bin, "--data", data)
	checkStored(t, s, acked)
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
}

// TestReadOnlyDataDir runs the binary on an ext4 image mounted with
// errors=remount-ro and makes the file system fail (sysfs
// trigger_fs_error), as a disk error would: writes answer 503 with a
// plain message, reads, PROPFIND and /healthz keep working. The kernel
// keeps such a file system read-only until it is checked, so recovery is:
// stop, unmount, e2fsck, mount, start; every acknowledged write is then
// there, new writes work, and git fsck --strict is clean.
func TestReadOnlyDataDir(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a file system for the data directory")
	}
	for _, tool := range []string{"mkfs.ext4", "e2fsck", "findmnt", "mountpoint"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s (e2fsprogs, util-linux): %v", tool, err)
		}
	}
	bin := buildBinary(t)
	img := filepath.Join(t.TempDir(), "ext4.img")
	if out, err := exec.Command("truncate", "-s", "64M", img).CombinedOutput(); err != nil {
		t.Fatalf("truncate: %v %s", err, out)
	}
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v %s", err, out)
	}
	opts := []string{"-t", "ext4", "-o", "loop,errors=remount-ro", img}
	mnt := mountFS(t, opts...)
	src, err := exec.Command("findmnt", "-n", "-o", "SOURCE", mnt).Output()
	if err != nil {
		t.Fatalf("findmnt: %v", err)
	}
	trigger := filepath.Join("/sys/fs/ext4", filepath.Base(strings.TrimSpace(string(src))), "trigger_fs_error")
	if _, err := os.Stat(trigger); err != nil {
		t.Skipf("this kernel cannot fail an ext4 file system on demand: %v", err)
	}
	data := filepath.Join(mnt, "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret")
	s.must(t, 201, changes[0].req) // alice
	var acked, refused []string
	for i := range 3 {
		n := fmt.Sprintf("before%d", i)
		s.must(t, 201, eventPut(n))
		acked = append(acked, n)
	}

	if err := os.WriteFile(trigger, []byte("gocaldav test: fail the data directory\n"), 0o200); err != nil {
		t.Fatalf("%s: %v", trigger, err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "probe"), nil, 0o644); !errors.Is(err, syscall.EROFS) {
		t.Fatalf("after the error the file system is not read-only: %v", err)
	}
	var body string
	for i := range 3 {
		n := fmt.Sprintf("ro%d", i)
		r, b := s.send(t, nil, eventPut(n))
		if r.StatusCode != 503 {
			t.Fatalf("PUT on a read-only data directory: %d, want 503\n%s", r.StatusCode, b)
		}
		refused, body = append(refused, n), b
	}
	if !strings.Contains(body, "cannot write") || !strings.Contains(body, "not stored") {
		t.Errorf("503 body %q does not say what happened", body)
	}
	checkOnlyReadsWork(t, s, 503, "a read-only data directory", "read-only file system", acked)
	t.Logf("read-only: PUT, MKCOL and user creation 503 %q; GET 200, PROPFIND 207, /healthz 200", strings.TrimSpace(body))

	// Recovery: stop (the journal cannot be emptied: it is replayed at the
	// next start), unmount, check, mount, start.
	stopErr := s.stop(t, 20*time.Second)
	if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
		t.Fatalf("umount: %v %s", err, out)
	}
	out, err := exec.Command("e2fsck", "-f", "-y", img).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() > 1) {
		t.Fatalf("e2fsck: %v\n%s", err, out)
	}
	if out, err := exec.Command("mount", append(opts, mnt)...).CombinedOutput(); err != nil {
		t.Fatalf("mount again: %v %s", err, out)
	}
	t.Logf("server exit on the read-only file system: %v; e2fsck: %v", stopErr, err)
	s = start(t, bin, "--data", data)
	checkStored(t, s, acked)
	for _, n := range refused {
		if r, _ := s.send(t, nil, request{method: "GET", path: "/calendars/alice/" + n + ".ics", user: "alice", pass: "alicepw"}); r.StatusCode != 404 {
			t.Errorf("refused %s: %d, want 404", n, r.StatusCode)
		}
	}
	s.must(t, 201, eventPut("after"))
	acked = append(acked, "after")
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}
	checkHistory(t, data, acked, refused)
}

// checkOnlyReadsWork checks a server whose data directory cannot be
// written (where says how): collection and user creation answer status,
// the acknowledged events still read back, PROPFIND and /healthz work,
// and the log names cause.
func checkOnlyReadsWork(t *testing.T, s *server, status int, where, cause string, acked []string) {
	t.Helper()
	if r, b := s.send(t, nil, request{method: "MKCOL", path: "/calendars/alice/more/", user: "alice", pass: "alicepw"}); r.StatusCode != status {
		t.Errorf("MKCOL on %s: %d %s", where, r.StatusCode, b)
	}
	if r, b := s.send(t, nil, request{method: "PUT", path: "/users/bob?password=bobpw", user: "root", pass: "secret"}); r.StatusCode != status {
		t.Errorf("creating a user on %s: %d %s", where, r.StatusCode, b)
	}
	checkStored(t, s, acked)
	if st := s.do(t, "PROPFIND", "/calendars/alice/", "alice", "alicepw"); st != 207 {
		t.Errorf("PROPFIND on %s: %d", where, st)
	}
	s.must(t, 200, request{method: "GET", path: "/healthz"})
	if !s.waitLog(cause) {
		t.Error("the log does not name the cause")
	}
}

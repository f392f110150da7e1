package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the server once for the end-to-end tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "caldav")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a port free on 127.0.0.1.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is a running binary.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *strings.Builder
}

// start runs the binary and waits until it answers.
func start(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	port := freePort(t)
	args = append(args, "--http", fmt.Sprintf("127.0.0.1:%d", port))
	cmd := exec.Command(bin, args...)
	logs := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: fmt.Sprintf("http://127.0.0.1:%d", port), logs: logs}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(s.base + "/healthz"); err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("server did not start:\n%s", logs)
	return nil
}

func (s *server) do(t *testing.T, method, path, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest(method, s.base+path, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	req.Header.Set("Depth", "0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestFirstStartAndRestart starts the binary on an empty data directory,
// uses it, stops it with SIGTERM and starts it again on the same data.
func TestFirstStartAndRestart(t *testing.T) {
	bin := buildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	s := start(t, bin, "--data", data, "--admin-password", "secret")
	if st := s.do(t, "PROPFIND", "/principals/root/", "root", "secret"); st != 207 {
		t.Fatalf("PROPFIND as root: %d\n%s", st, s.logs)
	}
	if st := s.do(t, "PROPFIND", "/principals/root/", "root", "wrong"); st != 401 {
		t.Fatalf("wrong password: %d", st)
	}
	if st := s.do(t, "MKCOL", "/calendars/work/", "root", "secret"); st != 201 {
		t.Fatalf("MKCOL: %d", st)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.logs)
	}
	// Restarted without --admin-password: the data is there.
	s = start(t, bin, "--data", data)
	if st := s.do(t, "PROPFIND", "/calendars/work/", "root", "secret"); st != 207 {
		t.Fatalf("after restart: %d\n%s", st, s.logs)
	}
	// A differing admin password is logged and ignored.
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	s = start(t, bin, "--data", data, "--admin-password", "other")
	if st := s.do(t, "PROPFIND", "/principals/root/", "root", "secret"); st != 207 {
		t.Fatalf("root's password was reset: %d", st)
	}
	if !strings.Contains(s.logs.String(), "differs") {
		t.Errorf("no log line about the differing admin password:\n%s", s.logs)
	}
}

func TestBadFlagsExitNonZero(t *testing.T) {
	bin := buildBinary(t)
	for _, args := range [][]string{{"--bogus"}, {"--data", t.TempDir()}, {"--http", "x:y:z"}} {
		cmd := exec.Command(bin, args...)
		out, err := cmd.CombinedOutput()
		if err == nil {
			t.Errorf("%v exited 0", args)
			continue
		}
		if lines := strings.Count(strings.TrimSpace(string(out)), "\n"); !strings.HasPrefix(string(out), "caldav:") || lines > 0 {
			t.Errorf("%v: want a one-line reason, got:\n%s", args, out)
		}
	}
	// An empty data directory without an admin password refuses to start.
	cmd := exec.Command(bin, "--data", filepath.Join(t.TempDir(), "d"), "--http", "127.0.0.1:0")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "admin") {
		t.Errorf("empty store without --admin-password: %v\n%s", err, out)
	}
}

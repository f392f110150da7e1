package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

// TestMain removes the binary the end-to-end tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// buildBinary builds the server once per test binary and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "caldav-e2e-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "caldav")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
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

// syncBuffer collects a process's output; it may be read while written.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is a running binary.
type server struct {
	cmd   *exec.Cmd
	base  string            // URL of the first listener: http://ADDR, or https://ADDR
	addrs map[string]string // listener (http, https, metrics) → ADDR:PORT
	logs  *syncBuffer
	done  chan struct{} // closed when the process has exited
	err   error         // its exit status, once done is closed
}

// listening matches the log line of each listener the server opened.
var listening = regexp.MustCompile(`msg="caldav listening" (\w+)=(\S+)`)

// listenerFlags are the flags that open a listener.
var listenerFlags = map[string]bool{"--http": true, "--https": true, "--metrics": true}

// launch runs the binary with args and waits until every listener the
// args ask for is open (it reads their addresses from the log, so ports
// may be 0). The process is killed when the test ends.
func launch(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	want := 0
	for _, a := range args {
		if listenerFlags[a] {
			want++
		}
	}
	cmd := exec.Command(bin, args...)
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, logs: logs, addrs: map[string]string{}, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server %v log:\n%s", args, logs)
		}
	})
	deadline := time.After(20 * time.Second)
	for {
		ms := listening.FindAllStringSubmatch(logs.String(), -1)
		if len(ms) >= want {
			for _, m := range ms {
				s.addrs[m[1]] = m[2]
			}
			break
		}
		select {
		case <-s.done:
			t.Fatalf("server %v exited before listening: %v\n%s", args, s.err, logs)
		case <-deadline:
			t.Fatalf("server %v did not start:\n%s", args, logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
	if a := s.addrs["http"]; a != "" {
		s.base = "http://" + a
	} else if a := s.addrs["https"]; a != "" {
		s.base = "https://" + a
	}
	return s
}

// start runs the binary with a plain HTTP listener on 127.0.0.1.
func start(t *testing.T, bin string, args ...string) *server {
	t.Helper()
	return launch(t, bin, append(args, "--http", "127.0.0.1:0")...)
}

// stop sends SIGTERM and returns the exit status; a server still running
// after timeout fails the test.
func (s *server) stop(t *testing.T, timeout time.Duration) error {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
		return s.err
	case <-time.After(timeout):
		t.Fatalf("server still running %v after SIGTERM:\n%s", timeout, s.logs)
		return nil
	}
}

// waitLog reports whether the server's log contains text within a few
// seconds (the access log line is written after the answer is sent).
func (s *server) waitLog(text string) bool {
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(s.logs.String(), text) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// request is one HTTP request of a test.
type request struct {
	method, path string
	user, pass   string // Basic credentials when user is set
	body         string
	header       map[string]string
}

// send makes the request to the server and returns the answer with its
// body read.
func (s *server) send(t *testing.T, c *http.Client, r request) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, r.method, s.base+r.path, strings.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", r.method, r.path, err)
	}
	return resp, string(b)
}

// must makes the request and fails the test unless it gets status want.
func (s *server) must(t *testing.T, want int, r request) (*http.Response, string) {
	t.Helper()
	resp, body := s.send(t, nil, r)
	if resp.StatusCode != want {
		t.Fatalf("%s %s as %q: %d, want %d\n%s", r.method, r.path, r.user, resp.StatusCode, want, body)
	}
	return resp, body
}

// do makes a request with Depth: 0 and returns the status.
func (s *server) do(t *testing.T, method, path, user, pass string) int {
	t.Helper()
	resp, _ := s.send(t, nil, request{method: method, path: path, user: user, pass: pass, header: map[string]string{"Depth": "0"}})
	return resp.StatusCode
}

// TestFirstStartAndRestart starts the binary on an empty data directory,
// uses it, stops it with SIGTERM and starts it again on the same data.
func TestFirstStartAndRestart(t *testing.T) {
	t.Parallel()
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
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.logs)
	}
	// The data directory is a git repository git itself reads, with
	// every change as a commit.
	if log := gitLog(t, data, "%s"); !strings.Contains(log, "MKCOL /calendars/work/") {
		t.Errorf("git log of the data directory lacks the MKCOL:\n%s", log)
	}
	// Restarted without --admin-password: the data is there.
	s = start(t, bin, "--data", data)
	if st := s.do(t, "PROPFIND", "/calendars/work/", "root", "secret"); st != 207 {
		t.Fatalf("after restart: %d\n%s", st, s.logs)
	}
	// A second server on the same data directory refuses to start.
	if out, code := runBin(t, "", bin, "--data", data, "--http", "127.0.0.1:0"); code == 0 {
		t.Errorf("a second server on the same data directory started:\n%s", out)
	}
	// A differing admin password is logged and ignored.
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	s = start(t, bin, "--data", data, "--admin-password", "other")
	if st := s.do(t, "PROPFIND", "/principals/root/", "root", "secret"); st != 207 {
		t.Fatalf("root's password was reset: %d", st)
	}
	if !strings.Contains(s.logs.String(), "differs") {
		t.Errorf("no log line about the differing admin password:\n%s", s.logs)
	}
}

// runBin runs the binary to its end (at most 20 s) with stdin and
// returns its combined output and exit code.
func runBin(t *testing.T, stdin, bin string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%v did not end:\n%s", args, out)
	}
	if err != nil && cmd.ProcessState == nil {
		t.Fatalf("%v: %v", args, err)
	}
	return string(out), cmd.ProcessState.ExitCode()
}

// gitLog runs git log on a bare repository's main branch with a format.
func gitLog(t *testing.T, gitDir, format string) string {
	t.Helper()
	out, err := exec.Command("git", "--git-dir="+gitDir, "log", "--format="+format, "main").CombinedOutput()
	if err != nil {
		t.Fatalf("git log %s: %v\n%s", gitDir, err, out)
	}
	return string(out)
}

package gitstore

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	gliderssh "github.com/gliderlabs/ssh"
	"golang.org/x/crypto/ssh"
)

// Test servers for real transports, all on 127.0.0.1 and stopped by the
// test that started them.

// bareRepo creates an empty bare repository name.git under base.
func bareRepo(t testing.TB, base, name string) string {
	t.Helper()
	p := filepath.Join(base, name+".git")
	gitCmd(t, base, "init", "-q", "--bare", "-b", "main", p)
	gitCmd(t, p, "config", "http.receivepack", "true")
	return p
}

func gitExecPath(t testing.TB) string {
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startGitDaemon serves base over git:// with receive-pack enabled. It
// runs git-daemon directly in its own process group, killed on cleanup.
func startGitDaemon(t testing.TB, base string) string {
	t.Helper()
	port := freePort(t)
	cmd := exec.Command(filepath.Join(gitExecPath(t), "git-daemon"), "--export-all", "--enable=receive-pack",
		"--base-path="+base, "--listen=127.0.0.1", fmt.Sprintf("--port=%d", port), "--reuseaddr", base)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 200 {
			t.Fatalf("git daemon did not start: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return "git://" + addr
}

// sshServer runs git-upload-pack/git-receive-pack for one client key.
type sshServer struct {
	addr        string
	fingerprint string // SHA256:... of the host key
}

func startSSH(t testing.TB, base string, client ssh.PublicKey, password string) sshServer {
	t.Helper()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	srv := &gliderssh.Server{
		Handler: func(s gliderssh.Session) {
			args := s.Command()
			if len(args) != 2 || (args[0] != "git-upload-pack" && args[0] != "git-receive-pack") {
				io.WriteString(s.Stderr(), "only git commands\n")
				s.Exit(1)
				return
			}
			cmd := exec.Command(args[0], filepath.Join(base, filepath.Clean("/"+args[1])))
			cmd.Stdin, cmd.Stdout, cmd.Stderr = s, s, s.Stderr()
			code := 0
			if err := cmd.Run(); err != nil {
				code = 1
			}
			s.Exit(code)
		},
	}
	if client != nil {
		srv.PublicKeyHandler = func(_ gliderssh.Context, k gliderssh.PublicKey) bool { return gliderssh.KeysEqual(k, client) }
	}
	if password != "" {
		srv.PasswordHandler = func(_ gliderssh.Context, p string) bool { return p == password }
	}
	srv.AddHostKey(hostSigner)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sshServer{addr: l.Addr().String(), fingerprint: ssh.FingerprintSHA256(hostSigner.PublicKey())}
}

// startHTTP serves base with git http-backend behind basic auth.
func startHTTP(t testing.TB, base, user, pass string) string {
	t.Helper()
	backend := &cgi.Handler{
		Path: filepath.Join(gitExecPath(t), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + base, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// seedKey returns robur's ed25519:<seed> form and the public key.
func seedKey(t testing.TB) (string, ssh.PublicKey) {
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(seed).Public())
	if err != nil {
		t.Fatal(err)
	}
	return "ed25519:" + base64.StdEncoding.EncodeToString(seed), pub
}

package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pinTestCert is httptest's certificate (SANs 127.0.0.1, ::1,
// example.com; its own CA).
func pinTestCert(t *testing.T) *x509.Certificate {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.StartTLS()
	defer srv.Close()
	return srv.Certificate()
}

// pinsOf returns the cert-fp and key-fp pins of cert, computed here.
func pinsOf(cert *x509.Certificate) (certPin, keyPin string) {
	c := sha256.Sum256(cert.Raw)
	k := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "cert-fp:SHA256:" + base64.StdEncoding.EncodeToString(c[:]),
		"key-fp:SHA256:" + base64.StdEncoding.EncodeToString(k[:])
}

func TestTLSAuthenticatorFlag(t *testing.T) {
	cert := pinTestCert(t)
	certPin, keyPin := pinsOf(cert)
	dir := t.TempDir()
	pemFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pemFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	notPEM := filepath.Join(dir, "key.txt")
	if err := os.WriteFile(notPEM, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	noEnv := func(string) string { return "" }
	parse := func(getenv func(string) string, args ...string) (*config, error) {
		return parseConfig(append([]string{"--http", "1"}, args...), getenv, io.Discard)
	}
	unpadded := strings.TrimRight(certPin, "=")
	anchor := "trust-anchor:" + base64.StdEncoding.EncodeToString(cert.Raw)
	for _, v := range []string{certPin, keyPin, unpadded, strings.Replace(keyPin, "SHA256:", "", 1), anchor} {
		c, err := parse(noEnv, "--tls-authenticator", v)
		if err != nil {
			t.Errorf("%s: %v", v, err)
			continue
		}
		if c.tlsAuth.auth == nil || c.tlsAuth.pem != nil {
			t.Errorf("%s: parsed as %+v", v, c.tlsAuth)
		}
	}
	c, err := parse(noEnv, "--tls-authenticator", pemFile)
	if err != nil || c.tlsAuth.pem == nil || c.tlsAuth.auth != nil {
		t.Errorf("PEM file: %+v %v", c, err)
	}
	c, err = parse(func(k string) string {
		return map[string]string{"CALDAV_TLS_AUTHENTICATOR": keyPin}[k]
	})
	if err != nil || c.tlsAuth.auth == nil || c.tlsAuth.auth.String() != keyPin {
		t.Errorf("from the environment: %+v %v", c, err)
	}
	c, err = parse(noEnv)
	if err != nil || c.tlsAuth.auth != nil || c.tlsAuth.pem != nil {
		t.Errorf("unset: %+v %v", c, err)
	}
	for _, tc := range []struct{ v, want string }{
		{"none", "refused"},
		{"cert-fp:SHA256:abc", "32-byte"},
		{"cert-fp:SHA1:" + certPin[len("cert-fp:SHA256:"):], "unknown hash"},
		{"trust-anchor:bm90IGEgY2VydA", "certificate 1"},
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{notPEM, "no PEM certificate"},
	} {
		_, err := parse(noEnv, "--tls-authenticator", tc.v)
		if err == nil || !strings.Contains(err.Error(), "tls-authenticator") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one naming the flag and %q", tc.v, err, tc.want)
		}
	}
}

// pinGitServer serves a bare repository "repo.git" over https with git
// http-backend and httptest's self-signed certificate.
func pinGitServer(t *testing.T) (*httptest.Server, string) {
	t.Helper()
	base := t.TempDir()
	repo := filepath.Join(base, "repo.git")
	for _, args := range [][]string{{"init", "-q", "--bare", "-b", "main", repo}, {"--git-dir", repo, "config", "http.receivepack", "true"}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	exe, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	srv := httptest.NewUnstartedServer(&cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(exe)), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + base, "GIT_HTTP_EXPORT_ALL=1"},
	})
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv, repo
}

// TestRemoteHTTPSPinned starts the binary with a pinned https remote that
// has a self-signed certificate: a change arrives on the remote; with a
// wrong pin the first start is refused with the presented fingerprint.
func TestRemoteHTTPSPinned(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	srv, repo := pinGitServer(t)
	certPin, _ := pinsOf(srv.Certificate())
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--remote", srv.URL+"/repo.git", "--tls-authenticator", certPin, "--push", "sync")
	s.must(t, 201, changes[0].req)
	if got := strings.TrimSpace(gitLog(t, repo, "%s")); !strings.HasPrefix(got, changes[0].msg) {
		t.Errorf("remote's last commit %q, want %q", got, changes[0].msg)
	}
	if err := s.stop(t, 20*time.Second); err != nil {
		t.Fatalf("exit: %v", err)
	}

	wrong := sha256.Sum256([]byte("some other certificate"))
	out, code := runBin(t, "", bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--remote", srv.URL+"/repo.git", "--http", "127.0.0.1:0",
		"--tls-authenticator", "cert-fp:SHA256:"+base64.StdEncoding.EncodeToString(wrong[:]))
	if code == 0 || !strings.Contains(out, certPin) {
		t.Errorf("wrong pin: exit %d, want non-zero naming %s:\n%s", code, certPin, out)
	}

	out, code = runBin(t, "", bin, "--http", "127.0.0.1:0", "--tls-authenticator", "none")
	if line := strings.TrimSpace(out); code == 0 || strings.Contains(line, "\n") || !strings.HasPrefix(line, "caldav:") || !strings.Contains(line, "tls-authenticator") {
		t.Errorf("--tls-authenticator none: exit %d, want one line:\n%s", code, out)
	}
}

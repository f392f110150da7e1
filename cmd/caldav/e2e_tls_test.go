package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testCert is a self-signed ECDSA P-256 certificate for 127.0.0.1 and
// caldav.localhost.
type testCert struct {
	cert            *x509.Certificate
	certPEM, keyPEM []byte
}

// newTestCert makes a certificate with the serial number given, so tests
// can tell certificates apart.
func newTestCert(t *testing.T, serial int64) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "caldav.localhost"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"caldav.localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})}
}

// install writes the pair as certFile and keyFile the way a renewal tool
// does: each to a temporary name, then renamed into place, with a
// modification time later than the files it replaces.
func (c testCert) install(t *testing.T, certFile, keyFile string) {
	t.Helper()
	c.installAt(t, certFile, keyFile, time.Now().Add(time.Second))
}

// installAt installs the pair with the modification time given.
func (c testCert) installAt(t *testing.T, certFile, keyFile string, when time.Time) {
	t.Helper()
	for _, f := range []struct {
		name string
		data []byte
	}{{keyFile, c.keyPEM}, {certFile, c.certPEM}} {
		tmp := f.name + ".new"
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, when, when); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, f.name); err != nil {
			t.Fatal(err)
		}
	}
}

// client trusts only this certificate and checks the name given.
func (c testCert) client(serverName string) *http.Client {
	return &http.Client{
		Transport: &http.Transport{TLSClientConfig: c.tlsConfig(serverName), DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func (c testCert) tlsConfig(serverName string) *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(c.cert)
	return &tls.Config{RootCAs: pool, ServerName: serverName}
}

// peerSerial connects with TLS and returns the serial number of the
// certificate the server presents.
func peerSerial(t *testing.T, addr string) int64 {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr,
		&tls.Config{InsecureSkipVerify: true}) // the test looks at the certificate itself
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

// TestHTTPSWithCertFiles serves HTTPS with --tls-cert and --tls-key: the
// certificate is presented and verifies for both names, TLS 1.1 is
// refused, and replaced files are served without a restart.
func TestHTTPSWithCertFiles(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	first := newTestCert(t, 1)
	first.install(t, certFile, keyFile)
	s := launch(t, bin, "--data", filepath.Join(dir, "data"), "--admin-password", "secret",
		"--https", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	for _, name := range []string{"127.0.0.1", "caldav.localhost"} {
		resp, _ := s.send(t, first.client(name), request{method: "PROPFIND", path: "/principals/root/",
			user: "root", pass: "secret", header: map[string]string{"Depth": "0"}})
		if resp.StatusCode != http.StatusMultiStatus {
			t.Fatalf("PROPFIND over HTTPS (server name %s): %d", name, resp.StatusCode)
		}
		if v := resp.TLS.Version; v < tls.VersionTLS12 {
			t.Errorf("negotiated TLS version %#x", v)
		}
	}

	// A client that speaks at most TLS 1.1 is refused; the same client
	// allowed TLS 1.2 gets through.
	for _, c := range []struct {
		max uint16
		ok  bool
	}{{tls.VersionTLS11, false}, {tls.VersionTLS12, true}} {
		cfg := first.tlsConfig("caldav.localhost")
		cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, c.max
		conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", s.addrs["https"], cfg)
		if err == nil {
			conn.Close()
		}
		if (err == nil) != c.ok {
			t.Errorf("client with TLS max version %#x: error %v, want success %v", c.max, err, c.ok)
		}
	}

	// Renewal: new files are served within a few seconds, to new
	// connections, without a restart.
	second := newTestCert(t, 2)
	second.install(t, certFile, keyFile)
	waitSerial(t, s, 2)
	if resp, _ := s.send(t, second.client("caldav.localhost"), request{method: "GET", path: "/healthz"}); resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the new certificate: %d", resp.StatusCode)
	}
	// A broken replacement keeps the working certificate.
	if err := os.WriteFile(certFile, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(2 * time.Second)
	os.Chtimes(certFile, later, later)
	time.Sleep(2500 * time.Millisecond)
	for range 2 {
		if got := peerSerial(t, s.addrs["https"]); got != 2 {
			t.Errorf("after a broken replacement the server presents serial %d, want the working 2", got)
		}
	}
	// Files put back with an older time (cp -p, a restored backup) are
	// a change too.
	third := newTestCert(t, 3)
	third.installAt(t, certFile, keyFile, time.Now().Add(-time.Hour))
	waitSerial(t, s, 3)
}

// waitSerial waits until the server presents the certificate with the
// serial number given, which the reloader must pick up within seconds.
func waitSerial(t *testing.T, s *server, serial int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for peerSerial(t, s.addrs["https"]) != serial {
		if time.Now().After(deadline) {
			t.Fatalf("certificate %d is not served 10 s after it replaced the files:\n%s", serial, s.logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestHTTPSWithTLSDirAndRedirect serves robur's tls/server.pem and
// server.key with --tls-dir, and --http next to --https redirects.
func TestHTTPSWithTLSDirAndRedirect(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	dir := t.TempDir()
	tlsDir := filepath.Join(dir, "tls")
	if err := os.Mkdir(tlsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	c := newTestCert(t, 7)
	c.install(t, filepath.Join(tlsDir, "server.pem"), filepath.Join(tlsDir, "server.key"))
	s := launch(t, bin, "--data", filepath.Join(dir, "data"), "--admin-password", "secret",
		"--https", "127.0.0.1:0", "--http", "127.0.0.1:0", "--tls-dir", tlsDir)
	if got := peerSerial(t, s.addrs["https"]); got != 7 {
		t.Errorf("--tls-dir: the server presents serial %d, want 7", got)
	}
	_, httpsPort, _ := net.SplitHostPort(s.addrs["https"])
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, m := range []string{"GET", "PROPFIND", "PUT"} {
		for _, path := range []string{"/calendars/root/?a=1&b=%20x", "/", "/principals/"} {
			s.base = "http://" + s.addrs["http"]
			resp, _ := s.send(t, noFollow, request{method: m, path: path, user: "root", pass: "secret"})
			want := "https://127.0.0.1:" + httpsPort + path
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
				t.Errorf("%s %s over HTTP: %d Location %q, want 301 to %s", m, path, resp.StatusCode, resp.Header.Get("Location"), want)
			}
		}
	}
	// The redirect leads to a working HTTPS server.
	s.base = "https://" + s.addrs["https"]
	resp, body := s.send(t, c.client("127.0.0.1"), request{method: "PROPFIND", path: "/calendars/root/",
		user: "root", pass: "secret", header: map[string]string{"Depth": "0"}})
	if resp.StatusCode != http.StatusMultiStatus || !strings.Contains(body, "/calendars/root/") {
		t.Errorf("PROPFIND over HTTPS: %d\n%s", resp.StatusCode, body)
	}
}

// TestRedirectTarget checks the target of the HTTP to HTTPS redirect for
// --host with and without a port, the request's host, IPv6 and :443.
func TestRedirectTarget(t *testing.T) {
	for _, c := range []struct {
		host, httpsAddr, reqHost, target, want string
	}{
		{"", "127.0.0.1:8443", "example.org:8080", "/p?q=1", "https://example.org:8443/p?q=1"},
		{"", ":443", "example.org", "/a%20b/", "https://example.org/a%20b/"},
		{"", "[::]:8443", "[::1]:8080", "/", "https://[::1]:8443/"},
		{"cal.example.com", ":443", "10.0.0.1:80", "/x", "https://cal.example.com/x"},
		{"cal.example.com", ":8443", "10.0.0.1:80", "/x", "https://cal.example.com:8443/x"},
		{"cal.example.com:9443", ":8443", "10.0.0.1:80", "/x?y", "https://cal.example.com:9443/x?y"},
	} {
		req := httptest.NewRequest("GET", "http://"+c.reqHost+c.target, nil)
		rec := httptest.NewRecorder()
		redirectToHTTPS(c.host, c.httpsAddr).ServeHTTP(rec, req)
		if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != c.want {
			t.Errorf("--host %q, https %s, Host %s: %d %q, want 301 %q", c.host, c.httpsAddr, c.reqHost, rec.Code, rec.Header().Get("Location"), c.want)
		}
	}
}

// TestTLSProxyHost: behind a TLS-terminating proxy, absolute URLs use
// https and --host, whatever forwarding headers a client sends.
func TestTLSProxyHost(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	s := start(t, bin, "--data", filepath.Join(t.TempDir(), "data"), "--admin-password", "secret",
		"--tls-proxy", "--host", "cal.example.com")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := s.send(t, noFollow, request{method: "GET", path: "/.well-known/caldav",
		header: map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode/100 != 3 || !strings.HasPrefix(loc, "https://cal.example.com/") {
		t.Errorf("GET /.well-known/caldav: %d Location %q, want a redirect to https://cal.example.com/…", resp.StatusCode, loc)
	}
}

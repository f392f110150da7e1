package acme

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/crypto/acme"
)

const (
	testDomain = "caldav.localhost"
	testKey    = "acme._update.localhost"
	testSecret = "c2VjcmV0IGtleSBmb3IgdGhlIGdvY2FsZGF2IHRlc3Rz" // "secret key for the gocaldav tests"
)

// testLogger logs to the test.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(tlogWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tlogWriter struct{ t *testing.T }

func (w tlogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// serveTLS serves HTTPS on ln with m's TLS configuration until the test ends.
func serveTLS(t *testing.T, ln net.Listener, m *Manager) {
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "calendar")
		}),
		TLSConfig: m.TLSConfig(),
		ErrorLog:  log.New(io.Discard, "", 0), // failed handshakes are expected
	}
	go srv.ServeTLS(ln, "", "")
	t.Cleanup(func() { srv.Close() })
}

// handshake connects to addr as a client of testDomain that trusts only
// the CA's root, and returns the certificate the server presented.
func handshake(t *testing.T, addr string, roots *x509.CertPool) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: testDomain, RootCAs: roots})
	if err != nil {
		t.Fatalf("TLS handshake with %s: %v", addr, err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

// ctx is a context for one test.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestTLSALPN01(t *testing.T) {
	dnsSrv := newTestDNS(t, testKey, dns.HmacSHA256, testSecret)
	ln, port := listen(t)
	ca := newTestCA(t, 1, port, dnsSrv.addr) // port 1: nothing answers HTTP-01
	cache := t.TempDir()
	cfg := Config{Domains: []string{testDomain}, Email: "admin@caldav.localhost", DirectoryURL: ca.dirURL,
		CacheDir: cache, Challenge: TLSALPN01, HTTPClient: ca.client(), Logger: testLogger(t)}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	serveTLS(t, ln, m)
	if _, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{ServerName: testDomain, RootCAs: ca.roots}); err == nil {
		t.Fatal("handshake succeeded before a certificate was obtained")
	}
	if err := m.Renew(testContext(t)); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	leaf := handshake(t, ln.Addr().String(), ca.roots)
	if len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != testDomain {
		t.Errorf("certificate for %v, want %s", leaf.DNSNames, testDomain)
	}
	st := m.Status()
	if st.Renewals != 1 || st.Failures != 0 || st.LastError != nil || !st.NotAfter.Equal(leaf.NotAfter) {
		t.Errorf("status %+v", st)
	}
	if !st.RenewAt.Before(st.NotAfter) || !st.RenewAt.After(st.NotBefore) {
		t.Errorf("renewal at %v, outside %v..%v", st.RenewAt, st.NotBefore, st.NotAfter)
	}
	// The challenge certificate is withdrawn after validation.
	if _, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: testDomain, SupportedProtos: []string{acme.ALPNProto}}); err == nil {
		t.Error("a tls-alpn-01 certificate is still served after validation")
	}

	// The account key and certificate are cached: a restarted server
	// serves the certificate without asking the CA.
	for _, f := range []string{accountKeyName, m.certName()} {
		st, err := os.Stat(filepath.Join(cache, f))
		if err != nil {
			t.Fatalf("cache: %v", err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v, readable by others", f, st.Mode())
		}
	}
	m2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m2.GetCertificate(&tls.ClientHelloInfo{ServerName: testDomain})
	if err != nil {
		t.Fatalf("restarted manager: %v", err)
	}
	if c.Leaf.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Error("restarted manager serves another certificate than the cached one")
	}
	if due, _ := m2.renewalDue(); due {
		t.Error("a fresh cached certificate is due for renewal")
	}
	// Another CA's certificate is never served from the cache.
	other := cfg
	other.DirectoryURL = LetsEncryptStaging
	m3, err := New(other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m3.GetCertificate(&tls.ClientHelloInfo{ServerName: testDomain}); err == nil {
		t.Error("a certificate from another CA's directory was served")
	}
}

func TestHTTP01(t *testing.T) {
	dnsSrv := newTestDNS(t, testKey, dns.HmacSHA256, testSecret)
	httpLn, httpPort := listen(t)
	ca := newTestCA(t, httpPort, 1, dnsSrv.addr) // port 1: nothing answers TLS-ALPN-01
	m, err := New(Config{Domains: []string{testDomain}, DirectoryURL: ca.dirURL, CacheDir: t.TempDir(),
		Challenge: HTTP01, HTTPClient: ca.client(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	var challenges atomic.Int32
	fallback := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "fallback") })
	h := m.HTTPHandler(fallback)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, challengePrefix) {
			challenges.Add(1)
		}
		h.ServeHTTP(w, r)
	})}
	go srv.Serve(httpLn)
	t.Cleanup(func() { srv.Close() })

	if err := m.Renew(testContext(t)); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	if challenges.Load() == 0 {
		t.Error("the CA never fetched the HTTP-01 challenge")
	}
	c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: testDomain})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: testDomain, Roots: ca.roots, Intermediates: intermediates(c)}); err != nil {
		t.Errorf("certificate does not verify: %v", err)
	}

	base := "http://" + httpLn.Addr().String()
	for path, want := range map[string]int{"/calendars/": 200, challengePrefix + "unknown": 404} {
		res, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want || (want == 200 && string(body) != "fallback") {
			t.Errorf("GET %s: %d %q", path, res.StatusCode, body)
		}
	}
	// Without a fallback, plain HTTP is redirected to https.
	rec := &recorder{header: http.Header{}}
	m.HTTPHandler(nil).ServeHTTP(rec, mustRequest(t, "GET", "http://caldav.localhost:80/calendars/?x=1"))
	if rec.code != http.StatusFound || rec.header.Get("Location") != "https://caldav.localhost/calendars/?x=1" {
		t.Errorf("redirect: %d %q", rec.code, rec.header.Get("Location"))
	}
}

// intermediates is a pool of c's chain beyond the leaf.
func intermediates(c *tls.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, der := range c.Certificate[1:] {
		if ic, err := x509.ParseCertificate(der); err == nil {
			p.AddCert(ic)
		}
	}
	return p
}

// recorder is a minimal http.ResponseWriter.
type recorder struct {
	header http.Header
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *recorder) WriteHeader(code int)        { r.code = code }

func mustRequest(t *testing.T, method, url string) *http.Request {
	r, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// dnsConfig is the DNS-01 configuration for the test server.
func dnsConfig(t *testing.T, srv *testDNS, key string) *DNSConfig {
	name, alg, secret, err := ParseDNSKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return &DNSConfig{Server: srv.addr, KeyName: name, Algorithm: alg, Secret: secret, Timeout: 5 * time.Second}
}

func TestDNS01(t *testing.T) {
	dnsSrv := newTestDNS(t, testKey, dns.HmacSHA256, testSecret)
	ca := newTestCA(t, 1, 1, dnsSrv.addr) // ports 1: only DNS-01 can succeed
	m, err := New(Config{Domains: []string{testDomain}, DirectoryURL: ca.dirURL, CacheDir: t.TempDir(),
		DNS: dnsConfig(t, dnsSrv, testKey+":SHA256:"+testSecret), HTTPClient: ca.client(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if m.challenge != DNS01 {
		t.Fatalf("challenge %s, want dns-01 when DNS is configured", m.challenge)
	}
	if err := m.Renew(testContext(t)); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	c, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: testDomain})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Leaf.Verify(x509.VerifyOptions{DNSName: testDomain, Roots: ca.roots, Intermediates: intermediates(c)}); err != nil {
		t.Errorf("certificate does not verify: %v", err)
	}
	updates, refused := dnsSrv.counts()
	if updates != 2 || refused != 0 {
		t.Errorf("%d updates accepted, %d refused; want 2 (add, remove), 0", updates, refused)
	}
	if r := dnsSrv.records("_acme-challenge." + testDomain); len(r) != 0 {
		t.Errorf("challenge record left behind: %q", r)
	}
}

// TestDNS01ZoneFromSOA uses a key name without robur's "_update" label, so
// the zone is found by asking the server, and a certificate for two names.
func TestDNS01ZoneFromSOA(t *testing.T) {
	const key = "certbot"
	dnsSrv := newTestDNS(t, key, dns.HmacSHA512, testSecret)
	ca := newTestCA(t, 1, 1, dnsSrv.addr)
	domains := []string{testDomain, "www." + testDomain}
	m, err := New(Config{Domains: domains, DirectoryURL: ca.dirURL, CacheDir: t.TempDir(),
		DNS: dnsConfig(t, dnsSrv, "hmac-sha512:"+key+":"+testSecret), HTTPClient: ca.client(), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Renew(testContext(t)); err != nil {
		t.Fatalf("Renew: %v", err)
	}
	st := m.Status()
	c, _ := m.GetCertificate(&tls.ClientHelloInfo{})
	if st.Renewals != 1 || !covers(c, domains) {
		t.Errorf("certificate for %v (renewals %d), want %v", c.Leaf.DNSNames, st.Renewals, domains)
	}
	if updates, _ := dnsSrv.counts(); updates != 4 {
		t.Errorf("%d updates, want 4 (add and remove for each name)", updates)
	}
}

func TestDNS01WrongKey(t *testing.T) {
	dnsSrv := newTestDNS(t, testKey, dns.HmacSHA256, testSecret)
	ca := newTestCA(t, 1, 1, dnsSrv.addr)
	for _, key := range []string{
		testKey + ":SHA256:d3Jvbmcgc2VjcmV0",           // wrong secret
		"other._update.localhost:SHA256:" + testSecret, // unknown key name
	} {
		m, err := New(Config{Domains: []string{testDomain}, DirectoryURL: ca.dirURL, CacheDir: t.TempDir(),
			DNS: dnsConfig(t, dnsSrv, key), HTTPClient: ca.client(), Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		err = m.Renew(testContext(t))
		if err == nil {
			t.Fatalf("key %s: Renew succeeded", redactKey(key))
		}
		for _, want := range []string{"refused", "NOTAUTH", "TSIG key", "check --dns-key"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lacks %q", err, want)
			}
		}
		st := m.Status()
		if st.Failures != 1 || st.Renewals != 0 || st.LastError == nil || st.LastFailure.IsZero() {
			t.Errorf("status after failure: %+v", st)
		}
		if _, err := m.GetCertificate(&tls.ClientHelloInfo{ServerName: testDomain}); err == nil {
			t.Error("a certificate is served after the failure")
		}
	}
	if updates, refused := dnsSrv.counts(); updates != 0 || refused != 2 {
		t.Errorf("%d updates accepted, %d refused; want 0, 2", updates, refused)
	}
	if r := dnsSrv.records("_acme-challenge." + testDomain); len(r) != 0 {
		t.Errorf("records %q added with a wrong key", r)
	}
}

// fakeClock is a clock that stands still until it is set.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() time.Time  { return time.Unix(0, c.t.Load()) }
func (c *fakeClock) set(t time.Time) { c.t.Store(t.UnixNano()) }

// waitFor polls cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRenewal runs the background loop: it obtains the certificate,
// renews it when the (fake) clock reaches the renewal time, keeps the old
// one through a failed renewal, counts everything in the metrics, and the
// TLS listener serves each new certificate without a restart.
func TestRenewal(t *testing.T) {
	dnsSrv := newTestDNS(t, testKey, dns.HmacSHA256, testSecret)
	ln, port := listen(t)
	ca := newTestCA(t, 1, port, dnsSrv.addr)
	clock := &fakeClock{}
	clock.set(time.Now())
	caLink := &switchTransport{base: ca.client().Transport}
	m, err := New(Config{Domains: []string{testDomain}, DirectoryURL: ca.dirURL, CacheDir: t.TempDir(),
		DNS: dnsConfig(t, dnsSrv, testKey+":SHA256:"+testSecret), HTTPClient: &http.Client{Transport: caLink}, Logger: testLogger(t),
		RenewBefore: 30 * 24 * time.Hour, Now: clock.now})
	if err != nil {
		t.Fatal(err)
	}
	m.checkEvery, m.retryMin, m.retryMax = 20*time.Millisecond, 50*time.Millisecond, 100*time.Millisecond
	serveTLS(t, ln, m)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v", err)
		}
	})
	waitFor(t, "the first certificate", func() bool { return m.Status().Renewals == 1 })
	if err := m.Run(ctx); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second Run: %v", err)
	}
	first := handshake(t, ln.Addr().String(), ca.roots)
	st := m.Status()
	if want := first.NotAfter.Add(-30 * 24 * time.Hour); !st.RenewAt.Equal(want) {
		t.Errorf("renewal due at %v, want %v", st.RenewAt, want)
	}
	time.Sleep(100 * time.Millisecond)
	if n := m.Status().Renewals; n != 1 {
		t.Fatalf("%d renewals before the certificate was due", n)
	}

	// Due, but the CA is unreachable: the old certificate stays, the
	// failures are counted and retried.
	caLink.down.Store(true)
	clock.set(st.RenewAt.Add(time.Second))
	waitFor(t, "two failed renewals", func() bool { return m.Status().Failures >= 2 })
	// The clock stands still; the renewed certificate must not be due at
	// once, so it must be issued (in whole seconds) well after the first.
	time.Sleep(time.Until(first.NotBefore.Add(3 * time.Second)))
	if got := handshake(t, ln.Addr().String(), ca.roots); got.SerialNumber.Cmp(first.SerialNumber) != 0 {
		t.Error("the certificate changed although renewal failed")
	}
	st = m.Status()
	if st.LastError == nil || !strings.Contains(st.LastError.Error(), errCADown.Error()) {
		t.Errorf("last error %v", st.LastError)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())
	if v := gather(t, reg)["caldav_acme_last_attempt_ok"]; v != 0 {
		t.Errorf("caldav_acme_last_attempt_ok = %v during failures", v)
	}

	// The CA is back: the next retry renews, and the listener serves the
	// new certificate.
	caLink.down.Store(false)
	waitFor(t, "the renewal", func() bool { return m.Status().Renewals == 2 })
	time.Sleep(100 * time.Millisecond) // the new certificate is not due: nothing more happens
	second := handshake(t, ln.Addr().String(), ca.roots)
	if second.SerialNumber.Cmp(first.SerialNumber) == 0 {
		t.Error("the listener still serves the old certificate after renewal")
	}
	st = m.Status()
	metrics := gather(t, reg)
	for name, want := range map[string]float64{
		"caldav_acme_renewals_total":                float64(st.Renewals),
		"caldav_acme_failures_total":                float64(st.Failures),
		"caldav_acme_last_attempt_ok":               1,
		"caldav_acme_certificate_not_after_seconds": float64(second.NotAfter.Unix()),
	} {
		if got, ok := metrics[name]; !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", name, got, ok, want)
		}
	}
	if st.Renewals != 2 || st.LastError != nil || st.LastSuccess.Before(st.LastFailure) {
		t.Errorf("status after recovery: %+v", st)
	}
}

// errCADown is the error of a switchTransport that is down.
var errCADown = errors.New("CA unreachable (test)")

// switchTransport is a link to the CA that can be cut.
type switchTransport struct {
	base http.RoundTripper
	down atomic.Bool
}

// RoundTrip implements http.RoundTripper.
func (s *switchTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if s.down.Load() {
		return nil, errCADown
	}
	return s.base.RoundTrip(r)
}

// gather returns the value of every metric in reg.
func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, mt := range mf.GetMetric() {
			switch {
			case mt.GetGauge() != nil:
				out[mf.GetName()] = mt.GetGauge().GetValue()
			case mt.GetCounter() != nil:
				out[mf.GetName()] = mt.GetCounter().GetValue()
			}
		}
	}
	return out
}

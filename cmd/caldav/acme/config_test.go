package acme

import (
	"context"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestParseDNSKey(t *testing.T) {
	for _, tc := range []struct {
		in, name, alg, err string
	}{
		{in: "mykey._update.example.org:SHA256:" + testSecret, name: "mykey._update.example.org.", alg: dns.HmacSHA256},
		{in: "MyKey._update.Example.ORG.:sha512:" + testSecret, name: "mykey._update.example.org.", alg: dns.HmacSHA512},
		{in: "k.example.org:hmac-sha1:" + testSecret, name: "k.example.org.", alg: dns.HmacSHA1},
		{in: "hmac-sha384:k.example.org:" + testSecret, name: "k.example.org.", alg: dns.HmacSHA384}, // nsupdate -y
		{in: "SHA224:k:" + testSecret, name: "k.", alg: dns.HmacSHA224},
		{in: "k.example.org:MD5:" + testSecret, err: `unknown algorithm "MD5"`},
		{in: "k.example.org:SHA256:not base64!", err: "not base64"},
		{in: "k.example.org:SHA256:", err: "not base64"},
		{in: "k.example.org:" + testSecret, err: "want NAME:ALG:BASE64"},
		{in: "a:b:c:d", err: "want NAME:ALG:BASE64"},
		{in: "bad..name:SHA256:" + testSecret, err: "not a key name"},
	} {
		name, alg, secret, err := ParseDNSKey(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseDNSKey(%q): error %v, want %q", tc.in, err, tc.err)
			}
			if err != nil && strings.Contains(err.Error(), testSecret) {
				t.Errorf("ParseDNSKey(%q): the error shows the secret: %v", tc.in, err)
			}
			continue
		}
		if err != nil || name != tc.name || alg != tc.alg || secret != testSecret {
			t.Errorf("ParseDNSKey(%q) = %q, %q, %q, %v; want %q, %q", tc.in, name, alg, secret, err, tc.name, tc.alg)
		}
	}
}

func TestZoneFromKeyName(t *testing.T) {
	for key, want := range map[string]string{
		"mykey._update.example.org.": "example.org.",
		"_update.example.org.":       "example.org.",
		"mykey.example.org.":         "",
		"mykey._update.":             "",
	} {
		if got := zoneFromKeyName(key); got != want {
			t.Errorf("zoneFromKeyName(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestNewRejects(t *testing.T) {
	repo := t.TempDir()
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	bare := t.TempDir()
	for _, d := range []string{"objects", "refs"} {
		os.Mkdir(filepath.Join(bare, d), 0o755)
	}
	os.WriteFile(filepath.Join(bare, "HEAD"), []byte("ref: refs/heads/main\n"), 0o644)
	dnsOK := &DNSConfig{Server: "127.0.0.1", KeyName: "k", Algorithm: "SHA256", Secret: testSecret}
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string
	}{
		{"no domain", Config{}, "no domain"},
		{"no dot", Config{Domains: []string{"localhost"}}, "with a dot"},
		{"IP address", Config{Domains: []string{"192.0.2.1"}}, "not IP addresses"},
		{"wildcard without dns-01", Config{Domains: []string{"*.example.org"}}, "need the dns-01"},
		{"unknown challenge", Config{Domains: []string{testDomain}, Challenge: "tls-sni-01"}, "unknown challenge"},
		{"dns-01 without DNS", Config{Domains: []string{testDomain}, Challenge: DNS01}, "--dns-server, --dns-key"},
		{"dns-01 without server", Config{Domains: []string{testDomain}, DNS: &DNSConfig{KeyName: "k", Algorithm: "SHA256", Secret: testSecret}}, "--dns-server"},
		{"dns-01 bad algorithm", Config{Domains: []string{testDomain}, DNS: &DNSConfig{Server: "127.0.0.1", KeyName: "k", Algorithm: "MD5", Secret: testSecret}}, "TSIG algorithm"},
		{"no cache", Config{Domains: []string{testDomain}}, "--acme-cache"},
		{"cache in work tree", Config{Domains: []string{testDomain}, CacheDir: filepath.Join(repo, "acme")}, "inside the git repository"},
		{"cache in bare repository", Config{Domains: []string{testDomain}, CacheDir: filepath.Join(bare, "acme")}, "inside the git repository"},
		{"negative RenewBefore", Config{Domains: []string{testDomain}, CacheDir: t.TempDir(), RenewBefore: -1}, "negative"},
	} {
		if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
		}
	}
	m, err := New(Config{Domains: []string{"*.Example.org", "example.org."}, CacheDir: t.TempDir(), DNS: dnsOK})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.Domains(), " "); got != "*.example.org example.org" {
		t.Errorf("domains %q", got)
	}
	if m.dns.cfg.Server != "127.0.0.1:53" || m.dns.cfg.KeyName != "k." || m.dns.cfg.Algorithm != dns.HmacSHA256 {
		t.Errorf("DNS config not completed: %+v", m.dns.cfg)
	}
	if m.dirURL != LetsEncrypt {
		t.Errorf("directory %s, want Let's Encrypt", m.dirURL)
	}
}

func TestDefaultCacheDir(t *testing.T) {
	if got := DefaultCacheDir("/srv/caldav-data/"); got != "/srv/caldav-data-acme" {
		t.Errorf("DefaultCacheDir = %s", got)
	}
	got := DefaultCacheDir("caldav-data")
	if !filepath.IsAbs(got) || filepath.Base(got) != "caldav-data-acme" {
		t.Errorf("DefaultCacheDir(relative) = %s", got)
	}
	if repo := enclosingRepository(filepath.Join(t.TempDir(), "data-acme")); repo != "" {
		t.Errorf("a temporary directory is inside the repository %s", repo)
	}
}

// TestSystemPoolTrustsSSLCertFile runs an issuance in a child process
// whose Manager has no HTTP client of its own: the CA's HTTPS server is
// trusted only when SSL_CERT_FILE names its certificate.
func TestSystemPoolTrustsSSLCertFile(t *testing.T) {
	if os.Getenv("ACME_TEST_CHILD_DIRECTORY") != "" {
		t.Skip("child")
	}
	dnsSrv := newTestDNS(t, testKey, dns.HmacSHA256, testSecret)
	ca := newTestCA(t, 1, 1, dnsSrv.addr)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) (string, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^TestSSLCertFileChild$", "-test.v")
		cmd.Env = append(os.Environ(), "ACME_TEST_CHILD_DIRECTORY="+ca.dirURL, "ACME_TEST_CHILD_DNS="+dnsSrv.addr,
			"ACME_TEST_CHILD_CACHE="+t.TempDir())
		cmd.Env = append(cmd.Env, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("SSL_CERT_FILE=" + caFile); err != nil || !strings.Contains(out, "--- PASS: TestSSLCertFileChild") {
		t.Errorf("with SSL_CERT_FILE: %v\n%s", err, out)
	}
	out, err := run("SSL_CERT_FILE=/nonexistent", "SSL_CERT_DIR=/nonexistent")
	if err == nil || !strings.Contains(out, "certificate signed by unknown authority") {
		t.Errorf("without the CA: %v\n%s", err, out)
	}
}

// TestSSLCertFileChild is the child of TestSystemPoolTrustsSSLCertFile.
func TestSSLCertFileChild(t *testing.T) {
	dir := os.Getenv("ACME_TEST_CHILD_DIRECTORY")
	if dir == "" {
		t.Skip("run by TestSystemPoolTrustsSSLCertFile")
	}
	m, err := New(Config{Domains: []string{testDomain}, DirectoryURL: dir, CacheDir: os.Getenv("ACME_TEST_CHILD_CACHE"),
		DNS:    &DNSConfig{Server: os.Getenv("ACME_TEST_CHILD_DNS"), KeyName: testKey, Algorithm: "SHA256", Secret: testSecret},
		Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Renew(context.Background()); err != nil {
		t.Fatal(err)
	}
}

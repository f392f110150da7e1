package gitstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startHTTPS serves base with git http-backend over TLS on 127.0.0.1,
// with httptest's self-signed certificate (SANs 127.0.0.1, ::1,
// example.com). With user set, it asks for basic auth.
func startHTTPS(t testing.TB, base, user, pass string) *httptest.Server {
	t.Helper()
	backend := &cgi.Handler{
		Path: filepath.Join(gitExecPath(t), "git-http-backend"),
		Env:  []string{"GIT_PROJECT_ROOT=" + base, "GIT_HTTP_EXPORT_ALL=1"},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); user != "" && (!ok || u != user || p != pass) {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		backend.ServeHTTP(w, r)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// certFP and keyFP compute the pins of cert independently of the code
// under test.
func certFP(cert *x509.Certificate) string {
	s := sha256.Sum256(cert.Raw)
	return "cert-fp:SHA256:" + base64.StdEncoding.EncodeToString(s[:])
}

func keyFP(cert *x509.Certificate) string {
	s := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "key-fp:SHA256:" + base64.StdEncoding.EncodeToString(s[:])
}

func mustTLSAuth(t testing.TB, s string) *TLSAuthenticator {
	t.Helper()
	a, err := ParseTLSAuthenticator(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// emptyRemote reports whether a bare repository has no main branch.
func emptyRemote(t testing.TB, repo string) bool {
	t.Helper()
	return !strings.Contains(gitCmd(t, repo, "for-each-ref", "refs/heads/"), "refs/heads/main")
}

func TestParseTLSAuthenticator(t *testing.T) {
	fp := sha256.Sum256([]byte("x"))
	b64 := base64.StdEncoding.EncodeToString(fp[:])
	raw := base64.RawStdEncoding.EncodeToString(fp[:])
	fp512 := sha512.Sum512([]byte("x"))
	b512 := base64.StdEncoding.EncodeToString(fp512[:])
	der := base64.RawStdEncoding.EncodeToString(mustCert(t).Raw)
	for _, tc := range []struct{ in, want string }{
		{"cert-fp:SHA256:" + b64, "cert-fp:SHA256:" + b64},
		{"cert-fp:sha256:" + raw, "cert-fp:SHA256:" + b64},
		{"cert-fp:" + b64, "cert-fp:SHA256:" + b64},
		{"key-fp:SHA256:" + raw, "key-fp:SHA256:" + b64},
		{"key-fp:" + raw, "key-fp:SHA256:" + b64},
		{"cert-fp:SHA512:" + b512, "cert-fp:SHA512:" + b512},
		{"trust-anchor:" + der, "trust-anchor:" + der},
		{"trust-anchor:" + der + ":" + der, "trust-anchor:" + der + ":" + der},
	} {
		a, err := ParseTLSAuthenticator(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if a.String() != tc.want {
			t.Errorf("%s: parsed as %s, want %s", tc.in, a, tc.want)
		}
		if !IsTLSAuthenticator(tc.in) {
			t.Errorf("IsTLSAuthenticator(%s) = false", tc.in)
		}
	}
	for _, tc := range []struct{ in, msg string }{
		{"none", "refused"},
		{"cert-fp:MD5:" + b64, "unknown hash"},
		{"cert-fp:SHA1:" + b64, "unknown hash"},
		{"cert-fp:SHA512:" + b64, "64-byte SHA512"},
		{"cert-fp:SHA256:" + hex.EncodeToString(fp[:]), "32-byte SHA256"},
		{"key-fp:SHA256:!!!", "32-byte SHA256"},
		{"cert-fp:", "32-byte"},
		{"cert-fp:SHA256:" + b64 + ":x", "32-byte"},
		{"trust-anchor:", "certificate 1"},
		{"trust-anchor:" + b64, "certificate 1"},
		{"sha256:" + b64, "want cert-fp"},
		{"", "want cert-fp"},
		{"none:x", "want cert-fp"},
	} {
		if _, err := ParseTLSAuthenticator(tc.in); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: error %v, want one with %q", tc.in, err, tc.msg)
		}
	}
	for _, s := range []string{"/etc/ssl/ca.pem", "ca.pem", "cert-fp", "nonex"} {
		if IsTLSAuthenticator(s) {
			t.Errorf("IsTLSAuthenticator(%q) = true", s)
		}
	}
}

// selfSigned makes a throw-away self-signed CA certificate.
func selfSigned(t testing.TB) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "other"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mustCert returns httptest's certificate, parsed.
func mustCert(t testing.TB) *x509.Certificate {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.StartTLS()
	defer srv.Close()
	return srv.Certificate()
}

func TestTLSAuthenticatorVerify(t *testing.T) {
	cert := mustCert(t)
	now := time.Now()
	for _, pin := range []string{certFP(cert), keyFP(cert)} {
		a := mustTLSAuth(t, pin)
		if err := a.verify("127.0.0.1", []*x509.Certificate{cert}, now); err != nil {
			t.Errorf("%s: %v", pin, err)
		}
		if err := a.verify("example.com", []*x509.Certificate{cert}, now); err != nil {
			t.Errorf("%s for example.com: %v", pin, err)
		}
		if got := a.Fingerprint(cert); got != pin {
			t.Errorf("Fingerprint = %s, want %s", got, pin)
		}
		// As ocaml-x509: the pinned leaf must name the host and be valid now.
		if err := a.verify("localhost", []*x509.Certificate{cert}, now); err == nil || !strings.Contains(err.Error(), "localhost") {
			t.Errorf("%s for localhost: %v", pin, err)
		}
		if err := a.verify("127.0.0.1", []*x509.Certificate{cert}, cert.NotAfter.Add(time.Hour)); err == nil || !strings.Contains(err.Error(), "valid from") {
			t.Errorf("%s after expiry: %v", pin, err)
		}
		if err := a.verify("127.0.0.1", nil, now); err == nil {
			t.Errorf("%s: no certificate accepted", pin)
		}
	}
	other := sha256.Sum256([]byte("another certificate"))
	a := mustTLSAuth(t, "cert-fp:SHA256:"+base64.StdEncoding.EncodeToString(other[:]))
	err := a.verify("127.0.0.1", []*x509.Certificate{cert}, now)
	if err == nil || !strings.Contains(err.Error(), certFP(cert)) {
		t.Errorf("wrong pin: %v, want the certificate's fingerprint %s named", err, certFP(cert))
	}
}

// TestRemoteHTTPSPin pushes to an https git server with a self-signed
// certificate through each kind of pin, fetches it back on a first start,
// and checks that a wrong pin, a wrong name and no pin are refused with
// nothing pushed.
func TestRemoteHTTPSPin(t *testing.T) {
	needGit(t)
	ctx := context.Background()
	base := t.TempDir()
	srv := startHTTPS(t, base, "", "")
	cert := srv.Certificate()

	for _, pin := range []string{certFP(cert), keyFP(cert)} {
		name := pin[:strings.IndexByte(pin, ':')]
		t.Run(name, func(t *testing.T) {
			repo := bareRepo(t, base, name)
			r, err := ParseRemote(srv.URL+"/"+name+".git", RemoteAuth{TLSAuthenticator: mustTLSAuth(t, pin)})
			if err != nil {
				t.Fatal(err)
			}
			s := openDiskT(t, t.TempDir(), Options{Remote: r, Push: PushSync})
			commitN(t, s, "p", 2)
			if got := remoteLog(t, repo); len(got) != 2 {
				t.Fatalf("remote log %q", got)
			}
			fsck(t, repo)
			// First start from the remote alone: the fetch path.
			s2 := openDiskT(t, t.TempDir(), Options{Remote: r})
			if !s2.Head().Exists("calendars/alice/p1.ics") {
				t.Fatal("first start did not fetch the pushed commits")
			}
		})
	}

	t.Run("credentials", func(t *testing.T) {
		base := t.TempDir()
		srv := startHTTPS(t, base, "bob", "s3cret-pw")
		repo := bareRepo(t, base, "cal")
		u := strings.Replace(srv.URL, "https://", "https://bob:s3cret-pw@", 1) + "/cal.git"
		r, err := ParseRemote(u, RemoteAuth{TLSAuthenticator: mustTLSAuth(t, keyFP(srv.Certificate()))})
		if err != nil {
			t.Fatal(err)
		}
		s := openDiskT(t, t.TempDir(), Options{Remote: r, Push: PushSync})
		commitN(t, s, "c", 1)
		if got := remoteLog(t, repo); len(got) != 1 {
			t.Fatalf("remote log %q", got)
		}
		bad, _ := ParseRemote(strings.Replace(u, "s3cret-pw", "wrong-pw-123", 1), RemoteAuth{TLSAuthenticator: mustTLSAuth(t, keyFP(srv.Certificate()))})
		if _, err := Open(ctx, t.TempDir(), Options{Remote: bad, Logger: quiet}); err == nil || strings.Contains(err.Error(), "wrong-pw-123") {
			t.Fatalf("bad credentials: %v", err)
		}
	})

	// refused pushes one local commit to repo and checks the error.
	refused := func(t *testing.T, url string, auth RemoteAuth, repo string, want ...string) {
		t.Helper()
		r, err := ParseRemote(url, auth)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(ctx, t.TempDir(), Options{Remote: r, Logger: quiet}); err == nil {
			t.Fatal("first start fetched from a refused remote")
		}
		dir := t.TempDir()
		l := openDiskT(t, dir, Options{})
		put(t, l, "z", "1")
		l.Close()
		s := openDiskT(t, dir, Options{Remote: r, Push: PushSync})
		_, err = s.Batch(ctx, who("PUT y"), func(tx *Txn) error { return tx.Write("y", nil) })
		if !errors.Is(err, ErrPush) {
			t.Fatalf("push: %v", err)
		}
		t.Log(err)
		for _, w := range want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("push error %q does not contain %q", err, w)
			}
		}
		if !emptyRemote(t, repo) {
			t.Errorf("something was pushed: %s", gitCmd(t, repo, "log", "--oneline", "main"))
		}
	}
	t.Run("wrong pin", func(t *testing.T) {
		repo := bareRepo(t, base, "wrong")
		other := sha256.Sum256([]byte("not this certificate"))
		pin := "cert-fp:SHA256:" + base64.StdEncoding.EncodeToString(other[:])
		refused(t, srv.URL+"/wrong.git", RemoteAuth{TLSAuthenticator: mustTLSAuth(t, pin)}, repo, certFP(cert), pin)
	})
	t.Run("wrong key pin", func(t *testing.T) {
		repo := bareRepo(t, base, "wrongkey")
		other := sha256.Sum256([]byte("not this key"))
		pin := "key-fp:SHA256:" + base64.StdEncoding.EncodeToString(other[:])
		refused(t, srv.URL+"/wrongkey.git", RemoteAuth{TLSAuthenticator: mustTLSAuth(t, pin)}, repo, keyFP(cert))
	})
	t.Run("name not in certificate", func(t *testing.T) {
		repo := bareRepo(t, base, "name")
		u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) + "/name.git"
		refused(t, u, RemoteAuth{TLSAuthenticator: mustTLSAuth(t, certFP(cert))}, repo, "localhost")
	})
	t.Run("no pin", func(t *testing.T) {
		repo := bareRepo(t, base, "nopin")
		refused(t, srv.URL+"/nopin.git", RemoteAuth{}, repo, "certificate")
	})
	t.Run("other anchor", func(t *testing.T) {
		repo := bareRepo(t, base, "anchor")
		// A trust anchor that did not sign the server's certificate.
		other := selfSigned(t)
		refused(t, srv.URL+"/anchor.git", RemoteAuth{TLSAuthenticator: mustTLSAuth(t, "trust-anchor:"+base64.StdEncoding.EncodeToString(other.Raw))}, repo)
	})

	// httptest's certificate is its own CA: as a trust anchor and as a
	// PEM CA bundle it lets the push through.
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	for name, auth := range map[string]RemoteAuth{
		"trust-anchor": {TLSAuthenticator: mustTLSAuth(t, "trust-anchor:"+base64.StdEncoding.EncodeToString(cert.Raw))},
		"ca-bundle":    {CABundle: pemCert},
	} {
		t.Run(name, func(t *testing.T) {
			repo := bareRepo(t, base, name)
			r, err := ParseRemote(srv.URL+"/"+name+".git", auth)
			if err != nil {
				t.Fatal(err)
			}
			s := openDiskT(t, t.TempDir(), Options{Remote: r, Push: PushSync})
			commitN(t, s, "a", 1)
			if got := remoteLog(t, repo); len(got) != 1 {
				t.Fatalf("remote log %q", got)
			}
		})
	}
}

// TestRemoteTLSAuthenticatorNeedsHTTPS refuses a pin for a remote it
// cannot protect, and a pin together with a CA bundle.
func TestRemoteTLSAuthenticatorNeedsHTTPS(t *testing.T) {
	sum := sha256.Sum256([]byte("x"))
	a := mustTLSAuth(t, "cert-fp:SHA256:"+base64.StdEncoding.EncodeToString(sum[:]))
	for _, u := range []string{"http://u:pw-123@example.com/r.git", "git://example.com/r.git", "file:///tmp/r.git", t.TempDir()} {
		if _, err := ParseRemote(u, RemoteAuth{TLSAuthenticator: a}); err == nil || !strings.Contains(err.Error(), "https") || strings.Contains(err.Error(), "pw-123") {
			t.Errorf("%s: %v", u, err)
		}
	}
	if _, err := ParseRemote("https://example.com/r.git", RemoteAuth{TLSAuthenticator: a, CABundle: []byte("x")}); err == nil {
		t.Error("pin and CA bundle accepted together")
	}
	r, err := ParseRemote("https://u:pw-123@example.com/r.git#b", RemoteAuth{TLSAuthenticator: a})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.String(), "pw-123") || r.String() != "https://example.com/r.git#b" {
		t.Errorf("String() = %s", r)
	}
}

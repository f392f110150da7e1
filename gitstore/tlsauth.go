package gitstore

import (
	"bytes"
	"crypto"
	_ "crypto/sha256" // registers SHA-224 and SHA-256 for crypto.Hash.New
	_ "crypto/sha512" // registers SHA-384 and SHA-512
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// TLSAuthenticator decides which server certificate an https remote may
// present. It is parsed from the X.509 authenticator syntax that robur's
// --tls-authenticator takes (ocaml-x509's Authenticator.of_string):
//
//   - cert-fp[:HASH]:B64 pins the leaf certificate: B64 is the base64 of
//     the HASH of its DER encoding;
//   - key-fp[:HASH]:B64 pins the leaf's public key: the HASH of its
//     SubjectPublicKeyInfo DER encoding, so it survives a renewal that
//     keeps the key;
//   - trust-anchor:B64DER[:B64DER...] trusts only the given certificates
//     (base64 DER, no PEM armour) as roots, with the usual chain, name
//     and validity checks.
//
// HASH is SHA224, SHA256 (the default), SHA384 or SHA512, in any case.
// Base64 may be padded or not. A fingerprint pin replaces the chain
// check: the leaf matching the pin is accepted whoever signed it (a
// self-signed certificate works) and nothing else is. As in
// ocaml-x509, the pinned leaf must still be within its validity period
// and name the remote's host (a DNS name or an IP address SAN).
// robur's "none" (no authentication at all) is refused.
type TLSAuthenticator struct {
	kind    string // "cert-fp", "key-fp" or "trust-anchor"
	hash    crypto.Hash
	want    []byte
	anchors *x509.CertPool
	text    string // canonical form, for messages
}

// hashNames maps the hash names of the authenticator syntax.
var hashNames = map[string]crypto.Hash{
	"sha224": crypto.SHA224,
	"sha256": crypto.SHA256,
	"sha384": crypto.SHA384,
	"sha512": crypto.SHA512,
}

// hashName is the upper-case name of h as written in a pin.
func hashName(h crypto.Hash) string {
	return strings.ReplaceAll(h.String(), "-", "")
}

// IsTLSAuthenticator reports whether s is written in the authenticator
// syntax (rather than, say, a file name): it starts with cert-fp:,
// key-fp: or trust-anchor:, or is "none".
func IsTLSAuthenticator(s string) bool {
	for _, p := range []string{"cert-fp:", "key-fp:", "trust-anchor:"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return s == "none"
}

// ParseTLSAuthenticator parses an authenticator (see TLSAuthenticator).
func ParseTLSAuthenticator(s string) (*TLSAuthenticator, error) {
	kind, rest, _ := strings.Cut(s, ":")
	switch kind {
	case "cert-fp", "key-fp":
		a := &TLSAuthenticator{kind: kind, hash: crypto.SHA256}
		fp := rest
		if h, v, ok := strings.Cut(rest, ":"); ok {
			var known bool
			if a.hash, known = hashNames[strings.ToLower(h)]; !known {
				return nil, fmt.Errorf("gitstore: tls authenticator %s: unknown hash %q (want SHA224, SHA256, SHA384 or SHA512)", kind, h)
			}
			fp = v
		}
		b, err := decodeB64(fp)
		if err != nil || len(b) != a.hash.Size() {
			return nil, fmt.Errorf("gitstore: tls authenticator %s: want the base64 of a %d-byte %s fingerprint", kind, a.hash.Size(), hashName(a.hash))
		}
		a.want = b
		a.text = a.format(b)
		return a, nil
	case "trust-anchor":
		a := &TLSAuthenticator{kind: kind, anchors: x509.NewCertPool(), text: s}
		for i, c := range strings.Split(rest, ":") {
			der, err := decodeB64(c)
			if err != nil || c == "" {
				return nil, fmt.Errorf("gitstore: tls authenticator trust-anchor: certificate %d is not base64 DER", i+1)
			}
			cert, err := x509.ParseCertificate(der)
			if err != nil {
				return nil, fmt.Errorf("gitstore: tls authenticator trust-anchor: certificate %d: %w", i+1, err)
			}
			a.anchors.AddCert(cert)
		}
		return a, nil
	case "none":
		if s == "none" {
			return nil, errors.New(`gitstore: tls authenticator "none" would accept any certificate and is refused: pin the certificate (cert-fp:SHA256:B64 or key-fp:SHA256:B64) or give its CA`)
		}
	}
	return nil, fmt.Errorf("gitstore: tls authenticator %q: want cert-fp:[HASH:]B64, key-fp:[HASH:]B64 or trust-anchor:B64DER[:B64DER...]", s)
}

// decodeB64 decodes standard base64 with or without padding.
func decodeB64(s string) ([]byte, error) {
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// String returns the authenticator in its canonical form (a pin with its
// hash named, base64 padded).
func (a *TLSAuthenticator) String() string { return a.text }

// format writes fingerprint fp in a's kind and hash.
func (a *TLSAuthenticator) format(fp []byte) string {
	return a.kind + ":" + hashName(a.hash) + ":" + base64.StdEncoding.EncodeToString(fp)
}

// Fingerprint returns the fingerprint of cert in a's kind and hash, in
// the authenticator syntax; "" for a trust-anchor authenticator.
func (a *TLSAuthenticator) Fingerprint(cert *x509.Certificate) string {
	if a.want == nil {
		return ""
	}
	return a.format(a.fingerprint(cert))
}

// fingerprint hashes what a pins of cert.
func (a *TLSAuthenticator) fingerprint(cert *x509.Certificate) []byte {
	h := a.hash.New()
	if a.kind == "key-fp" {
		h.Write(cert.RawSubjectPublicKeyInfo)
	} else {
		h.Write(cert.Raw)
	}
	return h.Sum(nil)
}

// tlsConfig returns the client configuration for a remote on host.
func (a *TLSAuthenticator) tlsConfig(host string) *tls.Config {
	if a.anchors != nil {
		return &tls.Config{RootCAs: a.anchors, MinVersion: tls.VersionTLS12}
	}
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain check is replaced by the pin, which VerifyConnection
		// checks on every connection (it runs whatever
		// InsecureSkipVerify says).
		InsecureSkipVerify: true, //nolint:gosec // pinned in VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			name := cs.ServerName // empty when the host is an IP address
			if name == "" {
				name = host
			}
			return a.verify(name, cs.PeerCertificates, time.Now())
		},
	}
}

// verify checks a server's certificates against the pin, then the
// leaf's validity period and name, as ocaml-x509 does.
func (a *TLSAuthenticator) verify(host string, certs []*x509.Certificate, now time.Time) error {
	if len(certs) == 0 {
		return fmt.Errorf("gitstore: https remote %s presented no certificate", host)
	}
	leaf := certs[0]
	got := a.fingerprint(leaf)
	if !bytes.Equal(got, a.want) {
		return fmt.Errorf("gitstore: https remote %s presented a certificate with %s, not the pinned %s", host, a.format(got), a.text)
	}
	if now.Before(leaf.NotBefore) || now.After(leaf.NotAfter) {
		return fmt.Errorf("gitstore: https remote %s: the pinned certificate is valid from %s to %s only",
			host, leaf.NotBefore.UTC().Format(time.RFC3339), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if err := leaf.VerifyHostname(host); err != nil {
		return fmt.Errorf("gitstore: https remote %s: the pinned certificate: %w", host, err)
	}
	return nil
}

// tlsAuth is the transport.AuthMethod of an https remote with a
// TLSAuthenticator: it carries the remote's own git http client (whose
// TLS configuration checks the pin) and the remote's credentials.
//
// go-git picks the transport by scheme from a process-wide table and
// has no per-remote http.Client, so this package registers, once at
// start-up, an https transport (pinDispatch) that hands sessions whose
// auth is a tlsAuth to the client it carries and every other session
// to go-git's default https client, unchanged. tlsAuth deliberately does
// not implement githttp.AuthMethod: if another https transport replaces
// ours, go-git refuses it ("invalid auth method") instead of connecting
// without the pin.
type tlsAuth struct {
	inner  transport.AuthMethod // nil or *githttp.BasicAuth
	client transport.Transport
}

// Name implements transport.AuthMethod.
func (a *tlsAuth) Name() string { return "tls-authenticator" }

// String implements transport.AuthMethod; it never shows credentials.
func (a *tlsAuth) String() string {
	if a.inner != nil {
		return a.Name() + "+" + a.inner.Name()
	}
	return a.Name()
}

// newTLSAuth builds the per-remote client for host.
func newTLSAuth(a *TLSAuthenticator, host string, inner transport.AuthMethod) *tlsAuth {
	var tr *http.Transport
	if dt, ok := http.DefaultTransport.(*http.Transport); ok {
		tr = dt.Clone() // keeps the proxy settings from the environment
	} else {
		tr = &http.Transport{Proxy: http.ProxyFromEnvironment}
	}
	tr.TLSClientConfig = a.tlsConfig(host)
	return &tlsAuth{inner: inner, client: githttp.NewClient(&http.Client{Transport: tr})}
}

// pinDispatch is the https transport registered with go-git; see tlsAuth.
type pinDispatch struct{ fallback transport.Transport }

// NewUploadPackSession implements transport.Transport.
func (d pinDispatch) NewUploadPackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.UploadPackSession, error) {
	if a, ok := auth.(*tlsAuth); ok {
		return a.client.NewUploadPackSession(ep, a.inner)
	}
	return d.fallback.NewUploadPackSession(ep, auth)
}

// NewReceivePackSession implements transport.Transport.
func (d pinDispatch) NewReceivePackSession(ep *transport.Endpoint, auth transport.AuthMethod) (transport.ReceivePackSession, error) {
	if a, ok := auth.(*tlsAuth); ok {
		return a.client.NewReceivePackSession(ep, a.inner)
	}
	return d.fallback.NewReceivePackSession(ep, auth)
}

// init registers pinDispatch before any transfer can run, so the
// write to go-git's protocol table races with nothing.
func init() {
	fallback := client.Protocols["https"]
	if fallback == nil {
		fallback = githttp.DefaultClient
	}
	client.InstallProtocol("https", pinDispatch{fallback: fallback})
}

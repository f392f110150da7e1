package main

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/gocaldav/gocaldav/gitstore"
)

// tlsAuthFlag is --tls-authenticator: how the certificate of an https
// remote is checked. It takes robur's X.509 authenticator syntax
// (cert-fp:[HASH:]B64, key-fp:[HASH:]B64, trust-anchor:B64DER...) or,
// as an extension, the path of a PEM file of CA certificates trusted
// besides the system's. The value is checked when it is set, so a bad
// one stops the server at start with a one-line reason.
type tlsAuthFlag struct {
	value string
	auth  *gitstore.TLSAuthenticator // the authenticator syntax
	pem   []byte                     // a PEM file
}

// String implements flag.Value.
func (f *tlsAuthFlag) String() string { return f.value }

// Set implements flag.Value.
func (f *tlsAuthFlag) Set(v string) error {
	*f = tlsAuthFlag{value: v}
	switch {
	case v == "":
		return nil
	case gitstore.IsTLSAuthenticator(v):
		a, err := gitstore.ParseTLSAuthenticator(v)
		if err != nil {
			// The flag package names the flag; the package name adds nothing.
			return errors.New(strings.TrimPrefix(err.Error(), "gitstore: "))
		}
		f.auth = a
		return nil
	}
	b, err := os.ReadFile(v)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: no such file (and not cert-fp:, key-fp: or trust-anchor:)", v)
	} else if err != nil {
		return err
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return fmt.Errorf("%s: no PEM certificate in it", v)
	}
	f.pem = b
	return nil
}

// apply puts the flag's setting into the remote's auth.
func (f *tlsAuthFlag) apply(a *gitstore.RemoteAuth) {
	a.TLSAuthenticator = f.auth
	a.CABundle = f.pem
}

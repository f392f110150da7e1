package acme

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// accountKeyName is the account key's name in the cache: autocert's, so
// an account created by autocert in the same directory is reused.
const accountKeyName = "acme_account+key"

// certName is the cache name of the certificate: per first domain and
// per CA, so switching from staging to production never serves a
// staging certificate.
func (m *Manager) certName() string {
	sum := sha256.Sum256([]byte(m.dirURL))
	return "cert+" + strings.ReplaceAll(m.domains[0], "*", "_") + "+" + hex.EncodeToString(sum[:4])
}

// issueTimeout bounds one issuance.
const issueTimeout = 10 * time.Minute

// Renew obtains a new certificate now, whether or not one is due, and
// serves it from then on. On failure the current certificate stays in use.
// The attempt and its outcome are counted in Status.
func (m *Manager) Renew(ctx context.Context) error {
	m.obtainMu.Lock()
	defer m.obtainMu.Unlock()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, issueTimeout)
	defer cancel()
	start := m.now()
	m.statMu.Lock()
	m.stat.LastAttempt = start
	m.statMu.Unlock()

	cert, err := m.obtain(ctx)
	if e := (*acme.Error)(nil); errors.As(err, &e) && e.ProblemType == "urn:ietf:params:acme:error:accountDoesNotExist" {
		m.registered = false // the CA forgot the account: register again next time
	}
	if err == nil {
		err = m.store(ctx, cert)
		if err != nil {
			// Serve it anyway: it is valid; only a restart would lose it.
			m.log.Error("acme: new certificate not saved in the cache", "err", err)
			err = nil
		}
	}
	m.statMu.Lock()
	defer m.statMu.Unlock()
	if err != nil && parent.Err() != nil {
		return err // shutting down: not a failure of the CA or the challenge
	}
	if err != nil {
		m.stat.Failures++
		m.stat.LastFailure = m.now()
		m.stat.LastError = err
		return err
	}
	m.cert.Store(cert)
	m.stat.Renewals++
	m.stat.LastSuccess = m.now()
	m.stat.LastError = nil
	m.log.Info("acme: certificate obtained", "domains", m.domains, "challenge", m.challenge,
		"not_after", cert.Leaf.NotAfter.UTC().Format(time.RFC3339), "issuer", cert.Leaf.Issuer.CommonName,
		"took", m.now().Sub(start).Round(time.Millisecond).String())
	return nil
}

// acmeClient returns the client with the account key, registering the
// account once per process (an existing account is fine).
func (m *Manager) acmeClient(ctx context.Context) (*acme.Client, error) {
	if m.client == nil {
		key, err := m.accountKey(ctx)
		if err != nil {
			return nil, err
		}
		m.client = &acme.Client{Key: key, DirectoryURL: m.dirURL, HTTPClient: m.cfg.HTTPClient,
			UserAgent: "gocaldav"}
	}
	if !m.registered {
		acct := &acme.Account{}
		if m.cfg.Email != "" {
			acct.Contact = []string{"mailto:" + m.cfg.Email}
		}
		if _, err := m.client.Register(ctx, acct, acme.AcceptTOS); err != nil && !errors.Is(err, acme.ErrAccountAlreadyExists) {
			return nil, fmt.Errorf("registering the ACME account at %s: %w", m.dirURL, err)
		}
		m.registered = true
	}
	return m.client, nil
}

// accountKey loads the account key from the cache or creates and saves one.
func (m *Manager) accountKey(ctx context.Context) (crypto.Signer, error) {
	data, err := m.cache.Get(ctx, accountKeyName)
	if err == nil {
		b, _ := pem.Decode(data)
		if b == nil {
			return nil, fmt.Errorf("account key %s in the cache is not PEM", accountKeyName)
		}
		key, err := parseKey(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("account key %s in the cache: %w", accountKeyName, err)
		}
		return key, nil
	}
	if !errors.Is(err, autocert.ErrCacheMiss) {
		return nil, fmt.Errorf("reading the account key: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("creating the account key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encoding the account key: %w", err)
	}
	if err := m.cache.Put(ctx, accountKeyName, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})); err != nil {
		return nil, fmt.Errorf("saving the account key: %w", err)
	}
	m.log.Info("acme: account key created", "cache", m.cfg.CacheDir)
	return key, nil
}

// parseKey reads a PKCS#8, SEC 1 (EC) or PKCS#1 (RSA) private key.
func parseKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("key cannot sign")
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("unknown private key format")
}

// obtain runs one ACME order for all domains and returns the certificate.
func (m *Manager) obtain(ctx context.Context) (*tls.Certificate, error) {
	client, err := m.acmeClient(ctx)
	if err != nil {
		return nil, err
	}
	order, err := client.AuthorizeOrder(ctx, acme.DomainIDs(m.domains...))
	if err != nil {
		return nil, fmt.Errorf("creating an order for %s at %s: %w", strings.Join(m.domains, ", "), m.dirURL, err)
	}
	var cleanups []func()
	defer func() {
		for _, c := range cleanups {
			c()
		}
	}()
	for _, u := range order.AuthzURLs {
		z, err := client.GetAuthorization(ctx, u)
		if err != nil {
			return nil, fmt.Errorf("fetching authorization %s: %w", u, err)
		}
		if z.Status == acme.StatusValid {
			continue
		}
		if z.Status != acme.StatusPending {
			return nil, fmt.Errorf("authorization for %s is %s", z.Identifier.Value, z.Status)
		}
		chal, err := m.pickChallenge(z)
		if err != nil {
			m.deactivate(client, z.URI)
			return nil, err
		}
		cleanup, err := m.fulfil(ctx, client, chal, z.Identifier.Value)
		if err != nil {
			m.deactivate(client, z.URI)
			return nil, fmt.Errorf("%s for %s: %w", chal.Type, z.Identifier.Value, err)
		}
		cleanups = append(cleanups, cleanup)
		if _, err := client.Accept(ctx, chal); err != nil {
			m.deactivate(client, z.URI)
			return nil, fmt.Errorf("%s for %s: accepting the challenge: %w", chal.Type, z.Identifier.Value, err)
		}
		if _, err := client.WaitAuthorization(ctx, z.URI); err != nil {
			m.deactivate(client, z.URI)
			return nil, fmt.Errorf("%s for %s: the CA did not validate it: %w", chal.Type, z.Identifier.Value, err)
		}
	}
	if order, err = client.WaitOrder(ctx, order.URI); err != nil {
		return nil, fmt.Errorf("waiting for order %s: %w", order.URI, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("creating the certificate key: %w", err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: m.domains[0]},
		DNSNames: m.domains,
	}, key)
	if err != nil {
		return nil, fmt.Errorf("creating the certificate request: %w", err)
	}
	der, _, err := client.CreateCertFromOrder(ctx, order, csr, true)
	if err != nil {
		return nil, fmt.Errorf("finalizing order %s: %w", order.URI, err)
	}
	return m.certificate(der, key, true)
}

// certificate checks an issued chain against its key and, with all, that
// it names every domain.
func (m *Manager) certificate(der [][]byte, key crypto.Signer, all bool) (*tls.Certificate, error) {
	if len(der) == 0 {
		return nil, errors.New("the CA sent no certificate")
	}
	leaf, err := x509.ParseCertificate(der[0])
	if err != nil {
		return nil, fmt.Errorf("the CA's certificate: %w", err)
	}
	c := &tls.Certificate{Certificate: der, PrivateKey: key, Leaf: leaf}
	if !keyMatches(leaf, key) {
		return nil, errors.New("the certificate does not match its key")
	}
	if all && !covers(c, m.domains) {
		return nil, fmt.Errorf("the certificate names %v, not all of %v", leaf.DNSNames, m.domains)
	}
	if now := m.now(); now.After(leaf.NotAfter) {
		return nil, fmt.Errorf("the certificate expired at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	return c, nil
}

// keyMatches reports whether key is the private half of leaf's public key.
func keyMatches(leaf *x509.Certificate, key crypto.Signer) bool {
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	return ok && pub.Equal(leaf.PublicKey)
}

// pickChallenge selects the configured challenge type of z.
func (m *Manager) pickChallenge(z *acme.Authorization) (*acme.Challenge, error) {
	var offered []string
	for _, c := range z.Challenges {
		if c.Type == m.challenge {
			return c, nil
		}
		offered = append(offered, c.Type)
	}
	return nil, fmt.Errorf("the CA offers no %s challenge for %s (offered: %s)", m.challenge, z.Identifier.Value, strings.Join(offered, ", "))
}

// fulfil makes the answer to chal available and returns a function that
// withdraws it.
func (m *Manager) fulfil(ctx context.Context, client *acme.Client, chal *acme.Challenge, domain string) (func(), error) {
	switch chal.Type {
	case TLSALPN01:
		cert, err := client.TLSALPN01ChallengeCert(chal.Token, domain)
		if err != nil {
			return nil, err
		}
		m.chalMu.Lock()
		m.alpnCerts[domain] = &cert
		m.chalMu.Unlock()
		return func() {
			m.chalMu.Lock()
			delete(m.alpnCerts, domain)
			m.chalMu.Unlock()
		}, nil
	case HTTP01:
		body, err := client.HTTP01ChallengeResponse(chal.Token)
		if err != nil {
			return nil, err
		}
		path := client.HTTP01ChallengePath(chal.Token)
		m.chalMu.Lock()
		m.httpTokens[path] = []byte(body)
		m.chalMu.Unlock()
		return func() {
			m.chalMu.Lock()
			delete(m.httpTokens, path)
			m.chalMu.Unlock()
		}, nil
	case DNS01:
		value, err := client.DNS01ChallengeRecord(chal.Token)
		if err != nil {
			return nil, err
		}
		remove, err := m.dns.present(ctx, domain, value)
		if err != nil {
			return nil, err
		}
		return func() {
			if err := remove(); err != nil {
				m.log.Warn("acme: challenge record not removed", "domain", domain, "err", err)
			}
		}, nil
	}
	return nil, fmt.Errorf("unsupported challenge %s", chal.Type)
}

// deactivate gives up a pending authorization, so the next order starts
// afresh (best effort).
func (m *Manager) deactivate(client *acme.Client, uri string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := client.RevokeAuthorization(ctx, uri); err != nil {
		m.log.Debug("acme: could not deactivate authorization", "uri", uri, "err", err)
	}
}

// store writes the key and chain to the cache as PEM (key first, then the
// chain, as autocert does).
func (m *Manager) store(ctx context.Context, c *tls.Certificate) error {
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		return fmt.Errorf("encoding the certificate key: %w", err)
	}
	var buf bytes.Buffer
	pem.Encode(&buf, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	for _, b := range c.Certificate {
		pem.Encode(&buf, &pem.Block{Type: "CERTIFICATE", Bytes: b})
	}
	if err := m.cache.Put(ctx, m.certName(), buf.Bytes()); err != nil {
		return fmt.Errorf("saving the certificate: %w", err)
	}
	return nil
}

// loadCached serves the cached certificate if it is still valid.
func (m *Manager) loadCached() error {
	data, err := m.cache.Get(context.Background(), m.certName())
	if errors.Is(err, autocert.ErrCacheMiss) {
		return nil
	}
	if err != nil {
		return err
	}
	var key crypto.Signer
	var chain [][]byte
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		switch {
		case strings.HasSuffix(b.Type, "PRIVATE KEY"):
			if key, err = parseKey(b.Bytes); err != nil {
				return fmt.Errorf("cached certificate key: %w", err)
			}
		case b.Type == "CERTIFICATE":
			chain = append(chain, b.Bytes)
		}
	}
	if key == nil {
		return errors.New("cached certificate has no key")
	}
	// One that lacks a newly configured name is served until Run
	// replaces it.
	c, err := m.certificate(chain, key, false)
	if err != nil {
		return fmt.Errorf("cached certificate: %w", err)
	}
	m.cert.Store(c)
	m.log.Info("acme: cached certificate loaded", "domains", c.Leaf.DNSNames,
		"not_after", c.Leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

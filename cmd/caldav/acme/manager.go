package acme

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
	"golang.org/x/net/idna"
)

// Directory URLs of Let's Encrypt.
const (
	LetsEncrypt        = acme.LetsEncryptURL
	LetsEncryptStaging = "https://acme-staging-v02.api.letsencrypt.org/directory"
)

// Challenge types.
const (
	TLSALPN01 = "tls-alpn-01"
	HTTP01    = "http-01"
	DNS01     = "dns-01"
)

// Config configures a Manager.
type Config struct {
	// Domains are the names the certificate is for (--host); the first
	// is its subject. Each needs at least one dot.
	Domains []string
	// Email is the contact address of the ACME account (--acme-email);
	// it may be empty.
	Email string
	// DirectoryURL is the CA's ACME directory (--acme-directory); empty
	// means Let's Encrypt.
	DirectoryURL string
	// CacheDir holds the account key and the certificates (--acme-cache);
	// it is created with mode 0700. It must not be inside a git
	// repository (see DefaultCacheDir).
	CacheDir string
	// Challenge is TLSALPN01, HTTP01 or DNS01. Empty means DNS01 when DNS
	// is set, else TLSALPN01.
	Challenge string
	// DNS configures the dns-01 challenge; required for it.
	DNS *DNSConfig
	// HTTPClient talks to the CA; nil means http.DefaultClient, which
	// trusts the system roots (and SSL_CERT_FILE).
	HTTPClient *http.Client
	// Logger receives the log; nil means slog.Default().
	Logger *slog.Logger
	// RenewBefore is how long before expiry the certificate is renewed.
	// Zero, or a value not shorter than the certificate's lifetime, means
	// a third of the lifetime (30 days for Let's Encrypt's 90-day ones).
	RenewBefore time.Duration
	// Now returns the current time; nil means time.Now. It decides when
	// to renew and whether a cached certificate is still valid.
	Now func() time.Time
}

// DefaultCacheDir is the default --acme-cache for the data directory
// dataDir: a directory beside it, named after it with "-acme" appended
// (./caldav-data → ./caldav-data-acme), so keys never end up in the
// repository.
func DefaultCacheDir(dataDir string) string {
	d, err := filepath.Abs(dataDir)
	if err != nil {
		d = filepath.Clean(dataDir)
	}
	return d + "-acme"
}

// Manager obtains and renews one certificate for Config.Domains and serves
// it to TLS listeners. Create it with New, serve GetCertificate (or
// TLSConfig) and, for http-01, HTTPHandler, then call Run.
type Manager struct {
	cfg       Config
	domains   []string
	challenge string
	dirURL    string
	log       *slog.Logger
	now       func() time.Time
	cache     autocert.Cache
	dns       *dnsUpdater

	cert atomic.Pointer[tls.Certificate] // served; Leaf is set

	chalMu     sync.RWMutex
	httpTokens map[string][]byte           // URL path → key authorization
	alpnCerts  map[string]*tls.Certificate // domain → tls-alpn-01 certificate

	obtainMu   sync.Mutex // one issuance at a time
	client     *acme.Client
	registered bool

	running atomic.Bool

	statMu sync.Mutex
	stat   Status

	// Retry and check intervals of Run; tests shorten them.
	retryMin, retryMax, checkEvery time.Duration
}

// New checks c, creates the cache directory and loads a cached
// certificate, which is served at once if still valid.
func New(c Config) (*Manager, error) {
	m := &Manager{
		cfg:        c,
		challenge:  c.Challenge,
		dirURL:     c.DirectoryURL,
		log:        c.Logger,
		now:        c.Now,
		httpTokens: map[string][]byte{},
		alpnCerts:  map[string]*tls.Certificate{},
		retryMin:   time.Minute,
		retryMax:   time.Hour,
		checkEvery: time.Hour,
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.dirURL == "" {
		m.dirURL = LetsEncrypt
	}
	if m.challenge == "" {
		m.challenge = TLSALPN01
		if c.DNS != nil {
			m.challenge = DNS01
		}
	}
	switch m.challenge {
	case TLSALPN01, HTTP01:
	case DNS01:
		if c.DNS == nil {
			return nil, errors.New("acme: dns-01 needs a DNS server and TSIG key (--dns-server, --dns-key)")
		}
		d := *c.DNS
		if err := d.check(); err != nil {
			return nil, fmt.Errorf("acme: %w", err)
		}
		m.dns = &dnsUpdater{cfg: d}
	default:
		return nil, fmt.Errorf("acme: unknown challenge %q (want %s, %s or %s)", m.challenge, TLSALPN01, HTTP01, DNS01)
	}
	if c.RenewBefore < 0 {
		return nil, errors.New("acme: negative RenewBefore")
	}
	if len(c.Domains) == 0 {
		return nil, errors.New("acme: no domain (--host) to get a certificate for")
	}
	for _, d := range c.Domains {
		name, err := checkDomain(d, m.challenge == DNS01)
		if err != nil {
			return nil, fmt.Errorf("acme: %w", err)
		}
		if !slices.Contains(m.domains, name) {
			m.domains = append(m.domains, name)
		}
	}
	if c.CacheDir == "" {
		return nil, errors.New("acme: no cache directory (--acme-cache)")
	}
	if repo := enclosingRepository(c.CacheDir); repo != "" {
		return nil, fmt.Errorf("acme: cache directory %s is inside the git repository %s; keep private keys out of it", c.CacheDir, repo)
	}
	if err := os.MkdirAll(c.CacheDir, 0o700); err != nil {
		return nil, fmt.Errorf("acme: cache directory: %w", err)
	}
	m.cache = autocert.DirCache(c.CacheDir)
	m.stat.Domains = slices.Clone(m.domains)
	m.stat.Challenge = m.challenge
	if err := m.loadCached(); err != nil {
		m.log.Warn("acme: cached certificate not usable; a new one will be obtained", "err", err)
	}
	return m, nil
}

// checkDomain normalises a name and checks autocert's rules: ASCII (IDNA),
// at least one dot, no IP address, wildcards only with dns-01.
func checkDomain(d string, wildcardOK bool) (string, error) {
	name := strings.TrimSuffix(strings.TrimSpace(d), ".")
	base := strings.TrimPrefix(name, "*.")
	if base != name && !wildcardOK {
		return "", fmt.Errorf("%q: wildcard names need the dns-01 challenge", d)
	}
	ascii, err := idna.Lookup.ToASCII(base)
	if err != nil {
		return "", fmt.Errorf("%q is not a DNS name: %w", d, err)
	}
	if !strings.Contains(ascii, ".") {
		return "", fmt.Errorf("%q is not a DNS name with a dot (e.g. caldav.example.org)", d)
	}
	if strings.Trim(ascii, "0123456789.") == "" || strings.Contains(ascii, ":") {
		return "", fmt.Errorf("%q: certificates are for DNS names, not IP addresses", d)
	}
	return strings.TrimSuffix(name, base) + ascii, nil
}

// enclosingRepository returns the git repository (work tree with .git, or
// bare repository) that contains dir, or "".
func enclosingRepository(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d
		}
		if isBareRepo(d) {
			return d
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// isBareRepo reports whether d looks like a bare git repository.
func isBareRepo(d string) bool {
	for _, f := range []string{"HEAD", "objects", "refs"} {
		if _, err := os.Stat(filepath.Join(d, f)); err != nil {
			return false
		}
	}
	return true
}

// Domains returns the certificate's names, normalised.
func (m *Manager) Domains() []string { return slices.Clone(m.domains) }

// GetCertificate implements tls.Config.GetCertificate: it answers
// tls-alpn-01 challenges and otherwise returns the current certificate,
// whatever name the client asked for. Before the first certificate is
// obtained it returns an error (the handshake fails).
func (m *Manager) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	if len(hello.SupportedProtos) == 1 && hello.SupportedProtos[0] == acme.ALPNProto {
		name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
		m.chalMu.RLock()
		c := m.alpnCerts[name]
		m.chalMu.RUnlock()
		if c == nil {
			return nil, fmt.Errorf("acme: no tls-alpn-01 challenge pending for %q", hello.ServerName)
		}
		return c, nil
	}
	if c := m.cert.Load(); c != nil {
		return c, nil
	}
	return nil, fmt.Errorf("acme: no certificate for %s obtained yet", m.domains[0])
}

// TLSConfig is a server configuration using GetCertificate: TLS 1.2 at
// least, HTTP/2 and HTTP/1.1, and the tls-alpn-01 protocol.
func (m *Manager) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: m.GetCertificate,
		NextProtos:     []string{"h2", "http/1.1", acme.ALPNProto},
	}
}

// challengePrefix is the path of http-01 challenges.
const challengePrefix = "/.well-known/acme-challenge/"

// HTTPHandler serves http-01 challenges on the port-80 listener and passes
// every other request to fallback. A nil fallback redirects GET and HEAD
// to https on the default port and refuses other methods.
func (m *Manager) HTTPHandler(fallback http.Handler) http.Handler {
	if fallback == nil {
		fallback = http.HandlerFunc(redirectHTTPS)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, challengePrefix) {
			fallback.ServeHTTP(w, r)
			return
		}
		m.chalMu.RLock()
		body, ok := m.httpTokens[r.URL.Path]
		m.chalMu.RUnlock()
		if !ok {
			http.Error(w, "no such ACME challenge", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
}

// redirectHTTPS sends GET and HEAD to the same URL on https.
func redirectHTTPS(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "use HTTPS", http.StatusBadRequest)
		return
	}
	host := r.Host
	if i := strings.LastIndex(host, ":"); i > strings.LastIndex(host, "]") {
		host = host[:i]
	}
	http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusFound)
}

// Run obtains the certificate when there is none (or the cached one does
// not cover every domain), renews it before it expires, and retries
// failures with a growing delay (1 minute up to 1 hour), until ctx ends;
// it then returns ctx's error. The listeners must be serving
// GetCertificate (tls-alpn-01) or HTTPHandler (http-01) before Run is
// called. Run may be called only once at a time.
func (m *Manager) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("acme: Run is already running")
	}
	defer m.running.Store(false)
	failures := 0
	for {
		wait := m.checkEvery
		if due, at := m.renewalDue(); due {
			if err := m.Renew(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failures++
				wait = min(m.retryMin<<min(failures-1, 20), m.retryMax)
				m.log.Error("acme: could not obtain a certificate; the current one stays in use",
					"domains", m.domains, "err", err, "retry_in", wait.String(), "consecutive_failures", failures)
			} else {
				failures = 0
				if _, at := m.renewalDue(); at.Sub(m.now()) < wait {
					// Never less than retryMin: a clock far off from the
					// CA's must not turn into a stream of orders.
					wait = max(at.Sub(m.now()), m.retryMin)
				}
			}
		} else if d := at.Sub(m.now()); d < wait {
			wait = d
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// renewalDue reports whether a new certificate is needed now, and when
// the current one is due for renewal.
func (m *Manager) renewalDue() (bool, time.Time) {
	c := m.cert.Load()
	if c == nil || !covers(c, m.domains) {
		return true, m.now()
	}
	at := renewAt(c, m.cfg.RenewBefore)
	return !m.now().Before(at), at
}

// renewAt is when the certificate c should be renewed.
func renewAt(c *tls.Certificate, before time.Duration) time.Time {
	life := c.Leaf.NotAfter.Sub(c.Leaf.NotBefore)
	if before <= 0 || before >= life {
		before = life / 3
	}
	return c.Leaf.NotAfter.Add(-before)
}

// covers reports whether c's leaf names every domain.
func covers(c *tls.Certificate, domains []string) bool {
	for _, d := range domains {
		if !slices.Contains(c.Leaf.DNSNames, d) {
			return false
		}
	}
	return true
}

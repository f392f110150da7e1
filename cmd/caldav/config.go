package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gocaldav/gocaldav/caldav/recur"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/webmachine"
)

// config is the server's command line, validated.
type config struct {
	// storage and remote
	dataDir       string
	adminPassword string
	remote        string
	sshKey        string
	sshHostKey    string
	sshKnownHosts string
	sshPassword   string
	tlsAuth       tlsAuthFlag // --tls-authenticator
	push          string

	// listeners
	httpAddr    string
	httpsAddr   string
	host        string
	tlsCert     string
	tlsKey      string
	tlsDir      string
	tlsProxy    bool
	metricsAddr string
	pprof       bool

	// ACME
	hosts         []string // all --host names
	acme          bool
	acmeEmail     string
	acmeDirectory string
	acmeCache     string
	acmeChallenge string
	dnsKey        string
	dnsServer     string
	dnsPort       int

	// accounts
	tofu         bool
	authHeader   string
	trustedProxy []netip.Prefix

	// web UI
	webUI    string
	language string

	// operations
	trace     webmachine.TraceMode
	logLevel  string
	logFormat string
	syslog    string
	// packInterval is how long commits may stay only in the journal
	// before they are written to a pack (gitstore.Options.PackInterval).
	packInterval time.Duration
	// shutdownTimeout bounds a graceful shutdown: requests in flight
	// and pending pushes.
	shutdownTimeout time.Duration

	// limits
	maxBody        int64
	maxXMLDepth    int
	maxXMLElements int
	maxInstances   int
	horizonYears   int
	readTimeout    time.Duration
	writeTimeout   time.Duration
	idleTimeout    time.Duration
	maxHeaderBytes int
	maxConns       int
}

// group names a section of --help.
type flagGroup struct {
	title string
	names []string
}

var flagGroups = []flagGroup{
	{"Storage", []string{"data", "admin-password", "admin-password-file", "pack-interval"}},
	{"Git remote", []string{"remote", "push", "ssh-key", "ssh-authenticator", "authenticator", "ssh-known-hosts", "ssh-password", "tls-authenticator"}},
	{"Listeners", []string{"http", "https", "host", "tls-cert", "tls-key", "tls-dir", "tls-proxy", "metrics", "pprof"}},
	{"Certificates (ACME)", []string{"acme", "acme-email", "acme-directory", "acme-cache", "acme-challenge",
		"dns-key", "acme-dns-key", "dns-server", "acme-dns-server", "dns-port"}},
	{"Accounts", []string{"tofu", "auth-header", "trusted-proxy"}},
	{"Web UI", []string{"web-ui", "language"}},
	{"Operations", []string{"log-level", "log-format", "syslog", "trace", "shutdown-timeout"}},
	{"Limits", []string{"max-body", "max-xml-depth", "max-xml-elements", "max-instances", "recurrence-horizon", "read-timeout", "write-timeout", "idle-timeout", "max-header-bytes", "max-conns-per-client"}},
}

// parseConfig reads the command line args (without the program name);
// --help prints the usage to usage. Every flag may also be given as an environment variable CALDAV_NAME
// (upper case, dashes as underscores); the command line wins.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("caldav", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported in one line by main
	fs.Usage = func() {}     // the flag package calls it on every error
	var traceMode, adminPasswordFile, trusted string
	fs.StringVar(&c.dataDir, "data", "./caldav-data", "data directory: a bare git repository, created when missing")
	fs.StringVar(&c.adminPassword, "admin-password", "", "password of user root, required on first start")
	fs.StringVar(&adminPasswordFile, "admin-password-file", "", "file holding the password of user root")
	fs.StringVar(&c.remote, "remote", "", "git remote to push to: URL[#branch] (git://, http(s)://, ssh://, user@host:path, file://)")
	fs.StringVar(&c.push, "push", "async", "push mode: async (in the background) or sync (before answering, as robur)")
	fs.StringVar(&c.sshKey, "ssh-key", "", "ssh key for the remote: ed25519:BASE64 seed or a private key file")
	fs.StringVar(&c.sshHostKey, "ssh-authenticator", "", "pinned ssh host key of the remote: SHA256:BASE64")
	fs.StringVar(&c.sshHostKey, "authenticator", "", "alias of --ssh-authenticator (robur's older name)")
	fs.StringVar(&c.sshKnownHosts, "ssh-known-hosts", "", "known_hosts file for the remote's ssh host key")
	fs.StringVar(&c.sshPassword, "ssh-password", "", "ssh password for the remote")
	fs.Var(&c.tlsAuth, "tls-authenticator", "check of an https remote's certificate: cert-fp:SHA256:BASE64 or key-fp:SHA256:BASE64 (pin), trust-anchor:BASE64DER, or a PEM file of trusted CAs")
	fs.StringVar(&c.httpAddr, "http", "", "listen for plain HTTP on [ADDR:]PORT")
	fs.StringVar(&c.httpsAddr, "https", "", "listen for HTTPS on [ADDR:]PORT; --http then redirects to it")
	fs.StringVar(&c.host, "host", "", "host name for absolute URLs (default: from the request)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate chain (PEM), reloaded when it changes")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS private key (PEM)")
	fs.StringVar(&c.tlsDir, "tls-dir", "", "directory with robur's server.pem and server.key")
	fs.BoolVar(&c.tlsProxy, "tls-proxy", false, "plain HTTP behind a TLS-terminating proxy: URLs are https")
	fs.BoolVar(&c.acme, "acme", false, "obtain and renew the certificate for --host with ACME (Let's Encrypt)")
	fs.StringVar(&c.acmeEmail, "acme-email", "", "contact address for the ACME account")
	fs.StringVar(&c.acmeDirectory, "acme-directory", "", "ACME directory URL (default Let's Encrypt; staging or a private CA)")
	fs.StringVar(&c.acmeCache, "acme-cache", "", "directory for ACME keys and certificates (default: DATA-acme beside --data)")
	fs.StringVar(&c.acmeChallenge, "acme-challenge", "", "tls-alpn-01 (default), http-01 (needs --http on port 80) or dns-01 (default with --dns-key)")
	fs.StringVar(&c.dnsKey, "dns-key", "", "TSIG key for DNS-01 updates (RFC 2136): NAME:ALG:BASE64, as robur")
	fs.StringVar(&c.dnsKey, "acme-dns-key", "", "alias of --dns-key")
	fs.StringVar(&c.dnsServer, "dns-server", "", "DNS server accepting the DNS-01 updates")
	fs.StringVar(&c.dnsServer, "acme-dns-server", "", "alias of --dns-server")
	fs.IntVar(&c.dnsPort, "dns-port", 53, "port of --dns-server")
	fs.StringVar(&c.metricsAddr, "metrics", "", "serve Prometheus metrics at /metrics on [ADDR:]PORT")
	fs.BoolVar(&c.pprof, "pprof", false, "also serve Go's runtime profiles at /debug/pprof/ on the --metrics listener")
	fs.BoolVar(&c.tofu, "tofu", false, "trust on first use: create unknown users at their first login")
	fs.StringVar(&c.authHeader, "auth-header", "", "take the user from this request header (set by an authenticating proxy)")
	fs.StringVar(&trusted, "trusted-proxy", "", "comma-separated CIDRs allowed to set --auth-header")
	fs.StringVar(&c.webUI, "web-ui", "", "directory of a static web UI (CalDavZAP) served at /")
	fs.StringVar(&c.language, "language", "", "CalDavZAP interface language (globalInterfaceLanguage), e.g. de_DE")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&c.syslog, "syslog", "", "also send logs as RFC 5424 syslog to udp://HOST:PORT or tcp://HOST:PORT")
	fs.StringVar(&traceMode, "trace", "off", "webmachine decision trace: off, log or header")
	fs.DurationVar(&c.shutdownTimeout, "shutdown-timeout", 30*time.Second, "on SIGTERM, how long to finish requests and push pending commits")
	fs.DurationVar(&c.packInterval, "pack-interval", 30*time.Second, "how long commits may stay only in the journal before they are packed")
	fs.Int64Var(&c.maxBody, "max-body", 10<<20, "largest request body in bytes")
	fs.IntVar(&c.maxXMLDepth, "max-xml-depth", 64, "deepest XML nesting accepted")
	fs.IntVar(&c.maxXMLElements, "max-xml-elements", dav.DefaultMaxXMLElements, "most elements in one XML request body (more answers 413)")
	fs.IntVar(&c.maxInstances, "max-instances", recur.DefaultMaxInstances, "most recurrence instances one event expands to in a report (more answers 507)")
	fs.IntVar(&c.horizonYears, "recurrence-horizon", recur.DefaultHorizonYears, "years after an event's start (or now) beyond which no recurrence is generated")
	fs.DurationVar(&c.readTimeout, "read-timeout", 60*time.Second, "time to read a whole request")
	fs.DurationVar(&c.writeTimeout, "write-timeout", 120*time.Second, "time to write a whole answer")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 120*time.Second, "keep-alive idle time")
	fs.IntVar(&c.maxHeaderBytes, "max-header-bytes", 64<<10, "largest request header in bytes")
	fs.IntVar(&c.maxConns, "max-conns-per-client", 64, "open connections allowed per client address (0: no limit; behind a reverse proxy every client has the proxy's address)")
	if err := applyEnv(fs, getenv); err != nil {
		return nil, err
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage(fs, usage)
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if adminPasswordFile != "" {
		b, err := os.ReadFile(adminPasswordFile)
		if err != nil {
			return nil, fmt.Errorf("--admin-password-file: %w", err)
		}
		c.adminPassword = strings.TrimRight(string(b), "\r\n")
	}
	var err error
	if c.trace, err = webmachine.ParseTraceMode(traceMode); err != nil {
		return nil, fmt.Errorf("--trace: %w", err)
	}
	if err := c.validate(trusted); err != nil {
		return nil, err
	}
	return c, nil
}

// validate checks values and combinations.
func (c *config) validate(trusted string) error {
	var err error
	if c.httpAddr == "" && c.httpsAddr == "" {
		return errors.New("no listener: give --http [ADDR:]PORT and/or --https [ADDR:]PORT")
	}
	for _, l := range []struct {
		name string
		addr *string
	}{{"--http", &c.httpAddr}, {"--https", &c.httpsAddr}, {"--metrics", &c.metricsAddr}} {
		if *l.addr == "" {
			continue
		}
		if *l.addr, err = listenAddr(*l.addr); err != nil {
			return fmt.Errorf("%s: %w", l.name, err)
		}
	}
	if c.tlsProxy && c.httpsAddr != "" {
		return errors.New("--tls-proxy is for plain HTTP behind a proxy: it cannot be combined with --https")
	}
	if c.pprof && c.metricsAddr == "" {
		return errors.New("--pprof serves on the --metrics listener: give --metrics [ADDR:]PORT")
	}
	// --host may list several names (for the certificate); the first
	// makes absolute URLs.
	c.hosts = splitList(c.host)
	if len(c.hosts) > 0 {
		c.host = c.hosts[0]
	}
	if c.acme {
		switch {
		case c.httpsAddr == "":
			return errors.New("--acme needs --https")
		case c.host == "":
			return errors.New("--acme needs --host with the certificate's DNS name(s)")
		case c.tlsDir != "" || c.tlsCert != "" || c.tlsKey != "":
			return errors.New("--acme obtains the certificate itself: drop --tls-cert, --tls-key and --tls-dir")
		case (c.dnsKey == "") != (c.dnsServer == ""):
			return errors.New("DNS-01 needs both --dns-key and --dns-server")
		}
	} else if c.httpsAddr != "" {
		switch {
		case c.tlsDir != "" && (c.tlsCert != "" || c.tlsKey != ""):
			return errors.New("give either --tls-dir or --tls-cert and --tls-key, not both")
		case c.tlsDir == "" && (c.tlsCert == "" || c.tlsKey == ""):
			return errors.New("--https needs --tls-cert and --tls-key (or --tls-dir)")
		}
	}
	switch c.push {
	case "async", "sync":
	default:
		return fmt.Errorf("--push must be async or sync, not %q", c.push)
	}
	switch c.logFormat {
	case "text", "json":
	default:
		return fmt.Errorf("--log-format must be text or json, not %q", c.logFormat)
	}
	switch strings.ToLower(c.logLevel) {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("--log-level must be debug, info, warn or error, not %q", c.logLevel)
	}
	if strings.HasPrefix(c.sshKey, "rsa:") {
		return errors.New("--ssh-key rsa:SEED is robur's own key derivation and is not supported: use ed25519:BASE64 or a private key file")
	}
	if c.syslog != "" && !strings.HasPrefix(c.syslog, "udp://") && !strings.HasPrefix(c.syslog, "tcp://") {
		// robur's --syslog takes an address: UDP.
		c.syslog = "udp://" + c.syslog
	}
	for _, p := range strings.Split(trusted, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pre, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("--trusted-proxy: %q is not a CIDR or address", p)
			}
			pre = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.trustedProxy = append(c.trustedProxy, pre)
	}
	if c.authHeader != "" && len(c.trustedProxy) == 0 {
		return errors.New("--auth-header needs --trusted-proxy: otherwise anyone could set the header")
	}
	if c.webUI != "" {
		if st, err := os.Stat(c.webUI); err != nil || !st.IsDir() {
			return fmt.Errorf("--web-ui %s is not a directory", c.webUI)
		}
	}
	if c.packInterval <= 0 {
		return errors.New("--pack-interval must be positive")
	}
	if c.shutdownTimeout <= 0 {
		return errors.New("--shutdown-timeout must be positive")
	}
	for _, l := range []struct {
		name  string
		value int64
	}{{"--max-body", c.maxBody}, {"--max-xml-depth", int64(c.maxXMLDepth)}, {"--max-xml-elements", int64(c.maxXMLElements)},
		{"--max-instances", int64(c.maxInstances)}, {"--recurrence-horizon", int64(c.horizonYears)}} {
		if l.value <= 0 {
			return fmt.Errorf("%s must be positive, not %d", l.name, l.value)
		}
	}
	return nil
}

// printUsage lists every flag with its default, grouped.
func printUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprintf(w, "usage: caldav --data DIR --admin-password P --http [ADDR:]PORT [flags]\n")
	fmt.Fprintf(w, "       caldav passwd --data DIR USER        (set a password offline)\n")
	fmt.Fprintf(w, "       caldav import --data DIR --calendar NAME --user USER FILE.ics\n\n")
	fmt.Fprintf(w, "Each flag may also be set as CALDAV_NAME in the environment (e.g. CALDAV_ADMIN_PASSWORD).\n")
	groups := flagGroups
	if other := ungrouped(fs); len(other) > 0 {
		groups = append(groups[:len(groups):len(groups)], flagGroup{"Other", other})
	}
	for _, g := range groups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, n := range g.names {
			f := fs.Lookup(n)
			if f == nil {
				continue
			}
			def := ""
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				def = " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "  --%-22s %s%s\n", n, f.Usage, def)
		}
	}
}

// ungrouped returns the flags no group lists, so --help shows them too.
func ungrouped(fs *flag.FlagSet) []string {
	grouped := map[string]bool{}
	for _, g := range flagGroups {
		for _, n := range g.names {
			grouped[n] = true
		}
	}
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if !grouped[f.Name] {
			names = append(names, f.Name)
		}
	})
	return names
}

// applyEnv sets each flag from CALDAV_NAME when that variable is set.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "CALDAV_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", name, e)
			}
		}
	})
	return err
}

// listenAddr accepts robur's bare port ("8080") and ADDR:PORT.
func listenAddr(s string) (string, error) {
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return ":" + s, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return "", fmt.Errorf("%q is not [ADDR:]PORT", s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return "", fmt.Errorf("%q: bad port", s)
	}
	return net.JoinHostPort(host, port), nil
}

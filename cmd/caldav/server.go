package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gocaldav/gocaldav/caldav"
	"github.com/gocaldav/gocaldav/cmd/caldav/acme"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/account"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// openStore opens the data repository with the remote the flags name.
func openStore(ctx context.Context, cfg *config, log *slog.Logger) (*gitstore.Store, error) {
	o := gitstore.Options{Logger: log, Push: gitstore.PushAsync, PackInterval: cfg.packInterval}
	if cfg.push == "sync" {
		o.Push = gitstore.PushSync
	}
	if cfg.remote != "" {
		auth := gitstore.RemoteAuth{SSHKey: cfg.sshKey, SSHHostKey: cfg.sshHostKey, KnownHosts: cfg.sshKnownHosts,
			SSHPassword: cfg.sshPassword}
		cfg.tlsAuth.apply(&auth)
		r, err := gitstore.ParseRemote(cfg.remote, auth)
		if err != nil {
			return nil, fmt.Errorf("--remote: %w", err)
		}
		o.Remote = r
		log.Info("pushing to remote", "remote", r.String(), "push", cfg.push)
	}
	store, err := gitstore.Open(ctx, cfg.dataDir, o)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", cfg.dataDir, err)
	}
	return store, nil
}

// app is the assembled server.
type app struct {
	cfg      *config
	log      *slog.Logger
	store    *gitstore.Store
	accounts *account.Manager
	metrics  *metrics
	handler  http.Handler
}

// newApp wires the store, accounts, WebDAV, CalDAV, the administration
// API, the web UI and the middleware.
func newApp(ctx context.Context, cfg *config, log *slog.Logger, store *gitstore.Store) (*app, error) {
	a := &app{cfg: cfg, log: log, store: store, metrics: newMetrics(store, cfg.dataDir)}
	a.accounts = account.New(store, account.Options{Logger: log})
	a.metrics.throttledLogins(a.accounts.ThrottledLogins)
	matches, err := a.accounts.Bootstrap(ctx, cfg.adminPassword)
	if err != nil {
		return nil, err
	}
	if !matches {
		log.Warn("--admin-password differs from root's stored password; the stored one stays (use 'caldav passwd root' to reset it)")
	}
	auth, adminAuth := a.authenticator(cfg.tofu), a.authenticator(false)
	srv := &dav.Server{Store: store, Logger: log, Auth: auth, Access: &dav.ACLAccess{},
		DAVClasses: "1, 3, access-control, extended-mkcol",
		Limits:     dav.Limits{MaxBody: cfg.maxBody, MaxXMLDepth: cfg.maxXMLDepth, MaxXMLElements: cfg.maxXMLElements}}
	caldav.Register(srv, caldav.Options{Logger: log, MaxResourceSize: int(cfg.maxBody),
		ExpandLimit: cfg.maxInstances, HorizonYears: cfg.horizonYears})

	rt := &webmachine.Router{Options: webmachine.Options{Trace: cfg.trace, Logger: log}}
	rt.Handle("/healthz", func(*http.Request, map[string]string) webmachine.Resource { return healthz{store: store} })
	rt.Handle(caldav.WellKnownPath, caldav.WellKnown)
	a.accounts.RoutesWith(rt, adminAuth)
	srv.Routes(rt)
	if cfg.webUI != "" {
		ui := webUI{dir: cfg.webUI, language: cfg.language}
		rt.NotFound = ui
		a.handler = rootSplit(ui, rt)
	} else {
		a.handler = rt
	}
	a.handler = accessLog(withScheme(serving(a.handler, store), cfg), log, a.metrics)
	return a, nil
}

// authenticator is the stored users' HTTP Basic (trusting on first use
// when tofu), behind the proxy header when configured, recording the user
// for the access log and counting failed logins.
func (a *app) authenticator(tofu bool) dav.Authenticator {
	var auth dav.Authenticator = a.accounts.Authenticator(tofu)
	if a.cfg.authHeader != "" {
		auth = proxyAuth{inner: auth, header: a.cfg.authHeader, trusted: a.cfg.trustedProxy, accounts: a.accounts, log: a.log}
	}
	return recordingAuth{inner: auth, m: a.metrics}
}

// rootSplit sends GET and HEAD of "/" to the web UI and everything else
// to the router (PROPFIND / is principal discovery).
func rootSplit(ui webUI, rt http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			ui.ServeHTTP(w, r)
			return
		}
		rt.ServeHTTP(w, r)
	})
}

// serving tells the store while a request is served, so that its
// background work (merging packs) waits for a pause in requests.
func serving(next http.Handler, store *gitstore.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer store.Serving()()
		next.ServeHTTP(w, r)
	})
}

// withScheme sets X-Forwarded-Proto (https with --tls-proxy) and
// X-Forwarded-Host (--host), from which absolute URLs are made; values a
// client sent are dropped.
func withScheme(next http.Handler, cfg *config) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Del("X-Forwarded-Proto")
		r.Header.Del("X-Forwarded-Host")
		if cfg.tlsProxy {
			r.Header.Set("X-Forwarded-Proto", "https")
		}
		if cfg.host != "" {
			r.Header.Set("X-Forwarded-Host", cfg.host)
		}
		next.ServeHTTP(w, r)
	})
}

// run opens the store, serves until ctx ends, then shuts down gracefully:
// stop accepting, finish requests in flight, flush pending pushes.
func run(ctx context.Context, cfg *config, log *slog.Logger) error {
	// The certificate is read before the store is opened, so a missing
	// one changes nothing on disk.
	var tlsConf *tls.Config
	var certs *acme.Manager
	switch {
	case cfg.acme:
		var err error
		if certs, err = newACME(cfg, log); err != nil {
			return err
		}
		tlsConf = certs.TLSConfig()
	case cfg.httpsAddr != "":
		certFile, keyFile := tlsFiles(cfg)
		cert, err := newCertReloader(certFile, keyFile, log)
		if err != nil {
			return err
		}
		tlsConf = tlsConfig(cert)
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close()
	a, err := newApp(ctx, cfg, log, store)
	if err != nil {
		return err
	}
	if certs != nil {
		a.metrics.reg.MustRegister(certs.Collector())
		go func() {
			if err := certs.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("ACME certificate manager stopped", "err", err)
			}
		}()
	}
	var servers []*http.Server
	errc := make(chan error, 3)
	// serve listens on addr and returns the address bound (port 0 picks one).
	serve := func(addr string, h http.Handler, tc *tls.Config, what string) (string, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return "", fmt.Errorf("listening on %s: %w", addr, err)
		}
		ln = limitPerClient(ln, cfg.maxConns)
		hs := &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       cfg.readTimeout,
			WriteTimeout:      cfg.writeTimeout,
			IdleTimeout:       cfg.idleTimeout,
			MaxHeaderBytes:    cfg.maxHeaderBytes,
			ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		}
		servers = append(servers, hs)
		log.Info("caldav listening", what, ln.Addr().String(), "data", cfg.dataDir)
		go func() {
			if tc != nil {
				hs.TLSConfig = tc
				errc <- hs.ServeTLS(ln, "", "")
				return
			}
			errc <- hs.Serve(ln)
		}()
		return ln.Addr().String(), nil
	}
	var httpsAddr string
	if cfg.httpsAddr != "" {
		if httpsAddr, err = serve(cfg.httpsAddr, a.handler, tlsConf, "https"); err != nil {
			return err
		}
	}
	if cfg.httpAddr != "" {
		h := a.handler
		if httpsAddr != "" {
			h = redirectToHTTPS(cfg.host, httpsAddr)
		}
		if certs != nil {
			h = certs.HTTPHandler(h) // answers HTTP-01 challenges
		}
		if _, err := serve(cfg.httpAddr, h, nil, "http"); err != nil {
			return err
		}
	}
	if cfg.metricsAddr != "" {
		if _, err := serve(cfg.metricsAddr, a.metrics.handler(cfg.pprof), nil, "metrics"); err != nil {
			return err
		}
	}
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	case <-ctx.Done():
	}
	log.Info("caldav shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	for _, hs := range servers {
		if err := hs.Shutdown(shutdown); err != nil {
			log.Warn("shutting down a listener", "err", err)
		}
	}
	if err := store.Flush(shutdown); err != nil {
		return unpushed(store.PushStatus(), cfg, err)
	}
	return nil
}

// unpushed is the error of a shutdown that could not push everything: it
// says how many commits wait, that they are safe, and why.
func unpushed(st gitstore.PushStatus, cfg *config, err error) error {
	n := "1 commit"
	if st.Pending != 1 {
		n = fmt.Sprintf("%d commits", st.Pending)
	}
	why := st.LastError
	if why == "" {
		why = err.Error()
	}
	if errors.Is(err, gitstore.ErrDiverged) {
		return fmt.Errorf("%s not pushed: the remote branch has commits this server lacks and is never overwritten; "+
			"kept in %s. Reconcile the two histories by hand before the next start, which refuses otherwise (%s)",
			n, cfg.dataDir, why)
	}
	return fmt.Errorf("%s not pushed to the remote within --shutdown-timeout %s: kept in %s, to be pushed at the next start (last error: %s)",
		n, cfg.shutdownTimeout, cfg.dataDir, why)
}

// healthz answers GET /healthz: 200 while the store is readable, with the
// push lag. A remote that is down, or that moved and rejects our pushes,
// does not make it fail: the server keeps serving and committing locally
// (as robur's does), so a load balancer must not take it out; the body
// says "push pending N", "push lag Ns" and "push error ..." instead, for
// monitoring to alert on (the metrics carry the same figures).
type healthz struct {
	webmachine.Base
	store *gitstore.Store
}

// ContentTypesProvided reports the head commit and the push state.
func (h healthz) ContentTypesProvided(context.Context, *webmachine.Request) ([]webmachine.Provider, error) {
	return []webmachine.Provider{{MediaType: "text/plain", Write: func(_ context.Context, rq *webmachine.Request) error {
		snap := h.store.Head()
		if _, err := snap.List(""); err != nil {
			return webmachine.HaltWith(http.StatusServiceUnavailable, "text/plain", []byte("store unreadable\n"))
		}
		st := h.store.PushStatus()
		body := fmt.Sprintf("ok\ncommit %s\npush pending %d\n", snap.Commit(), st.Pending)
		if !st.Oldest.IsZero() {
			body += fmt.Sprintf("push lag %ds\n", max(0, int64(time.Since(st.Oldest).Seconds())))
		}
		if st.LastError != "" {
			body += "push error " + st.LastError + "\n"
		}
		if !st.LastPush.IsZero() {
			body += "last push " + st.LastPush.UTC().Format(time.RFC3339) + "\n"
		}
		rq.SetBody([]byte(body))
		return nil
	}}}, nil
}

// proxyAuth takes the user from a header set by an authenticating reverse
// proxy, but only on connections from the trusted addresses; other
// requests authenticate as usual.
type proxyAuth struct {
	inner    dav.Authenticator
	header   string
	trusted  []netip.Prefix
	accounts *account.Manager
	log      *slog.Logger
}

// Authenticate implements dav.Authenticator.
func (p proxyAuth) Authenticate(ctx context.Context, r *http.Request) (*dav.Principal, string, error) {
	user := r.Header.Get(p.header)
	if user == "" || !p.fromTrusted(r) {
		return p.inner.Authenticate(ctx, r)
	}
	who, err := p.accounts.Principal(user)
	if err != nil {
		return nil, "", err
	}
	if who == nil {
		p.log.InfoContext(ctx, "proxy-authenticated user is unknown", "user", user)
		return nil, `Basic realm="` + dav.Realm + `"`, nil
	}
	return who, "", nil
}

// fromTrusted reports whether the connection comes from a trusted proxy.
func (p proxyAuth) fromTrusted(r *http.Request) bool {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	for _, pre := range p.trusted {
		if pre.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// newACME builds the certificate manager the ACME flags describe.
func newACME(cfg *config, log *slog.Logger) (*acme.Manager, error) {
	c := acme.Config{
		Domains:      cfg.hosts,
		Email:        cfg.acmeEmail,
		DirectoryURL: cfg.acmeDirectory,
		CacheDir:     cfg.acmeCache,
		Challenge:    cfg.acmeChallenge,
		Logger:       log,
	}
	if c.CacheDir == "" {
		c.CacheDir = acme.DefaultCacheDir(cfg.dataDir)
	}
	if cfg.dnsKey != "" {
		name, alg, secret, err := acme.ParseDNSKey(cfg.dnsKey)
		if err != nil {
			return nil, fmt.Errorf("--dns-key: %w", err)
		}
		c.DNS = &acme.DNSConfig{Server: net.JoinHostPort(cfg.dnsServer, strconv.Itoa(cfg.dnsPort)),
			KeyName: name, Algorithm: alg, Secret: secret}
	}
	m, err := acme.New(c)
	if err != nil {
		return nil, fmt.Errorf("--acme: %w", err)
	}
	return m, nil
}

// splitList splits a comma-separated flag value.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

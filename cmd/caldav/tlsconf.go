package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// certReloader serves a certificate from files and reloads it when they
// change (checked at most every few seconds), so renewed certificates are
// picked up without a restart. Any change of either file's time or size
// counts, also to an older time (a restored backup, cp -p). A broken new
// pair keeps the old one, with one warning until the files change again.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu      sync.Mutex
	cert    *tls.Certificate
	seen    fileStamp // of the files last loaded or tried
	checked time.Time
}

// fileStamp identifies a version of the two files.
type fileStamp [2]struct {
	mod, size int64 // modification time in Unix nanoseconds, size
}

// newCertReloader loads the pair once; an unreadable pair is an error.
func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	r := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	st, err := r.stamp()
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	if err := r.load(st); err != nil {
		return nil, err
	}
	return r, nil
}

// tlsFiles returns the certificate and key files the flags name: robur's
// server.pem and server.key in --tls-dir, or --tls-cert and --tls-key.
func tlsFiles(cfg *config) (string, string) {
	if cfg.tlsDir != "" {
		return filepath.Join(cfg.tlsDir, "server.pem"), filepath.Join(cfg.tlsDir, "server.key")
	}
	return cfg.tlsCert, cfg.tlsKey
}

// stamp reads the times and sizes of the two files.
func (r *certReloader) stamp() (fileStamp, error) {
	var st fileStamp
	for i, f := range []string{r.certFile, r.keyFile} {
		fi, err := os.Stat(f)
		if err != nil {
			return fileStamp{}, err
		}
		st[i].mod, st[i].size = fi.ModTime().UnixNano(), fi.Size()
	}
	return st, nil
}

// load reads the pair; st is the files' stamp, read before.
func (r *certReloader) load(st fileStamp) error {
	cert, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen, r.checked = st, time.Now()
	if err != nil {
		return fmt.Errorf("TLS certificate %s: %w", r.certFile, err)
	}
	r.cert = &cert
	return nil
}

// reloadEvery is how often the files are looked at.
const reloadEvery = 2 * time.Second

// GetCertificate implements tls.Config.GetCertificate.
func (r *certReloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	due := time.Since(r.checked) > reloadEvery
	if due {
		r.checked = time.Now()
	}
	seen := r.seen
	r.mu.Unlock()
	if due {
		if st, err := r.stamp(); err == nil && st != seen {
			if err := r.load(st); err != nil {
				r.log.Warn("TLS certificate changed but cannot be loaded; keeping the old one", "err", err)
			} else {
				r.log.Info("TLS certificate reloaded", "file", r.certFile)
			}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cert, nil
}

// tlsConfig is the server's TLS configuration: TLS 1.2 at least.
func tlsConfig(r *certReloader) *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: r.GetCertificate}
}

// redirectToHTTPS answers every plain HTTP request with a 301 to the same
// path on https (robur drops :443 from the URL; so do we). The host is
// --host, with the HTTPS port unless --host names a port itself (a port
// forwarded elsewhere), or else the request's host.
func redirectToHTTPS(host, httpsAddr string) http.Handler {
	_, port, _ := net.SplitHostPort(httpsAddr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, hostPort := host, false
		if h == "" {
			h = r.Host
			if hh, _, err := net.SplitHostPort(h); err == nil {
				h = hh
			}
		} else if _, _, err := net.SplitHostPort(h); err == nil {
			hostPort = true
		}
		if !hostPort && port != "" && port != "443" {
			h = net.JoinHostPort(strings.Trim(h, "[]"), port)
		}
		target := "https://" + h + r.URL.RequestURI()
		http.Redirect(w, r, target, http.StatusMovedPermanently)
	})
}

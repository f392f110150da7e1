package acme_test

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gocaldav/gocaldav/cmd/caldav/acme"
)

// The wiring in the server binary: flags into Config, the HTTPS listener
// on GetCertificate, the port-80 listener on HTTPHandler (needed for
// http-01, harmless otherwise), the metrics, and the background loop.
func Example() {
	ctx := context.Background()
	m, err := acme.New(acme.Config{
		Domains:   []string{"caldav.example.org"},           // --host
		Email:     "admin@example.org",                      // --acme-email
		CacheDir:  acme.DefaultCacheDir("/srv/caldav-data"), // --acme-cache, default beside --data
		Challenge: acme.TLSALPN01,                           // or acme.HTTP01; DNS set → dns-01
		Logger:    slog.Default(),
	})
	if err != nil {
		slog.Error("acme", "err", err)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collector())

	handler := http.NotFoundHandler() // the CalDAV handler
	https := &http.Server{Addr: ":443", Handler: handler, TLSConfig: m.TLSConfig()}
	go https.ListenAndServeTLS("", "")                               // certificates come from m
	port80 := &http.Server{Addr: ":80", Handler: m.HTTPHandler(nil)} // nil: redirect to https
	go port80.ListenAndServe()

	go m.Run(ctx) // obtains the first certificate, then renews; logs and counts failures
}

// DNS-01 with robur's flags: --dns-key NAME:ALG:BASE64 --dns-server ADDR --dns-port PORT.
func ExampleParseDNSKey() {
	name, alg, secret, err := acme.ParseDNSKey("mykey._update.example.org:SHA256:cGFzc3dvcmQ=")
	if err != nil {
		slog.Error("--dns-key", "err", err)
		return
	}
	_, _ = acme.New(acme.Config{
		Domains:  []string{"caldav.example.org"},
		CacheDir: acme.DefaultCacheDir("/srv/caldav-data"),
		DNS: &acme.DNSConfig{
			Server:  "192.0.2.53:53", // net.JoinHostPort(--dns-server, --dns-port)
			KeyName: name, Algorithm: alg, Secret: secret,
		},
	})
}

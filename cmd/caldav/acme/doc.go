// Package acme obtains and renews the server's TLS certificate from an ACME
// certificate authority (Let's Encrypt, its staging environment, or any
// RFC 8555 server such as a company CA) without manual steps.
//
// Three challenge types prove control of the names:
//
//   - tls-alpn-01: the CA connects to port 443; Manager.GetCertificate
//     answers with the challenge certificate (tls.Config.NextProtos must
//     contain acme.ALPNProto, as Manager.TLSConfig does).
//   - http-01: the CA fetches http://NAME/.well-known/acme-challenge/TOKEN
//     on port 80, served by Manager.HTTPHandler.
//   - dns-01: for servers whose ports 80 and 443 the CA cannot reach. The
//     TXT record _acme-challenge.NAME is added to the zone by an RFC 2136
//     dynamic update signed with TSIG, sent to the zone's primary name server
//     (robur's --dns-key NAME:ALG:BASE64, --dns-server and --dns-port).
//
// Unlike robur, which hands a certificate signing request to its own DNS
// primary and waits for a separate "letsencrypt secondary" to publish the
// certificate, this package speaks ACME itself; any primary that accepts
// TSIG-signed updates (BIND, Knot, PowerDNS, ocaml-dns) works. Robur's
// --key-seed is not needed: the ACME account key and the certificate's key
// are kept in the cache directory (Config.CacheDir), which must not be
// inside the data repository.
//
// # Design choices
//
// The ACME protocol is spoken with golang.org/x/crypto/acme, the library
// under autocert. autocert itself is not used for issuing: it obtains a
// certificate during the first TLS handshake for a name (the client waits
// for the whole issuance), renews in timers whose failures it never
// reports (no log, no error, no metric), has no DNS-01 and no injectable
// clock. Manager instead obtains one certificate for all names in the
// background (Run), renews it before it expires, counts and logs every
// failure (Status, Collector) and keeps serving the old certificate until
// a new one is in hand; the same code path serves all three challenge types.
// The cache directory is an autocert.DirCache, and the account key has
// autocert's name in it, so an account created by autocert is reused.
//
// DNS updates use github.com/miekg/dns (already in the module graph through
// the ACME test server) rather than github.com/go-acme/lego: lego's rfc2136
// provider is a thin layer over the same miekg/dns calls, but lego brings
// its own ACME client, dozens of modules, and a second way to store
// accounts and certificates.
//
// A private CA's directory is reached over HTTPS verified against the
// system roots. On Linux crypto/x509 reads them from the file named by
// SSL_CERT_FILE instead of the distribution's bundle (and from the
// directories in SSL_CERT_DIR), so pointing SSL_CERT_FILE at a bundle that
// includes the company CA makes its ACME server trusted. Config.HTTPClient
// can replace the client altogether.
//
// Names must be DNS names with at least one dot (e.g. caldav.example.org,
// or caldav.localhost in tests), as autocert demands; wildcards need dns-01.
package acme

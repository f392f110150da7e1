package acme

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// DNSConfig says where and how DNS-01 challenge records are published: by
// an RFC 2136 dynamic update, signed with TSIG (RFC 8945), sent to the
// zone's primary name server.
type DNSConfig struct {
	// Server is the primary name server that accepts updates, as
	// host:port (robur's --dns-server and --dns-port).
	Server string
	// KeyName, Algorithm and Secret are the TSIG key, as ParseDNSKey
	// returns them from robur's --dns-key NAME:ALG:BASE64.
	KeyName, Algorithm, Secret string
	// Zone is the zone the challenge records are added to. Empty means:
	// the part of KeyName after an "_update" label (robur's convention,
	// e.g. key "mykey._update.example.org" updates "example.org"), else
	// the zone whose SOA the server names for the record.
	Zone string
	// Propagation is how long to wait after the update has been seen on
	// Server before asking the CA to look, so that secondary name servers
	// can catch up. Zero means no wait.
	Propagation time.Duration
	// Timeout bounds each DNS exchange; zero means 10 seconds.
	Timeout time.Duration
}

// tsigAlgorithms maps the accepted spellings of TSIG algorithms, without
// "hmac-" and lower case, to their wire names.
var tsigAlgorithms = map[string]string{
	"sha1":   dns.HmacSHA1,
	"sha224": dns.HmacSHA224,
	"sha256": dns.HmacSHA256,
	"sha384": dns.HmacSHA384,
	"sha512": dns.HmacSHA512,
}

// tsigAlgorithm returns the wire name of a TSIG algorithm given as robur
// writes it ("SHA256") or as BIND does ("hmac-sha256"), or "".
func tsigAlgorithm(s string) string {
	s = strings.TrimSuffix(strings.ToLower(s), ".")
	return tsigAlgorithms[strings.TrimPrefix(s, "hmac-")]
}

// ParseDNSKey parses robur's --dns-key value NAME:ALG:BASE64, e.g.
// "mykey._update.example.org:SHA256:cGFzc3dvcmQ=". ALG may also be written
// the BIND way ("hmac-sha256"), and BIND's nsupdate -y order ALG:NAME:BASE64
// is accepted too. It returns the key name as a fully qualified lower-case
// name, the algorithm as its TSIG wire name (e.g. "hmac-sha256.") and the
// secret in base64, as miekg/dns wants them. HMAC-MD5 is not supported.
func ParseDNSKey(s string) (name, alg, secret string, err error) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) != 3 {
		return "", "", "", fmt.Errorf("DNS key %q: want NAME:ALG:BASE64", redactKey(s))
	}
	name, alg, secret = parts[0], tsigAlgorithm(parts[1]), parts[2]
	if alg == "" {
		if a := tsigAlgorithm(parts[0]); a != "" { // nsupdate -y ALG:NAME:SECRET
			name, alg = parts[1], a
		} else {
			return "", "", "", fmt.Errorf("DNS key %q: unknown algorithm %q (want SHA1, SHA224, SHA256, SHA384 or SHA512)", redactKey(s), parts[1])
		}
	}
	name = dns.Fqdn(strings.ToLower(name))
	if _, ok := dns.IsDomainName(name); !ok || name == "." {
		return "", "", "", fmt.Errorf("DNS key %q: %q is not a key name", redactKey(s), name)
	}
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil || len(raw) == 0 {
		return "", "", "", fmt.Errorf("DNS key %q: the secret is not base64", redactKey(s))
	}
	return name, alg, secret, nil
}

// redactKey hides the secret of a NAME:ALG:SECRET string for messages.
func redactKey(s string) string {
	if i := strings.LastIndex(s, ":"); i >= 0 {
		return s[:i+1] + "…"
	}
	return "…"
}

// check validates c and fills in the derived values.
func (c *DNSConfig) check() error {
	if c.Server == "" {
		return errors.New("dns-01: no DNS server (--dns-server) to send updates to")
	}
	if _, _, err := net.SplitHostPort(c.Server); err != nil {
		c.Server = net.JoinHostPort(c.Server, "53")
	}
	if c.KeyName == "" || c.Secret == "" {
		return errors.New("dns-01: no TSIG key (--dns-key NAME:ALG:BASE64)")
	}
	alg := tsigAlgorithm(c.Algorithm)
	if alg == "" {
		return fmt.Errorf("dns-01: unknown TSIG algorithm %q", c.Algorithm)
	}
	c.Algorithm = alg
	c.KeyName = dns.Fqdn(strings.ToLower(c.KeyName))
	if raw, err := base64.StdEncoding.DecodeString(c.Secret); err != nil || len(raw) == 0 {
		return errors.New("dns-01: the TSIG secret is not base64")
	}
	if c.Zone != "" {
		c.Zone = dns.Fqdn(strings.ToLower(c.Zone))
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	return nil
}

// zoneFromKeyName is robur's convention: the key "x._update.example.org."
// may update the zone "example.org.".
func zoneFromKeyName(key string) string {
	labels := dns.SplitDomainName(key)
	if i := slices.Index(labels, "_update"); i >= 0 && i+1 < len(labels) {
		return dns.Fqdn(strings.Join(labels[i+1:], "."))
	}
	return ""
}

// dnsUpdater publishes and removes challenge TXT records.
type dnsUpdater struct {
	cfg DNSConfig
}

// client is a TCP client signing with the configured key. Updates go over
// TCP: robur's primary (ocaml-dns) accepts them only there.
func (u *dnsUpdater) client() *dns.Client {
	return &dns.Client{Net: "tcp", Timeout: u.cfg.Timeout,
		TsigSecret: map[string]string{u.cfg.KeyName: u.cfg.Secret}}
}

// zone finds the zone that holds fqdn.
func (u *dnsUpdater) zone(ctx context.Context, fqdn string) (string, error) {
	if u.cfg.Zone != "" {
		return u.cfg.Zone, nil
	}
	if z := zoneFromKeyName(u.cfg.KeyName); z != "" {
		return z, nil
	}
	// Ask the server for the SOA: an answer names the zone apex, a
	// negative answer carries the zone's SOA in the authority section.
	c := &dns.Client{Net: "tcp", Timeout: u.cfg.Timeout}
	for name := fqdn; name != "."; {
		q := new(dns.Msg)
		q.SetQuestion(name, dns.TypeSOA)
		r, _, err := c.ExchangeContext(ctx, q, u.cfg.Server)
		if err != nil {
			return "", fmt.Errorf("finding the zone of %s at %s: %w", fqdn, u.cfg.Server, err)
		}
		for _, rr := range append(r.Answer, r.Ns...) {
			if soa, ok := rr.(*dns.SOA); ok && dns.IsSubDomain(soa.Hdr.Name, fqdn) {
				return strings.ToLower(soa.Hdr.Name), nil
			}
		}
		i, end := dns.NextLabel(name, 0)
		if end {
			break
		}
		name = name[i:]
	}
	return "", fmt.Errorf("finding the zone of %s: %s names no SOA for it (set the zone explicitly)", fqdn, u.cfg.Server)
}

// txt is the challenge record.
func txt(fqdn, value string) *dns.TXT {
	return &dns.TXT{Hdr: dns.RR_Header{Name: fqdn, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60},
		Txt: []string{value}}
}

// update sends one signed update that adds (or removes) the TXT record.
func (u *dnsUpdater) update(ctx context.Context, fqdn, value string, add bool) error {
	zone, err := u.zone(ctx, fqdn)
	if err != nil {
		return err
	}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	if add {
		m.Insert([]dns.RR{txt(fqdn, value)})
	} else {
		m.Remove([]dns.RR{txt(fqdn, value)})
	}
	// The real clock, not Config.Now: the server checks the time signed.
	m.SetTsig(u.cfg.KeyName, u.cfg.Algorithm, 300, time.Now().Unix())
	r, _, err := u.client().ExchangeContext(ctx, m, u.cfg.Server)
	what := "adding"
	if !add {
		what = "removing"
	}
	if r != nil && r.Rcode != dns.RcodeSuccess {
		detail := ""
		if t := r.IsTsig(); t != nil && t.Error != dns.RcodeSuccess {
			detail = ", TSIG " + dns.RcodeToString[int(t.Error)]
		}
		hint := ""
		if r.Rcode == dns.RcodeNotAuth || r.Rcode == dns.RcodeRefused {
			hint = fmt.Sprintf(": the server does not accept the TSIG key %s for zone %s (check --dns-key)", strings.TrimSuffix(u.cfg.KeyName, "."), zone)
		}
		return fmt.Errorf("DNS update %s %s at %s refused: %s%s%s", what, fqdn, u.cfg.Server, dns.RcodeToString[r.Rcode], detail, hint)
	}
	if err != nil {
		if errors.Is(err, dns.ErrSig) || errors.Is(err, dns.ErrSecret) || errors.Is(err, dns.ErrTime) {
			return fmt.Errorf("DNS update %s %s at %s: the server's answer fails TSIG verification with key %s (check --dns-key): %w", what, fqdn, u.cfg.Server, strings.TrimSuffix(u.cfg.KeyName, "."), err)
		}
		return fmt.Errorf("DNS update %s %s at %s: %w", what, fqdn, u.cfg.Server, err)
	}
	return nil
}

// visible reports whether the server answers the TXT record.
func (u *dnsUpdater) visible(ctx context.Context, fqdn, value string) (bool, error) {
	q := new(dns.Msg)
	q.SetQuestion(fqdn, dns.TypeTXT)
	c := &dns.Client{Net: "tcp", Timeout: u.cfg.Timeout}
	r, _, err := c.ExchangeContext(ctx, q, u.cfg.Server)
	if err != nil {
		return false, fmt.Errorf("looking up %s at %s: %w", fqdn, u.cfg.Server, err)
	}
	for _, rr := range r.Answer {
		if t, ok := rr.(*dns.TXT); ok && strings.Join(t.Txt, "") == value {
			return true, nil
		}
	}
	return false, nil
}

// present publishes the record for a DNS-01 challenge of domain and waits
// until the server answers it (and for Propagation). The returned function
// removes it again.
func (u *dnsUpdater) present(ctx context.Context, domain, value string) (func() error, error) {
	fqdn := dns.Fqdn("_acme-challenge." + strings.TrimPrefix(domain, "*."))
	if err := u.update(ctx, fqdn, value, true); err != nil {
		return nil, err
	}
	cleanup := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), u.cfg.Timeout)
		defer cancel()
		return u.update(ctx, fqdn, value, false)
	}
	for i := 0; ; i++ {
		ok, err := u.visible(ctx, fqdn, value)
		if ok {
			break
		}
		if i == 20 {
			_ = cleanup()
			if err == nil {
				err = errors.New("the record is not served")
			}
			return nil, fmt.Errorf("DNS update of %s at %s accepted, but: %w", fqdn, u.cfg.Server, err)
		}
		select {
		case <-ctx.Done():
			_ = cleanup()
			return nil, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	if u.cfg.Propagation > 0 {
		select {
		case <-ctx.Done():
			_ = cleanup()
			return nil, ctx.Err()
		case <-time.After(u.cfg.Propagation):
		}
	}
	return cleanup, nil
}

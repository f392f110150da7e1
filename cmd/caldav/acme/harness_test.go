package acme

import (
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/letsencrypt/pebble/v2/ca"
	"github.com/letsencrypt/pebble/v2/db"
	"github.com/letsencrypt/pebble/v2/va"
	"github.com/letsencrypt/pebble/v2/wfe"
	"github.com/miekg/dns"
)

// testZone is the zone the test DNS server is authoritative for.
const testZone = "localhost."

// testDNS is an authoritative name server for testZone on 127.0.0.1
// (TCP): every name has the address 127.0.0.1, TXT records come from
// dynamic updates, and updates must be signed with the one TSIG key.
type testDNS struct {
	addr    string
	keyName string
	alg     string

	mu        sync.Mutex
	txt       map[string][]string // lower-case FQDN → values
	updates   int                 // accepted updates
	refused   int                 // refused updates
	refuseAll bool                // refuse even correctly signed updates
}

// newTestDNS starts the server; it stops at the end of the test.
func newTestDNS(t *testing.T, keyName, alg, secret string) *testDNS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &testDNS{addr: ln.Addr().String(), keyName: dns.Fqdn(keyName), alg: alg, txt: map[string][]string{}}
	srv := &dns.Server{Listener: ln, Net: "tcp", Handler: s,
		TsigSecret: map[string]string{s.keyName: secret},
		// The default refuses updates (NOTIMP).
		MsgAcceptFunc: func(dns.Header) dns.MsgAcceptAction { return dns.MsgAccept }}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.ActivateAndServe()
	}()
	t.Cleanup(func() {
		srv.Shutdown()
		<-done
	})
	return s
}

// ServeDNS implements dns.Handler.
func (s *testDNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := strings.ToLower(q.Name)
	if r.Opcode == dns.OpcodeUpdate {
		s.update(w, r, m)
		return
	}
	if !dns.IsSubDomain(testZone, name) {
		m.Rcode = dns.RcodeRefused
		w.WriteMsg(m)
		return
	}
	hdr := dns.RR_Header{Name: q.Name, Class: dns.ClassINET, Rrtype: q.Qtype, Ttl: 0}
	soa := &dns.SOA{Hdr: dns.RR_Header{Name: testZone, Class: dns.ClassINET, Rrtype: dns.TypeSOA},
		Ns: "ns." + testZone, Mbox: "hostmaster." + testZone, Serial: 1, Refresh: 60, Retry: 60, Expire: 600, Minttl: 0}
	switch q.Qtype {
	case dns.TypeA:
		m.Answer = append(m.Answer, &dns.A{Hdr: hdr, A: net.IPv4(127, 0, 0, 1)})
	case dns.TypeTXT:
		s.mu.Lock()
		for _, v := range s.txt[name] {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: hdr, Txt: []string{v}})
		}
		s.mu.Unlock()
	case dns.TypeSOA:
		if name == testZone {
			m.Answer = append(m.Answer, soa)
		} else {
			m.Ns = append(m.Ns, soa)
		}
	}
	if len(m.Answer) == 0 && len(m.Ns) == 0 {
		m.Ns = append(m.Ns, soa)
	}
	w.WriteMsg(m)
}

// update applies an RFC 2136 update if it is signed with the key.
func (s *testDNS) update(w dns.ResponseWriter, r *dns.Msg, m *dns.Msg) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.IsTsig() == nil || w.TsigStatus() != nil {
		s.refused++
		m.Rcode = dns.RcodeNotAuth
		w.WriteMsg(m) // unsigned: the key is not trusted
		return
	}
	if strings.ToLower(r.Question[0].Name) != testZone {
		m.Rcode = dns.RcodeNotZone
	} else {
		for _, rr := range r.Ns {
			t, ok := rr.(*dns.TXT)
			if !ok {
				continue
			}
			name, v := strings.ToLower(t.Hdr.Name), strings.Join(t.Txt, "")
			switch t.Hdr.Class {
			case dns.ClassINET:
				s.txt[name] = append(s.txt[name], v)
			case dns.ClassNONE:
				s.txt[name] = slices.DeleteFunc(s.txt[name], func(x string) bool { return x == v })
			case dns.ClassANY:
				delete(s.txt, name)
			}
		}
		s.updates++
	}
	m.SetTsig(s.keyName, s.alg, 300, time.Now().Unix())
	w.WriteMsg(m)
}

// records returns the TXT values of name.
func (s *testDNS) records(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.txt[dns.Fqdn(strings.ToLower(name))])
}

// counts returns the accepted and refused updates.
func (s *testDNS) counts() (updates, refused int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updates, s.refused
}

// testCA is pebble, in process: its ACME directory on an httptest TLS
// server, its validation authority checking HTTP-01 on httpPort,
// TLS-ALPN-01 on tlsPort and resolving every name (A and TXT) at the test
// DNS server.
type testCA struct {
	dirURL string
	srv    *httptest.Server
	roots  *x509.CertPool // pebble's root, which issued certificates chain to
}

// newTestCA starts pebble; it stops at the end of the test.
func newTestCA(t *testing.T, httpPort, tlsPort int, dnsAddr string) *testCA {
	t.Helper()
	t.Setenv("PEBBLE_VA_NOSLEEP", "1")
	t.Setenv("PEBBLE_WFE_NONCEREJECT", "0")
	t.Setenv("PEBBLE_AUTHZREUSE", "0") // validate every order afresh
	var out io.Writer = io.Discard
	if testing.Verbose() {
		out = os.Stderr
	}
	logger := log.New(out, "pebble ", log.Ltime)
	store := db.NewMemoryStore()
	authority := ca.New(logger, store, "", "ecdsa", 0, 1, map[string]ca.Profile{"default": {Description: "test"}})
	validator := va.New(logger, httpPort, tlsPort, false, dnsAddr, store)
	front := wfe.New(logger, store, validator, authority, nil, false, false, 0, 0)
	srv := httptest.NewTLSServer(front.Handler())
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(authority.GetRootCert(0).Cert)
	return &testCA{dirURL: srv.URL + "/dir", srv: srv, roots: roots}
}

// client trusts the CA's HTTPS server.
func (c *testCA) client() *http.Client { return c.srv.Client() }

// listen opens a TCP listener on 127.0.0.1 and returns it and its port.
func listen(t *testing.T) (net.Listener, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln, ln.Addr().(*net.TCPAddr).Port
}

package caldav

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// env is a dav server with CalDAV registered over an in-memory store,
// wired as cmd/caldav wires it, with /.well-known/caldav routed.
type env struct {
	t   *testing.T
	srv *dav.Server
	cal *handler
	h   http.Handler
}

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newEnv starts a server whose user root has password "secret".
func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	store, err := gitstore.OpenMemory(gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := &dav.Server{Store: store, Logger: log, Auth: dav.StaticAuth{User: "root", Password: "secret"},
		Now: func() time.Time { return testNow }}
	if err := srv.Initialize(context.Background(), "root"); err != nil {
		t.Fatal(err)
	}
	_, err = store.Batch(context.Background(), gitstore.Commit{AuthorName: "test", AuthorEmail: "t@localhost", Message: "root"},
		func(tx *gitstore.Txn) error { return dav.CreatePrincipal(tx, "root", testNow) })
	if err != nil {
		t.Fatal(err)
	}
	h := register(srv, o)
	rt := &webmachine.Router{Options: webmachine.Options{Logger: log}}
	rt.Handle(WellKnownPath, WellKnown)
	srv.Routes(rt)
	return &env{t: t, srv: srv, cal: h, h: rt}
}

// response is a recorded answer.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request as root; extra headers come as name, value pairs.
func (e *env) do(method, path, body string, headers ...string) response {
	e.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.SetBasicAuth("root", "secret")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.String()}
}

// must sends a request and fails the test unless the status is want.
func (e *env) must(want int, method, path, body string, headers ...string) response {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	return r
}

// put stores an iCalendar object, failing unless it is created.
func (e *env) put(path, ics string) {
	e.t.Helper()
	e.must(http.StatusCreated, http.MethodPut, path, ics, "Content-Type", "text/calendar; charset=utf-8")
}

// mkcalendar creates a calendar with an optional mkcalendar body.
func (e *env) mkcalendar(path, body string) {
	e.t.Helper()
	e.must(http.StatusCreated, "MKCALENDAR", path, body)
}

// wantError checks a DAV:error answer: status and condition element
// (clark notation).
func wantError(t *testing.T, r response, status int, cond string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d\n%s", r.Status, status, r.Body)
	}
	if got := errorCondition(r.Body); got != cond {
		t.Fatalf("condition %q, want %q\n%s", got, cond, r.Body)
	}
}

// errorCondition returns the clark name of the condition of a DAV:error
// body, or "".
func errorCondition(body string) string {
	doc := etree.NewDocument()
	if doc.ReadFromString(body) != nil || doc.Root() == nil || clark(doc.Root()) != "{DAV:}error" {
		return ""
	}
	for _, c := range doc.Root().ChildElements() {
		if clark(c) != "{DAV:}responsedescription" {
			return clark(c)
		}
	}
	return ""
}

// clark is an element's name in clark notation, namespace by URI.
func clark(e *etree.Element) string { return "{" + e.NamespaceURI() + "}" + e.Tag }

// fixture reads a file below testdata.
func fixture(t *testing.T, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// canonicalDoc renders an XML document canonically: namespaces as URIs,
// attributes sorted, whitespace-only text dropped, the children of
// DAV:multistatus sorted, and calendar-data compared as parsed
// iCalendar. Two documents that mean the same render the same.
func canonicalDoc(t *testing.T, doc string) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatalf("XML does not parse: %v\n%s", err, doc)
	}
	if d.Root() == nil {
		t.Fatalf("XML has no root:\n%s", doc)
	}
	return canonicalElem(t, d.Root())
}

func canonicalElem(t *testing.T, e *etree.Element) string {
	var attrs []string
	for _, a := range e.Attr {
		if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
			continue
		}
		ns := ""
		if a.Space != "" {
			ns = "{" + a.NamespaceURI() + "}"
		}
		attrs = append(attrs, fmt.Sprintf(" %s%s=%q", ns, a.Key, a.Value))
	}
	sort.Strings(attrs)
	var kids []string
	var text strings.Builder
	for _, tok := range e.Child {
		switch c := tok.(type) {
		case *etree.Element:
			kids = append(kids, canonicalElem(t, c))
		case *etree.CharData:
			text.WriteString(c.Data)
		}
	}
	body := strings.TrimSpace(text.String())
	if clark(e) == "{urn:ietf:params:xml:ns:caldav}calendar-data" && body != "" {
		body = canonicalICS(t, body)
	}
	if clark(e) == "{DAV:}multistatus" || clark(e) == "{DAV:}prop" {
		sort.Strings(kids)
	}
	return "<" + clark(e) + strings.Join(attrs, "") + ">" + body + strings.Join(kids, "") + "</>"
}

// canonicalICS parses iCalendar text and writes it in icalobj's stable
// property order, so folding, line ends and property order do not count.
func canonicalICS(t *testing.T, text string) string {
	t.Helper()
	cal, err := icalobj.Parse([]byte(normaliseICS(text)))
	if err != nil {
		t.Fatalf("calendar-data does not parse: %v\n%s", err, text)
	}
	return "\n" + string(icalobj.EncodeBytes(cal))
}

// indentXML pretty-prints a response body for a golden file; text-only
// elements (calendar-data) keep their text.
func indentXML(t *testing.T, body string) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(body); err != nil {
		t.Fatalf("XML does not parse: %v", err)
	}
	d.Indent(2)
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ms is a parsed multistatus: href → property (clark) or "" for a
// response status → status code.
type ms map[string]map[string]int

// parseMS reads the statuses of a 207 body.
func parseMS(t *testing.T, body string) ms {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(body); err != nil || d.Root() == nil || clark(d.Root()) != "{DAV:}multistatus" {
		t.Fatalf("not a multistatus: %v\n%s", err, body)
	}
	out := ms{}
	for _, r := range d.Root().ChildElements() {
		href := ""
		props := map[string]int{}
		for _, c := range r.ChildElements() {
			switch clark(c) {
			case "{DAV:}href":
				href = strings.TrimSpace(c.Text())
			case "{DAV:}status":
				props[""] = statusCode(t, c.Text())
			case "{DAV:}propstat":
				var code int
				var names []string
				for _, p := range c.ChildElements() {
					switch clark(p) {
					case "{DAV:}status":
						code = statusCode(t, p.Text())
					case "{DAV:}prop":
						for _, x := range p.ChildElements() {
							names = append(names, clark(x))
						}
					}
				}
				for _, n := range names {
					props[n] = code
				}
			}
		}
		out[href] = props
	}
	return out
}

// propText returns the text of property prop of href in a multistatus.
func propText(t *testing.T, body, href, prop string) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(body); err != nil {
		t.Fatal(err)
	}
	for _, r := range d.Root().ChildElements() {
		var h *etree.Element
		for _, c := range r.ChildElements() {
			if clark(c) == "{DAV:}href" {
				h = c
			}
		}
		if h == nil || strings.TrimSpace(h.Text()) != href {
			continue
		}
		for _, ps := range r.ChildElements() {
			for _, p := range ps.ChildElements() {
				if clark(p) != "{DAV:}prop" {
					continue
				}
				for _, x := range p.ChildElements() {
					if clark(x) == prop {
						var b strings.Builder
						for _, k := range x.ChildElements() {
							d := etree.NewDocument()
							d.SetRoot(k.Copy())
							s, _ := d.WriteToString()
							b.WriteString(s)
						}
						return b.String() + x.Text()
					}
				}
			}
		}
	}
	t.Fatalf("%s has no %s in\n%s", href, prop, body)
	return ""
}

// statusCode reads "HTTP/1.1 200 OK".
func statusCode(t *testing.T, line string) int {
	t.Helper()
	f := strings.Fields(line)
	if len(f) < 2 {
		t.Fatalf("bad status line %q", line)
	}
	n, err := strconv.Atoi(f[1])
	if err != nil {
		t.Fatalf("bad status line %q", line)
	}
	return n
}

// newRecorder returns a response recorder.
func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// sortStrings sorts in place.
func sortStrings(s []string) { sort.Strings(s) }

// parseICS parses iCalendar text.
func parseICS(s string) (*ical.Calendar, error) { return icalobj.Parse([]byte(s)) }

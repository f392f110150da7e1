package dav

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// testEnv is a dav server over an in-memory store, as the binary wires it.
type testEnv struct {
	t     *testing.T
	store *gitstore.Store
	srv   *Server
	h     http.Handler
}

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newTestEnv starts a server whose user root has password "secret", with
// /calendars/ and /principals/ initialised.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	store, err := gitstore.OpenMemory(gitstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := &Server{Store: store, Logger: log, Auth: StaticAuth{User: "root", Password: "secret"},
		Now: func() time.Time { return testNow }}
	if err := srv.Initialize(context.Background(), "root"); err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, store: store, srv: srv, h: srv.Handler(webmachine.Options{Logger: log})}
}

// response is a recorded answer.
type response struct {
	Status int
	Header http.Header
	Body   string
}

// do sends a request as root. Extra headers come as name, value pairs.
func (e *testEnv) do(method, path, body string, headers ...string) response {
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
func (e *testEnv) must(want int, method, path, body string, headers ...string) response {
	e.t.Helper()
	r := e.do(method, path, body, headers...)
	if r.Status != want {
		e.t.Fatalf("%s %s: status %d, want %d\n%s", method, path, r.Status, want, r.Body)
	}
	return r
}

// commits counts the commits on the store's branch.
func (e *testEnv) commits() int {
	e.t.Helper()
	h, err := e.store.History(context.Background(), "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(h)
}

// propResult is one property of one response of a multistatus.
type propResult struct {
	Status int
	// XML is the canonical form of the property's content.
	XML string
	// Elem is the canonical form of the whole property element.
	Elem string
}

// multistatus is a parsed 207 body: href → "{ns}name" → result.
type multistatus map[string]map[string]propResult

// parseMultistatus parses a 207 body, namespaces by URI, into a map.
func parseMultistatus(t *testing.T, body string) multistatus {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil {
		t.Fatalf("multistatus does not parse: %v\n%s", err, body)
	}
	root := doc.Root()
	if !is(root, DAVName("multistatus")) {
		t.Fatalf("root is %s, not DAV:multistatus", clark(nameOf(root)))
	}
	out := multistatus{}
	for _, resp := range root.ChildElements() {
		if !is(resp, DAVName("response")) {
			continue
		}
		href := textOf(child(resp, DAVName("href")))
		props := map[string]propResult{}
		if st := child(resp, DAVName("status")); st != nil {
			props[""] = propResult{Status: statusCode(t, textOf(st))}
		}
		for _, ps := range resp.ChildElements() {
			if !is(ps, DAVName("propstat")) {
				continue
			}
			code := statusCode(t, textOf(child(ps, DAVName("status"))))
			for _, p := range child(ps, DAVName("prop")).ChildElements() {
				props[clark(nameOf(p))] = propResult{Status: code, XML: canonicalContent(p), Elem: canonical(p)}
			}
		}
		out[href] = props
	}
	return out
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

// canonicalContent renders an element's children with namespaces as URIs,
// attributes sorted and whitespace-only text dropped, so two documents
// that mean the same compare equal whatever their prefixes.
func canonicalContent(e *etree.Element) string {
	var b strings.Builder
	for _, tok := range e.Child {
		switch c := tok.(type) {
		case *etree.Element:
			b.WriteString(canonical(c))
		case *etree.CharData:
			if strings.TrimSpace(c.Data) != "" {
				b.WriteString(c.Data)
			}
		}
	}
	return b.String()
}

// canonical renders one element canonically.
func canonical(e *etree.Element) string {
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
	return "<" + clark(nameOf(e)) + strings.Join(attrs, "") + ">" + canonicalContent(e) + "</>"
}

// canonicalXML canonicalises a fragment written by hand in a test.
func canonicalXML(t *testing.T, fragment string) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString("<wrap>" + fragment + "</wrap>"); err != nil {
		t.Fatalf("test fragment does not parse: %v", err)
	}
	return canonicalContent(doc.Root())
}

// errorCondition returns the clark name of the condition in a DAV:error
// body, or "" when the body is not one.
func errorCondition(body string) string {
	doc := etree.NewDocument()
	if doc.ReadFromString(body) != nil || doc.Root() == nil || !is(doc.Root(), DAVName("error")) {
		return ""
	}
	for _, c := range doc.Root().ChildElements() {
		if !is(c, DAVName("responsedescription")) {
			return clark(nameOf(c))
		}
	}
	return ""
}

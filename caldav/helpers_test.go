package caldav

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/emersion/go-ical"

	"github.com/gocaldav/gocaldav/caldav/icalobj"
	"github.com/gocaldav/gocaldav/dav"
	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/gitstore"
	"github.com/gocaldav/gocaldav/webmachine"
)

// env is a dav server with CalDAV registered over an in-memory store,
// wired as cmd/caldav wires it, with /.well-known/caldav routed, and a
// client sending as root.
type env struct {
	*davtest.Client
	srv *dav.Server
	cal *handler
}

var testNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newEnv starts a server whose user root has password "secret".
func newEnv(t *testing.T, o Options) *env {
	t.Helper()
	store := davtest.MemoryStore(t)
	log := davtest.Logger()
	srv := &dav.Server{Store: store, Logger: log, Auth: dav.StaticAuth{User: "root", Password: "secret"},
		Now: func() time.Time { return testNow }}
	if err := srv.Initialize(context.Background(), "root"); err != nil {
		t.Fatal(err)
	}
	_, err := store.Batch(context.Background(), gitstore.Commit{AuthorName: "test", AuthorEmail: "t@localhost", Message: "root"},
		func(tx *gitstore.Txn) error { return dav.CreatePrincipal(tx, "root", testNow) })
	if err != nil {
		t.Fatal(err)
	}
	h := register(srv, o)
	rt := &webmachine.Router{Options: webmachine.Options{Logger: log}}
	rt.Handle(WellKnownPath, WellKnown)
	srv.Routes(rt)
	c := &davtest.Client{T: t, Handler: rt, Passwords: map[string]string{"root": "secret"}, User: "root"}
	return &env{Client: c, srv: srv, cal: h}
}

// put stores an iCalendar object, failing unless it is created.
func (e *env) put(path, ics string) {
	e.T.Helper()
	e.Must(http.StatusCreated, http.MethodPut, path, ics, "Content-Type", "text/calendar; charset=utf-8")
}

// mkcalendar creates a calendar with an optional mkcalendar body.
func (e *env) mkcalendar(path, body string) {
	e.T.Helper()
	e.Must(http.StatusCreated, "MKCALENDAR", path, body)
}

// wantError checks a DAV:error answer: status and condition element
// (clark notation).
func wantError(t *testing.T, r davtest.Response, status int, cond string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d\n%s", r.Status, status, r.Body)
	}
	if got := davtest.ErrorCondition(r.Body); got != cond {
		t.Fatalf("condition %q, want %q\n%s", got, cond, r.Body)
	}
}

// fixture reads a file below testdata.
func fixture(t *testing.T, parts ...string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(append([]string{"..", "testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// calXML renders XML documents canonically (davtest.Canonicaliser) with
// calendar-data compared as parsed iCalendar. Two documents that mean
// the same render the same.
var calXML = davtest.Canonicaliser{Text: map[string]func(testing.TB, string) string{
	"{urn:ietf:params:xml:ns:caldav}calendar-data": canonicalICS,
}}

// canonicalDoc renders an XML document as calXML does.
func canonicalDoc(t *testing.T, doc string) string {
	t.Helper()
	return calXML.Document(t, doc)
}

// canonicalICS parses iCalendar text and writes it in icalobj's stable
// property order, so folding, line ends and property order do not count.
func canonicalICS(t testing.TB, text string) string {
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

// parseMS reads the statuses of a 207 body: href → property (clark) or
// "" for a response status → status code.
func parseMS(t *testing.T, body string) map[string]map[string]int {
	t.Helper()
	return davtest.ParseMultistatus(t, body).Statuses()
}

// propText returns the text of property prop of href in a multistatus:
// its child elements as written, then its text.
func propText(t *testing.T, body, href, prop string) string {
	t.Helper()
	x := davtest.FindProp(t, body, href, prop)
	var b strings.Builder
	for _, k := range x.ChildElements() {
		d := etree.NewDocument()
		d.SetRoot(k.Copy())
		s, _ := d.WriteToString()
		b.WriteString(s)
	}
	return b.String() + x.Text()
}

// propCanonical returns property prop of href in a multistatus as calXML
// renders it, or fails.
func propCanonical(t *testing.T, body, href, prop string) string {
	t.Helper()
	return calXML.Element(t, davtest.FindProp(t, body, href, prop))
}

// newRecorder returns a response recorder.
func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// sortStrings sorts in place.
func sortStrings(s []string) { sort.Strings(s) }

// parseICS parses iCalendar text.
func parseICS(s string) (*ical.Calendar, error) { return icalobj.Parse([]byte(s)) }

package dav

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/gitstore"
)

// TestServesRoburRepository lays out a repository as robur's server writes
// it (property files from testdata/propfile, made by robur's own sexplib
// types) and checks it is served unchanged: same hrefs, same property
// values, ETags equal to git blob ids, and no file rewritten by reading.
func TestServesRoburRepository(t *testing.T) {
	e := newTestEnv(t)
	fixture := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "propfile", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	files := map[string][]byte{
		"principals/.prop":                        fixture("principals.prop"),
		"calendars/.prop":                         fixture("calendars.prop"),
		"principals/alice/.prop":                  fixture("principal-alice.prop"),
		"calendars/alice/.prop":                   fixture("calendar-alice.prop"),
		"calendars/alice/dead.ics":                []byte(ics),
		"calendars/alice/dead.ics.prop":           fixture("dead-property.prop"),
		"calendars/alice/arbeit/.prop":            fixture("calendar-acl.prop"),
		"calendars/alice/arbeit/meeting.ics":      []byte(ics),
		"calendars/alice/arbeit/meeting.ics.prop": fixture("event.prop"),
	}
	_, err := e.store.Batch(context.Background(), gitstore.Commit{AuthorName: "robur", AuthorEmail: "r@x", Message: "robur data"},
		func(tx *gitstore.Txn) error {
			for p, b := range files {
				if err := tx.Write(p, b); err != nil {
					return err
				}
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	before := e.store.Head().Commit()

	ms := davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/alice/", "", "Depth", "1").Body)
	for _, href := range []string{"/calendars/alice/", "/calendars/alice/dead.ics", "/calendars/alice/arbeit/"} {
		if _, ok := ms[href]; !ok {
			t.Errorf("no response for %s; got %v", href, keys(ms))
		}
	}
	alice := ms["/calendars/alice/"]
	if alice["{DAV:}displayname"].XML != "alice" {
		t.Errorf("calendar displayname %q", alice["{DAV:}displayname"].XML)
	}
	if alice["{DAV:}resourcetype"].XML != davtest.CanonicalXML(t, `<collection xmlns="DAV:"/><calendar xmlns="urn:ietf:params:xml:ns:caldav"/>`) {
		t.Errorf("calendar resourcetype %q", alice["{DAV:}resourcetype"].XML)
	}
	if alice["{DAV:}getlastmodified"].XML != "Mon, 03 Feb 2020 17:25:41 GMT" {
		t.Errorf("getlastmodified %q, want the stored time as an HTTP date", alice["{DAV:}getlastmodified"].XML)
	}
	dead := ms["/calendars/alice/dead.ics"]
	if dead["{DAV:}getetag"].XML != `"`+blobID([]byte(ics))+`"` {
		t.Errorf("ETag %q is not the blob id", dead["{DAV:}getetag"].XML)
	}
	want := davtest.CanonicalXML(t, `<Z:Authors xmlns:Z="http://ns.example.com/standards/z39.50/"><Z:Author role="editor" Z:lang="de">Jim Whitehead</Z:Author>`+
		`<Z:Author><Z:name>Roy Fielding</Z:name><Z:affiliation xmlns="urn:x-example:org"><org>UC Irvine ("UCI")</org></Z:affiliation></Z:Author></Z:Authors>`)
	if got := dead["{http://ns.example.com/standards/z39.50/}Authors"].Elem; got != want {
		t.Errorf("robur dead property\n got %s\nwant %s", got, want)
	}
	get := e.Must(200, "GET", "/calendars/alice/arbeit/meeting.ics", "")
	if get.Body != ics || get.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Errorf("GET of a robur object: type %q", get.Header.Get("Content-Type"))
	}
	if e.store.Head().Commit() != before {
		t.Errorf("reading a robur repository wrote to it")
	}
}

func keys(m davtest.Multistatus) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

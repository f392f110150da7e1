package dav

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocaldav/gocaldav/dav/davtest"
	"github.com/gocaldav/gocaldav/dav/propfile"
	"github.com/gocaldav/gocaldav/gitstore"
)

const ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260101T100000Z\r\nSUMMARY:Grüße\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"

func TestPutGetDelete(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	before := e.commits()
	put := e.Must(201, "PUT", "/calendars/c/e.ics", ics, "Content-Type", "text/calendar; charset=utf-8")
	if e.commits() != before+1 {
		t.Fatalf("PUT made %d commits, want 1", e.commits()-before)
	}
	etag := `"` + blobID([]byte(ics)) + `"`
	if put.Header.Get("ETag") != etag {
		t.Errorf("PUT ETag %q, want the quoted blob id %q", put.Header.Get("ETag"), etag)
	}
	get := e.Must(200, "GET", "/calendars/c/e.ics", "")
	if get.Body != ics {
		t.Errorf("GET returned other bytes than stored")
	}
	if get.Header.Get("ETag") != etag || get.Header.Get("Content-Type") != "text/calendar; charset=utf-8" {
		t.Errorf("GET headers: ETag %q, Content-Type %q", get.Header.Get("ETag"), get.Header.Get("Content-Type"))
	}
	if get.Header.Get("Last-Modified") == "" {
		t.Errorf("GET without Last-Modified")
	}
	// The object's property file is robur's.
	data, err := e.store.Head().Read("calendars/c/e.ics.prop")
	if err != nil {
		t.Fatal(err)
	}
	props, err := propfile.Parse(data)
	if err != nil {
		t.Fatalf("stored .prop does not parse: %v", err)
	}
	if string(props.Marshal()) != string(data) {
		t.Errorf(".prop is not in sexplib's layout")
	}
	for _, n := range []Name{PropPropVersion, PropACL, PropCreationDate, PropDisplayName, PropContentType, PropContentLength, PropLastModified, PropResourceType} {
		if _, ok := props.Get(n); !ok {
			t.Errorf(".prop lacks %s", clark(n))
		}
	}
	if dn, _ := props.Get(PropDisplayName); dn.Value[0].Text != "/calendars/c/e.ics" {
		t.Errorf("displayname %q, want robur's full path", dn.Value[0].Text)
	}

	// Replacing answers 204, keeps creationdate, changes the ETag.
	created, _ := props.Get(PropCreationDate)
	e.srv.Now = func() time.Time { return testNow.Add(time.Hour) }
	replaced := e.Must(204, "PUT", "/calendars/c/e.ics", strings.Replace(ics, "Grüße", "Hallo", 1), "Content-Type", "text/calendar")
	if replaced.Header.Get("ETag") == etag {
		t.Errorf("ETag unchanged after a new body")
	}
	data, _ = e.store.Head().Read("calendars/c/e.ics.prop")
	props, _ = propfile.Parse(data)
	if again, _ := props.Get(PropCreationDate); !again.Equal(created) {
		t.Errorf("creationdate changed on overwrite")
	}
	if lm, _ := props.Get(PropLastModified); lm.Value[0].Text != propfile.FormatTimestamp(testNow.Add(time.Hour)) {
		t.Errorf("getlastmodified not updated: %v", lm.Value)
	}

	e.Must(204, "DELETE", "/calendars/c/e.ics", "")
	e.Must(404, "GET", "/calendars/c/e.ics", "")
	if e.store.Head().Exists("calendars/c/e.ics.prop") {
		t.Errorf("DELETE left the property file")
	}
	e.Must(404, "DELETE", "/calendars/c/e.ics", "")
}

func TestPutErrors(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(409, "PUT", "/calendars/missing/e.ics", ics)
	e.Must(201, "PUT", "/calendars/c/file", "x")
	e.Must(409, "PUT", "/calendars/c/file/e.ics", "x")
	e.Must(405, "PUT", "/calendars/c/", "x")
	e.Must(403, "PUT", "/calendars/c/x.prop", "x")
	e.Must(400, "GET", "/calendars/c/%2e%2e/x", "")
	before := e.commits()
	e.Must(412, "PUT", "/calendars/c/file", "y", "If-Match", `"0000"`)
	e.Must(412, "PUT", "/calendars/c/file", "y", "If-None-Match", "*")
	if e.commits() != before {
		t.Errorf("failed PUTs committed")
	}
	e.Must(204, "PUT", "/calendars/c/file", "y", "If-Match", `"`+blobID([]byte("x"))+`"`)
}

func TestAuthenticationRequired(t *testing.T) {
	e := newTestEnv(t)
	req, _ := http.NewRequest("PROPFIND", "/calendars/", nil)
	for _, auth := range []func(*http.Request){func(*http.Request) {}, func(r *http.Request) { r.SetBasicAuth("root", "wrong") }} {
		r := req.Clone(context.Background())
		auth(r)
		rec := httptest.NewRecorder()
		e.Handler.ServeHTTP(rec, r)
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Basic realm="calendar"` {
			t.Errorf("status %d, challenge %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	}
}

func TestOptions(t *testing.T) {
	e := newTestEnv(t)
	r := e.Must(200, "OPTIONS", "/calendars/", "")
	dav := r.Header.Get("DAV")
	if !strings.Contains(dav, "1") || strings.Contains(dav, "2") {
		t.Errorf("DAV %q: want class 1 and never class 2 without locking", dav)
	}
	for _, m := range []string{"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "REPORT", "PUT", "DELETE"} {
		if !strings.Contains(r.Header.Get("Allow"), m) {
			t.Errorf("Allow %q lacks %s", r.Header.Get("Allow"), m)
		}
	}
}

// fillMembers puts n small objects, 0.ics to n-1.ics, into /calendars/c/
// in one commit.
func fillMembers(t *testing.T, e *testEnv, n int) {
	t.Helper()
	e.Must(201, "MKCOL", "/calendars/c/", "")
	if _, err := e.store.Batch(context.Background(), gitstore.Commit{AuthorName: "t", AuthorEmail: "t@x", Message: "fill"}, func(tx *gitstore.Txn) error {
		for i := range n {
			body := strings.Replace(ics, "UID:1", "UID:"+strconv.Itoa(i), 1)
			if err := StoreObject(tx, []string{"calendars", "c", strconv.Itoa(i) + ".ics"}, []byte(body), "text/calendar", testNow); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestLargeMultistatus: an answer larger than the pieces a multistatus
// is held in arrives whole, one response per member: streamed, without
// a Content-Length, from a PROPFIND of more than streamAbove members;
// with its Content-Length from a smaller PROPFIND and from a REPORT.
func TestLargeMultistatus(t *testing.T) {
	e := newTestEnv(t)
	const members = 700 // some 200 bytes of response each: three pieces
	fillMembers(t, e, members)
	check := func(what string, r davtest.Response, want int) {
		t.Helper()
		if length := r.Header.Get("Content-Length"); want > streamAbove && strings.HasPrefix(what, "PROPFIND") {
			if length != "" {
				t.Errorf("%s: Content-Length %q: not streamed", what, length)
			}
		} else if length != strconv.Itoa(len(r.Body)) {
			t.Errorf("%s: Content-Length %q for %d bytes", what, length, len(r.Body))
		}
		ms := davtest.ParseMultistatus(t, r.Body)
		if len(ms) != want {
			t.Fatalf("%s: %d responses, want %d", what, len(ms), want)
		}
		for i := range members {
			body := strings.Replace(ics, "UID:1", "UID:"+strconv.Itoa(i), 1)
			if got := ms["/calendars/c/"+strconv.Itoa(i)+".ics"]["{DAV:}getetag"].XML; got != `"`+blobID([]byte(body))+`"` {
				t.Fatalf("%s: member %d getetag %q", what, i, got)
			}
		}
	}
	propfind := `<propfind xmlns="DAV:"><prop><getetag/><displayname/></prop></propfind>`
	check("PROPFIND", e.Must(207, "PROPFIND", "/calendars/c/", propfind, "Depth", "1"), members+1)
	check("sync-collection", e.Must(207, "REPORT", "/calendars/c/",
		`<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><prop><getetag/></prop></sync-collection>`), members)
	defer func(n int) { streamAbove = n }(streamAbove)
	streamAbove = members + 1
	check("PROPFIND, not streamed", e.Must(207, "PROPFIND", "/calendars/c/", propfind, "Depth", "1"), members+1)
}

// A streamed PROPFIND that fails half-way breaks the connection off: the
// client gets an error, not a well-ended answer lacking responses.
func TestStreamedPropfindFailureAborts(t *testing.T) {
	e := newTestEnv(t)
	fillMembers(t, e, 1500) // over two pieces before the failure
	broken := Name{Space: "urn:test", Local: "broken"}
	e.srv.registry().AddProperty(Property{Name: broken, Get: func(_ context.Context, _ *Call, n *Node) (propfile.Property, error) {
		if n.Name() == "1400.ics" {
			return propfile.Property{}, errors.New("storage failed")
		}
		return propfile.TextProperty(broken, "ok"), nil
	}})
	srv := httptest.NewServer(e.Handler)
	defer srv.Close()
	req, _ := http.NewRequest("PROPFIND", srv.URL+"/calendars/c/", strings.NewReader(`<propfind xmlns="DAV:" xmlns:T="urn:test"><prop><T:broken/></prop></propfind>`))
	req.SetBasicAuth("root", "secret")
	req.Header.Set("Depth", "1")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != 207 || err == nil {
		t.Fatalf("status %d, read error %v after %d bytes: want 207 and a broken body", resp.StatusCode, err, len(body))
	}
	if !bytes.Contains(body, []byte("<D:response>")) {
		t.Errorf("nothing streamed before the failure: %q", body)
	}
}

func TestPropfind(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(201, "PUT", "/calendars/c/a.ics", ics, "Content-Type", "text/calendar")
	e.Must(201, "MKCOL", "/calendars/c/sub/", "")

	body := `<?xml version="1.0"?><propfind xmlns="DAV:"><prop><getetag/><resourcetype/><displayname/><x:nothing xmlns:x="urn:x"/></prop></propfind>`
	ms := davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/", body, "Depth", "1").Body)
	if len(ms) != 3 {
		t.Fatalf("Depth 1 gave %d responses, want 3: %v", len(ms), ms)
	}
	col := ms["/calendars/c/"]
	if col["{DAV:}resourcetype"].XML != davtest.CanonicalXML(t, `<collection xmlns="DAV:"/>`) {
		t.Errorf("collection resourcetype %q", col["{DAV:}resourcetype"].XML)
	}
	if col["{urn:x}nothing"].Status != 404 {
		t.Errorf("unknown property status %d, want 404", col["{urn:x}nothing"].Status)
	}
	obj := ms["/calendars/c/a.ics"]
	if obj["{DAV:}getetag"].XML != `"`+blobID([]byte(ics))+`"` {
		t.Errorf("object getetag %q", obj["{DAV:}getetag"].XML)
	}
	if obj["{DAV:}resourcetype"].Status != 200 || obj["{DAV:}resourcetype"].XML != "" {
		t.Errorf("object resourcetype %+v", obj["{DAV:}resourcetype"])
	}
	if _, ok := ms["/calendars/c/sub/"]; !ok {
		t.Errorf("sub-collection href lacks its slash: %v", ms)
	}
	// The collection's ETag is its tree id and changes with a member.
	etag0 := col["{DAV:}getetag"].XML
	e.Must(204, "PUT", "/calendars/c/a.ics", ics+" ", "Content-Type", "text/calendar")
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/", body, "Depth", "0").Body)
	if len(ms) != 1 || ms["/calendars/c/"]["{DAV:}getetag"].XML == etag0 {
		t.Errorf("Depth 0: %d responses, collection ETag %s (was %s)", len(ms), ms["/calendars/c/"]["{DAV:}getetag"].XML, etag0)
	}

	// An empty body is allprop: stored and live properties, no hidden ones.
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/a.ics", "", "Depth", "0").Body)
	all := ms["/calendars/c/a.ics"]
	for _, want := range []string{"{DAV:}getetag", "{DAV:}getcontentlength", "{DAV:}getlastmodified", "{DAV:}displayname", "{DAV:}creationdate", "{DAV:}getcontenttype"} {
		if all[want].Status != 200 {
			t.Errorf("allprop lacks %s", want)
		}
	}
	for _, hidden := range []string{"{DAV:}acl", "{io:robur:webdav}prop_version", "{DAV:}current-user-principal"} {
		if _, ok := all[hidden]; ok {
			t.Errorf("allprop returned hidden %s", hidden)
		}
	}
	if all["{DAV:}getcontentlength"].XML != strconv.Itoa(len(ics)+1) { // the body was replaced by ics+" "
		t.Errorf("getcontentlength %q, want %d", all["{DAV:}getcontentlength"].XML, len(ics)+1)
	}
	// Members listed by Depth 1 have their size looked up when asked for.
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/", `<propfind xmlns="DAV:"><prop><getcontentlength/></prop></propfind>`, "Depth", "1").Body)
	if got := ms["/calendars/c/a.ics"]["{DAV:}getcontentlength"]; got.Status != 200 || got.XML != strconv.Itoa(len(ics)+1) {
		t.Errorf("Depth 1 getcontentlength %d %q, want %d", got.Status, got.XML, len(ics)+1)
	}

	// propname lists names without values.
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/a.ics", `<propfind xmlns="DAV:"><propname/></propfind>`, "Depth", "0").Body)
	if r := ms["/calendars/c/a.ics"]["{DAV:}acl"]; r.Status != 200 || r.XML != "" {
		t.Errorf("propname acl: %+v", r)
	}
	if _, ok := ms["/calendars/c/a.ics"]["{io:robur:webdav}password"]; ok {
		t.Errorf("propname names password")
	}

	// allprop with include adds a hidden property.
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/a.ics",
		`<propfind xmlns="DAV:"><allprop/><include><current-user-principal/></include></propfind>`, "Depth", "0").Body)
	if got := ms["/calendars/c/a.ics"]["{DAV:}current-user-principal"].XML; got != davtest.CanonicalXML(t, `<href xmlns="DAV:">/principals/root/</href>`) {
		t.Errorf("include current-user-principal: %q", got)
	}
}

// Depth 1 gives each member the href and ETag a Depth 0 request on it
// gives, names that need escaping and sub-collections included (the
// listing makes them all at once).
func TestPropfindMemberHrefsAndETags(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c%20d/", "")
	names := []string{"a.ics", "b%20c.ics", "%C3%BC.ics", "x%25y.ics"}
	for i, name := range names {
		e.Must(201, "PUT", "/calendars/c%20d/"+name, ics+strings.Repeat(" ", i), "Content-Type", "text/calendar")
	}
	e.Must(201, "MKCOL", "/calendars/c%20d/s%C3%BCb/", "")
	body := `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`
	listed := davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c%20d/", body, "Depth", "1").Body)
	if len(listed) != len(names)+2 {
		t.Fatalf("%d responses: %v", len(listed), listed)
	}
	for i, href := range append(names, "s%C3%BCb/") {
		href = "/calendars/c%20d/" + href
		got, ok := listed[href]
		if !ok {
			t.Errorf("no response for %s: %v", href, listed)
			continue
		}
		alone := davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", href, body, "Depth", "0").Body)[href]
		if got["{DAV:}getetag"].XML != alone["{DAV:}getetag"].XML || got["{DAV:}getetag"].Status != 200 {
			t.Errorf("%s: listed ETag %q, alone %q", href, got["{DAV:}getetag"].XML, alone["{DAV:}getetag"].XML)
		}
		if i < len(names) && got["{DAV:}getetag"].XML != `"`+blobID([]byte(ics+strings.Repeat(" ", i)))+`"` {
			t.Errorf("%s: ETag %q is not the quoted blob id", href, got["{DAV:}getetag"].XML)
		}
	}
}

func TestPropfindErrors(t *testing.T) {
	e := newTestEnv(t)
	r := e.Must(403, "PROPFIND", "/calendars/", "", "Depth", "infinity")
	if got := davtest.ErrorCondition(r.Body); got != "{DAV:}propfind-finite-depth" {
		t.Errorf("Depth infinity condition %q", got)
	}
	e.Must(400, "PROPFIND", "/calendars/", "", "Depth", "2")
	e.Must(400, "PROPFIND", "/calendars/", "<propfind", "Depth", "0")
	e.Must(400, "PROPFIND", "/calendars/", `<propfind xmlns="DAV:"><prop><bar:foo xmlns:bar=""/></prop></propfind>`, "Depth", "0")
	e.Must(400, "PROPFIND", "/calendars/", `<foo xmlns="DAV:"/>`, "Depth", "0")
	e.Must(404, "PROPFIND", "/calendars/none/", "", "Depth", "0")
	deep := strings.Repeat("<a>", 1000) + strings.Repeat("</a>", 1000)
	e.Must(400, "PROPFIND", "/calendars/", deep, "Depth", "0")
	// Without Depth the request is served, not refused.
	e.Must(207, "PROPFIND", "/calendars/", "")
}

func TestProppatchAtomic(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	before := e.commits()
	body := `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">
	  <D:set><D:prop><Z:colour>red</Z:colour><D:getetag>"forged"</D:getetag></D:prop></D:set>
	</D:propertyupdate>`
	answer := e.Must(207, "PROPPATCH", "/calendars/c/", body).Body
	if !strings.Contains(answer, "cannot-modify-protected-property") {
		t.Errorf("the 403 propstat lacks DAV:cannot-modify-protected-property:\n%s", answer)
	}
	ms := davtest.ParseMultistatus(t, answer)
	r := ms["/calendars/c/"]
	if r["{urn:z}colour"].Status != 424 || r["{DAV:}getetag"].Status != 403 {
		t.Fatalf("statuses: colour %d (want 424), getetag %d (want 403)", r["{urn:z}colour"].Status, r["{DAV:}getetag"].Status)
	}
	if e.commits() != before {
		t.Fatalf("a failed PROPPATCH committed")
	}
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/", `<propfind xmlns="DAV:"><prop><z:colour xmlns:z="urn:z"/></prop></propfind>`, "Depth", "0").Body)
	if ms["/calendars/c/"]["{urn:z}colour"].Status != 404 {
		t.Fatalf("failed PROPPATCH wrote the property")
	}

	// A dead property keeps attributes and nested elements exactly, and
	// set + remove apply in order, in one commit.
	value := `<Z:Authors xmlns:Z="urn:z" Z:kind="list" role="x"><Z:Author>Jim</Z:Author><Z:Author><Y:n xmlns:Y="urn:y">Roy</Y:n></Z:Author></Z:Authors>`
	body = `<D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z"><D:set><D:prop>` + value + `<Z:gone>1</Z:gone></D:prop></D:set>
	  <D:remove><D:prop><Z:gone/></D:prop></D:remove></D:propertyupdate>`
	before = e.commits()
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPPATCH", "/calendars/c/", body).Body)
	for name, res := range ms["/calendars/c/"] {
		if res.Status != 200 {
			t.Errorf("%s: %d", name, res.Status)
		}
	}
	if e.commits() != before+1 {
		t.Errorf("PROPPATCH made %d commits, want 1", e.commits()-before)
	}
	ms = davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/c/",
		`<propfind xmlns="DAV:"><prop><z:Authors xmlns:z="urn:z"/><z:gone xmlns:z="urn:z"/></prop></propfind>`, "Depth", "0").Body)
	want := davtest.CanonicalXML(t, value)
	if got := ms["/calendars/c/"]["{urn:z}Authors"].Elem; got != want {
		t.Errorf("dead property\n got %s\nwant %s", got, want)
	}
	if ms["/calendars/c/"]["{urn:z}gone"].Status != 404 {
		t.Errorf("removed property still there")
	}
}

func TestProppatchPreconditions(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "PUT", "/calendars/x", "data")
	body := `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>n</D:displayname></D:prop></D:set></D:propertyupdate>`
	e.Must(412, "PROPPATCH", "/calendars/x", body, "If-Match", `"other"`)
	e.Must(207, "PROPPATCH", "/calendars/x", body, "If-Match", `"`+blobID([]byte("data"))+`"`)
	e.Must(400, "PROPPATCH", "/calendars/x", `<D:propfind xmlns:D="DAV:"/>`)
	e.Must(404, "PROPPATCH", "/calendars/none", body)
}

func TestMkcol(t *testing.T) {
	e := newTestEnv(t)
	before := e.commits()
	r := e.Must(201, "MKCOL", "/calendars/c/", "")
	if e.commits() != before+1 || r.Header.Get("Location") != "/calendars/c/" {
		t.Errorf("MKCOL: %d commits, Location %q", e.commits()-before, r.Header.Get("Location"))
	}
	e.Must(405, "MKCOL", "/calendars/c/", "")
	e.Must(409, "MKCOL", "/calendars/a/b/", "")
	e.Must(415, "MKCOL", "/calendars/d/", "<foo/>", "Content-Type", "text/xml")
	e.Must(415, "MKCOL", "/calendars/d/", "not xml at all")
	ext := `<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:displayname>Work</D:displayname>
	  <D:resourcetype><D:collection/><X:special xmlns:X="urn:x"/></D:resourcetype></D:prop></D:set></D:mkcol>`
	e.Must(201, "MKCOL", "/calendars/e/", ext, "Content-Type", "application/xml")
	ms := davtest.ParseMultistatus(t, e.Must(207, "PROPFIND", "/calendars/e/", `<propfind xmlns="DAV:"><prop><displayname/><resourcetype/></prop></propfind>`, "Depth", "0").Body)
	if ms["/calendars/e/"]["{DAV:}displayname"].XML != "Work" ||
		ms["/calendars/e/"]["{DAV:}resourcetype"].XML != davtest.CanonicalXML(t, `<collection xmlns="DAV:"/><special xmlns="urn:x"/>`) {
		t.Errorf("extended MKCOL properties: %+v", ms["/calendars/e/"])
	}
	bad := `<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:getetag>x</D:getetag><D:displayname>n</D:displayname></D:prop></D:set></D:mkcol>`
	before = e.commits()
	r = e.Must(403, "MKCOL", "/calendars/f/", bad)
	if e.commits() != before || !strings.Contains(r.Body, "mkcol-response") {
		t.Errorf("refused extended MKCOL: commits %d, body %s", e.commits()-before, r.Body)
	}
}

func TestCopyMove(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(201, "MKCOL", "/calendars/c/sub/", "")
	e.Must(201, "PUT", "/calendars/c/sub/a", "A")
	e.Must(201, "PUT", "/calendars/c/b", "B")
	e.Must(201, "COPY", "/calendars/c/b", "", "Destination", "http://example.com/calendars/c/b2")
	e.Must(412, "COPY", "/calendars/c/b", "", "Destination", "/calendars/c/b2", "Overwrite", "F")
	e.Must(204, "COPY", "/calendars/c/b", "", "Destination", "/calendars/c/b2")
	e.Must(409, "COPY", "/calendars/c/b", "", "Destination", "/calendars/none/b")
	e.Must(201, "COPY", "/calendars/c/sub/", "", "Destination", "/calendars/c/deep/")
	if e.Must(200, "GET", "/calendars/c/deep/a", "").Body != "A" {
		t.Errorf("deep copy lost a member")
	}
	e.Must(201, "COPY", "/calendars/c/sub/", "", "Destination", "/calendars/c/shallow/", "Depth", "0")
	e.Must(404, "GET", "/calendars/c/shallow/a", "")
	e.Must(403, "COPY", "/calendars/c/", "", "Destination", "/calendars/c/sub/inner/")
	before := e.commits()
	e.Must(201, "MOVE", "/calendars/c/sub/", "", "Destination", "/calendars/moved/")
	if e.commits() != before+1 {
		t.Errorf("MOVE made %d commits", e.commits()-before)
	}
	e.Must(404, "PROPFIND", "/calendars/c/sub/", "", "Depth", "0")
	if e.Must(200, "GET", "/calendars/moved/a", "").Body != "A" {
		t.Errorf("MOVE lost a member")
	}
	e.Must(400, "MOVE", "/calendars/moved/", "", "Destination", "/calendars/m2/", "Depth", "0")
	e.Must(502, "MOVE", "/calendars/c/b", "", "Destination", "http://elsewhere.test/calendars/c/z")
}

func TestDeleteCollectionIsRecursive(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(201, "MKCOL", "/calendars/c/d/", "")
	e.Must(201, "PUT", "/calendars/c/d/x", "x")
	before := e.commits()
	e.Must(204, "DELETE", "/calendars/c/", "")
	if e.commits() != before+1 || e.store.Head().Exists("calendars/c") {
		t.Errorf("DELETE of a collection: %d commits, still there %v", e.commits()-before, e.store.Head().Exists("calendars/c"))
	}
	e.Must(403, "DELETE", "/calendars/", "")
}

func TestCommitIdentity(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "", "User-Agent", "tester/1.0")
	h, err := e.store.History(context.Background(), "", 1)
	if err != nil || len(h) != 1 {
		t.Fatal(err)
	}
	c := h[0]
	if c.AuthorName != "root (via caldav)" || !strings.HasPrefix(c.Message, "MKCOL /calendars/c/") ||
		!strings.Contains(c.Message, "Remote-User: root") || !strings.Contains(c.Message, "User-Agent: tester/1.0") {
		t.Errorf("commit %+v", c)
	}
}

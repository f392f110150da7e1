package davtest

import (
	"net/http"
	"testing"
)

func TestParseMultistatus(t *testing.T) {
	ms := ParseMultistatus(t, `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:" xmlns:Z="urn:z">
		<D:response><D:href> /a/ </D:href>
			<D:propstat><D:prop><D:displayname>A</D:displayname><Z:x b="2" a="1"> <Z:y/> </Z:x></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
			<D:propstat><D:prop><D:getetag/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>
		</D:response>
		<D:response><D:href>/b</D:href><D:status>HTTP/1.1 403 Forbidden</D:status></D:response>
		</D:multistatus>`)
	a := ms["/a/"]
	if a["{DAV:}displayname"] != (Prop{Status: 200, XML: "A", Elem: "<{DAV:}displayname>A</>"}) {
		t.Errorf("displayname %+v", a["{DAV:}displayname"])
	}
	if x := a["{urn:z}x"]; x.XML != "<{urn:z}y></>" || x.Elem != `<{urn:z}x a="1" b="2"><{urn:z}y></></>` {
		t.Errorf("x %+v", x)
	}
	if a["{DAV:}getetag"].Status != 404 || ms["/b"][""].Status != 403 {
		t.Errorf("statuses %v", ms.Statuses())
	}
}

func TestCanonical(t *testing.T) {
	if a, b := CanonicalXML(t, `<a:x xmlns:a="urn:q" a:k="v"> t </a:x>`), CanonicalXML(t, `<x xmlns="urn:q" xmlns:b="urn:q" b:k="v"> t </x>`); a != b || a != `<{urn:q}x {urn:q}k="v"> t </>` {
		t.Errorf("%s != %s", a, b)
	}
	ms := `<multistatus xmlns="DAV:"><response><href>/b</href></response>
		<response><href>/a</href><propstat><prop><y xmlns="urn:y"/><x xmlns="urn:y">text<z/></x></prop></propstat></response></multistatus>`
	sorted := `<D:multistatus xmlns:D="DAV:" xmlns:Y="urn:y"><D:response><D:href>/a</D:href><D:propstat><D:prop><Y:x><Y:z/>text</Y:x><Y:y/></D:prop></D:propstat></D:response>
		<D:response><D:href>/b</D:href></D:response></D:multistatus>`
	if a, b := CanonicalDocument(t, ms), CanonicalDocument(t, sorted); a != b {
		t.Errorf("CanonicalDocument:\n%s\n%s", a, b)
	}
	loose := Canonicaliser{IgnoreMixedText: true}
	if a, b := loose.Document(t, `<x xmlns="urn:y">text<z/></x>`), loose.Document(t, `<x xmlns="urn:y"><z/></x>`); a != b {
		t.Errorf("IgnoreMixedText: %s != %s", a, b)
	}
	upper := Canonicaliser{Text: map[string]func(testing.TB, string) string{"{urn:y}x": func(_ testing.TB, s string) string { return s + "!" }}}
	if got := upper.Document(t, `<x xmlns="urn:y"> a </x>`); got != "<{urn:y}x>a!</>" {
		t.Errorf("Text: %s", got)
	}
}

func TestErrorConditionAndStatusCode(t *testing.T) {
	if got := ErrorCondition(`<D:error xmlns:D="DAV:"><D:responsedescription>no</D:responsedescription><C:valid-filter xmlns:C="urn:c"/></D:error>`); got != "{urn:c}valid-filter" {
		t.Errorf("ErrorCondition %q", got)
	}
	if got := ErrorCondition("not XML"); got != "" {
		t.Errorf("ErrorCondition of no error %q", got)
	}
	if got := StatusCode(t, "HTTP/1.1 207 Multi-Status"); got != 207 {
		t.Errorf("StatusCode %d", got)
	}
}

func TestClient(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, _ := r.BasicAuth()
		w.Header().Set("X-Depth", r.Header.Get("Depth"))
		w.WriteHeader(201)
		w.Write([]byte(u + ":" + p))
	})
	c := &Client{T: t, Handler: h, Passwords: map[string]string{"alice": "pw"}, User: "alice"}
	if r := c.Want(201, "alice", "GET", "/", "", "Depth", "1"); r.Body != "alice:pw" || r.Header.Get("X-Depth") != "1" {
		t.Errorf("As alice: %+v", r)
	}
	if r := c.Must(201, "GET", "/", ""); r.Body != "alice:pw" {
		t.Errorf("Must: %+v", r)
	}
	if r := c.As("", "GET", "/", ""); r.Body != ":" {
		t.Errorf("anonymous: %+v", r)
	}
	if r := c.AsWith("bob", "x", "GET", "/", ""); r.Status != 201 || r.Body != "bob:x" {
		t.Errorf("AsWith: %+v", r)
	}
}

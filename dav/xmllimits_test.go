package dav

import (
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// propfindBody is a PROPFIND body of 2+n elements.
func propfindBody(n int) string {
	return `<D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat(`<D:getetag/>`, n) + `</D:prop></D:propfind>`
}

// proppatchDepth is a PROPPATCH body whose deepest element is at depth.
func proppatchDepth(depth int) string {
	k := depth - 3 // propertyupdate, set, prop
	return `<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop>` +
		strings.Repeat(`<X:a>`, k) + "v" + strings.Repeat(`</X:a>`, k) + `</D:prop></D:set></D:propertyupdate>`
}

// Each request limit refuses a body just over it with its status and
// takes one just under it.
func TestRequestLimits(t *testing.T) {
	e := newTestEnv(t)
	e.srv.Limits = Limits{MaxBody: 2000, MaxXMLDepth: 8, MaxXMLElements: 20}
	e.Must(201, "MKCOL", "/calendars/c/", "")
	e.Must(201, "PUT", "/calendars/c/a", strings.Repeat("x", 2000))
	e.Must(413, "PUT", "/calendars/c/b", strings.Repeat("x", 2001))
	e.Must(207, "PROPFIND", "/calendars/c/", propfindBody(18), "Depth", "0")
	e.Must(413, "PROPFIND", "/calendars/c/", propfindBody(19), "Depth", "0")
	e.Must(207, "PROPPATCH", "/calendars/c/", proppatchDepth(8))
	e.Must(400, "PROPPATCH", "/calendars/c/", proppatchDepth(9))
	// Comments, CDATA and attribute values holding "<" and "/>" are not
	// elements.
	tricky := `<?xml version="1.0"?><!-- <a><b><c/> --><D:propfind xmlns:D="DAV:" x="a/>b"><D:prop>` +
		strings.Repeat(`<D:getetag/>`, 18) + `</D:prop><![CDATA[<x><y>]]></D:propfind>`
	e.Must(207, "PROPFIND", "/calendars/c/", tricky, "Depth", "0")
	if err := scanXML([]byte(tricky), e.srv.Limits.orDefault()); err != nil {
		t.Errorf("scanXML counted markup as elements: %v", err)
	}
}

// scanXML agrees with the parsed tree on element count and depth.
func TestScanXMLMatchesTree(t *testing.T) {
	for _, body := range []string{propfindBody(5), proppatchDepth(7), `<a><b x='>'/><c>t<!-- <d> --></c></a>`, `<a/>`} {
		root, err := parseXML([]byte(body), DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		n, depth := treeShape(root.ChildElements(), 1)
		n++
		for _, l := range []Limits{{MaxXMLElements: n - 1, MaxXMLDepth: 100}, {MaxXMLElements: 1000, MaxXMLDepth: depth - 1}} {
			if scanXML([]byte(body), l) == nil {
				t.Errorf("%s: scanXML took it under %+v (%d elements, depth %d)", body, l, n, depth)
			}
		}
		if err := scanXML([]byte(body), Limits{MaxXMLElements: n, MaxXMLDepth: depth}); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// A PROPPATCH setting as many properties as the element limit is refused
// with 413 by the scan, before a tree is built: the request allocates
// about the body's size, not a tree.
func TestManyPropertiesRefusedCheaply(t *testing.T) {
	e := newTestEnv(t)
	e.Must(201, "MKCOL", "/calendars/c/", "")
	var b strings.Builder
	b.WriteString(`<D:propertyupdate xmlns:D="DAV:" xmlns:X="urn:x"><D:set><D:prop>`)
	for range DefaultMaxXMLElements {
		b.WriteString(`<X:p>1</X:p>`)
	}
	b.WriteString(`</D:prop></D:set></D:propertyupdate>`)
	body := b.String()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := e.Do("PROPPATCH", "/calendars/c/", body)
	runtime.ReadMemStats(&after)
	if r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413\n%.300s", r.Status, r.Body)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8*uint64(len(body)) {
		t.Errorf("refusing a %d-byte body allocated %d bytes", len(body), grown)
	}
	raw, roomy := []byte(body), Limits{MaxXMLElements: 1 << 30, MaxXMLDepth: 64}
	if allocs := testing.AllocsPerRun(3, func() { _ = scanXML(raw, roomy) }); allocs > 0 {
		t.Errorf("scanXML allocates (%v)", allocs)
	}
}

// treeShape returns the number of elements below (and the depth reached
// from) the given children at depth d.
func treeShape(kids []*etree.Element, d int) (n, depth int) {
	depth = d
	for _, k := range kids {
		kn, kd := treeShape(k.ChildElements(), d+1)
		n += kn + 1
		depth = max(depth, kd)
	}
	return n, depth
}

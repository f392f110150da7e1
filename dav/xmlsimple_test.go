package dav

import (
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// etreeDocument parses body with etree alone, as parseXML did before
// parseSimpleXML.
func etreeDocument(body []byte) (*etree.Document, error) {
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	return doc, doc.ReadFromBytes(body)
}

// sameTokens compares two token lists: kinds, names, attributes in order,
// character data and its whitespace and CDATA marks, processing
// instructions, recursively. It returns the first difference.
func sameTokens(path string, a, b []etree.Token) string {
	if len(a) != len(b) {
		return fmt.Sprintf("%s: %d tokens, etree has %d", path, len(a), len(b))
	}
	for i := range a {
		at := fmt.Sprintf("%s[%d]", path, i)
		switch x := a[i].(type) {
		case *etree.Element:
			y, ok := b[i].(*etree.Element)
			if !ok {
				return at + ": an element where etree has another token"
			}
			if x.Space != y.Space || x.Tag != y.Tag {
				return fmt.Sprintf("%s: element %s:%s, etree has %s:%s", at, x.Space, x.Tag, y.Space, y.Tag)
			}
			if len(x.Attr) != len(y.Attr) {
				return fmt.Sprintf("%s: %d attributes, etree has %d", at, len(x.Attr), len(y.Attr))
			}
			for j := range x.Attr {
				if x.Attr[j].Space != y.Attr[j].Space || x.Attr[j].Key != y.Attr[j].Key || x.Attr[j].Value != y.Attr[j].Value {
					return fmt.Sprintf("%s: attribute %+v, etree has %+v", at, x.Attr[j], y.Attr[j])
				}
			}
			if x.Parent() == nil || y.Parent() == nil || x.Index() != y.Index() {
				return at + ": not linked to its parent as etree links it"
			}
			if d := sameTokens(at+"/"+x.Tag, x.Child, y.Child); d != "" {
				return d
			}
		case *etree.CharData:
			y, ok := b[i].(*etree.CharData)
			if !ok || x.Data != y.Data || x.IsWhitespace() != y.IsWhitespace() || x.IsCData() != y.IsCData() {
				return fmt.Sprintf("%s: text %q, etree has %#v", at, x.Data, b[i])
			}
		case *etree.ProcInst:
			y, ok := b[i].(*etree.ProcInst)
			if !ok || x.Target != y.Target || x.Inst != y.Inst {
				return fmt.Sprintf("%s: processing instruction %q %q, etree has %#v", at, x.Target, x.Inst, b[i])
			}
		default:
			return fmt.Sprintf("%s: token %T, which parseSimpleXML never makes", at, a[i])
		}
	}
	return ""
}

// compareWithEtree checks parseSimpleXML against etree on body: when it
// builds a tree, etree must accept the body and build the same one. It
// reports whether parseSimpleXML took the body.
func compareWithEtree(t *testing.T, body []byte) bool {
	t.Helper()
	doc, ok := parseSimpleXML(body)
	if !ok {
		return false
	}
	want, err := etreeDocument(body)
	if err != nil {
		t.Fatalf("parseSimpleXML took %q, which etree refuses: %v", body, err)
	}
	if d := sameTokens("", doc.Child, want.Child); d != "" {
		t.Fatalf("%q: %s", body, d)
	}
	return true
}

// The bodies clients send take the quick path, and give etree's tree.
func TestSimpleXMLTakesClientBodies(t *testing.T) {
	var hrefs strings.Builder
	for i := range 100 {
		fmt.Fprintf(&hrefs, "<D:href>/calendars/bench/ev-%06d.ics</D:href>\n", i)
	}
	for _, body := range []string{
		`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>` + hrefs.String() + `</C:calendar-multiget>`,
		`<?xml version='1.0' encoding='UTF-8' standalone='yes'?><propfind xmlns="DAV:"><prop><getetag/><resourcetype /></prop></propfind>`,
		"<D:propfind xmlns:D=\"DAV:\">\n\t<D:allprop/>\n</D:propfind>\n",
		`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><x:a xmlns:x="u" x:b='c "q"'>text with > and 'quotes' and ünïcödé</x:a></D:prop></D:set></D:propertyupdate>`,
		`<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:D="DAV:"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`,
		`<a b="1" b="2"/>`,
		`<a></a >`,
		`<a>x<b/>y<c>z</c>  </a>`,
		"<a\tb='x>y'\nc=\"\"/>", "<a.b-c_d e-f.g='1'/>", "<p:a xmlns:p='u'><p:b/></p:a>\n\n",
	} {
		if !compareWithEtree(t, []byte(body)) {
			t.Errorf("not taken by the quick path: %q", body)
		}
	}
}

// Everything outside the subset is left to etree, which accepts or
// refuses it, well-formed or not.
func TestSimpleXMLLeavesTheRestToEtree(t *testing.T) {
	for _, body := range []string{
		"", " ", "<a>", "<a></b>", "<a/><b/>", "<a/>x", "x<a/>",
		"<a>&amp;</a>", "<a b='&lt;'/>", "<a>\r\n</a>", "<a b='x\ny'/>", "<a b='<'/>", "<a b=c/>", "<a b = 'c'/>",
		"<!-- c --><a/>", "<a><!-- c --></a>", "<a><![CDATA[x]]></a>", "<a>]]></a>", "<a><?pi x?></a>",
		"<!DOCTYPE a><a/>", "\ufeff<a/>", " <?xml version='1.0'?><a/>",
		`<?xml version="1.1"?><a/>`, `<?xml encoding="latin1"?><a/>`, `<?xml version="1.0" version="1.0"?><a/>`,
		`<?xml?><a/>`, `<?xml-stylesheet href="x"?><a/>`, `<?xml version="1.0"`,
		"<:a/>", "<a:/>", "<a:b:c/>", "<1a/>", "<-a/>", "<é/>", "<a b='1'c='2'/>", "<a/ >",
		"<a>\x00</a>", "<a>\xff</a>", "<a>\uffff</a>", "<a>\ufffd</a>",
	} {
		if _, ok := parseSimpleXML([]byte(body)); ok {
			t.Errorf("the quick path took %q", body)
		}
	}
}

// FuzzSimpleXML compares parseSimpleXML with etree on any input: what it
// takes, etree takes and reads into the same tree.
func FuzzSimpleXML(f *testing.F) {
	for _, seed := range []string{
		`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><D:href>/a/b.ics</D:href></C:calendar-multiget>`,
		`<a b="1" c='2'>x<d/>y</a>`, `<?xml version='1.0' standalone='no'?><a/>`, "<a>\n\t<b></b >\n</a>\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		compareWithEtree(t, body)
	})
}

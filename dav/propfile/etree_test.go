package propfile

import (
	"encoding/xml"
	"testing"
	"time"

	"github.com/beevik/etree"
)

// stripDecls removes stored namespace declarations, which FromElement
// reports as attributes (as robur's XML reader does).
func stripDecls(n Node) Node {
	if n.IsText {
		return n
	}
	out := Node{Name: n.Name}
	for _, a := range n.Attrs {
		if a.Name.Space != NamespaceXMLNS {
			out.Attrs = append(out.Attrs, a)
		}
	}
	for _, c := range n.Children {
		out.Children = append(out.Children, stripDecls(c))
	}
	return out
}

func TestElementRoundTrip(t *testing.T) {
	z := "http://ns.example.com/standards/z39.50/"
	n := Element(DAV("prop"), nil,
		Element(xml.Name{Space: z, Local: "Authors"}, []Attr{{Name: xml.Name{Space: NamespaceXMLNS, Local: "Z"}, Value: z}},
			Element(xml.Name{Space: z, Local: "Author"}, []Attr{
				{Name: xml.Name{Local: "role"}, Value: "editor"},
				{Name: xml.Name{Space: z, Local: "lang"}, Value: "de"},
				{Name: xml.Name{Space: "urn:other", Local: "x"}, Value: "1"},
				{Name: xml.Name{Space: NamespaceXML, Local: "lang"}, Value: "en"},
			}, TextNode("Jim <Whitehead> & \"co\"")),
			Element(xml.Name{Space: "urn:x-example:org", Local: "org"},
				[]Attr{{Name: xml.Name{Space: NamespaceXMLNS, Local: "xmlns"}, Value: "urn:x-example:org"}},
				Element(xml.Name{Local: "plain"}, nil, TextNode("no namespace")))),
		Element(CalDAV("calendar"), nil),
		Element(xml.Name{Space: "urn:a", Local: "a"}, nil, Element(xml.Name{Space: "urn:b", Local: "b"}, nil)),
	)
	e := ToElement(n)
	doc := etree.NewDocumentWithRoot(e)
	s, err := doc.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	// Reparse the serialised XML: namespaces must survive by URI.
	doc2 := etree.NewDocument()
	if err := doc2.ReadFromString(s); err != nil {
		t.Fatalf("reading %s: %v", s, err)
	}
	back := FromElement(doc2.Root())
	if !stripDecls(back).Equal(stripDecls(n)) {
		t.Errorf("round trip through %s\n got %+v\nwant %+v", s, stripDecls(back), stripDecls(n))
	}
	// Stored declarations are written and read back as attributes.
	authors := back.Children[0]
	if len(authors.Attrs) == 0 || authors.Attrs[0] != (Attr{Name: xml.Name{Space: NamespaceXMLNS, Local: "Z"}, Value: z}) {
		t.Errorf("stored xmlns:Z lost: %+v", authors.Attrs)
	}
	if e.Space != "D" {
		t.Errorf("DAV: element prefix = %q, want D", e.Space)
	}
	if ToElement(TextNode("x")) != nil {
		t.Error("ToElement of a text node is not nil")
	}
}

func TestFromElementLikeRobur(t *testing.T) {
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
  <D:displayname>  Caf<![CDATA[é]]> </D:displayname>
  <x:y xmlns:x="urn:x"><!-- c --></x:y>
</D:prop></D:set></D:propertyupdate>`)
	if err != nil {
		t.Fatal(err)
	}
	prop := doc.FindElement("//prop")
	n := FromElement(prop)
	want := Element(DAV("prop"), nil,
		Element(DAV("displayname"), nil, TextNode("  Café ")),
		Element(xml.Name{Space: "urn:x", Local: "y"}, []Attr{{Name: xml.Name{Space: NamespaceXMLNS, Local: "x"}, Value: "urn:x"}}),
	)
	if !n.Equal(want) {
		t.Errorf("FromElement = %+v\nwant %+v", n, want)
	}
}

func TestValueHelpers(t *testing.T) {
	ts := time.Date(2018, 4, 12, 12, 0, 0, 999_000_000, time.FixedZone("CEST", 2*3600))
	if got := FormatTimestamp(ts); got != "2018-04-12T10:00:00-00:00" {
		t.Errorf("FormatTimestamp = %q", got)
	}
	for in, want := range map[string]time.Time{
		"2018-04-12T10:00:00-00:00": time.Date(2018, 4, 12, 10, 0, 0, 0, time.UTC),
		"2018-04-12t10:00:00z":      time.Date(2018, 4, 12, 10, 0, 0, 0, time.UTC),
		"2018-04-12 10:00:00.25Z":   time.Date(2018, 4, 12, 10, 0, 0, 250_000_000, time.UTC),
		"2018-04-12T12:00:00+02:00": time.Date(2018, 4, 12, 10, 0, 0, 0, time.UTC),
	} {
		got, err := ParseTimestamp(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", in, got, err, want)
		}
		if in == "2018-04-12T10:00:00-00:00" && (got.Location() != time.UTC || FormatTimestamp(got) != in) {
			t.Errorf("-00:00 does not round-trip: %v", got)
		}
	}
	if _, err := ParseTimestamp("Thu, 12 Apr 2018 10:00:00 GMT"); err == nil {
		t.Error("HTTP date accepted as RFC 3339")
	}

	hrefs := append(HrefNodes("/principals/a/", "/principals/b/"), TextNode("x"),
		Element(DAV("href"), nil), Element(xml.Name{Local: "href"}, nil, TextNode("/no-ns/")))
	if got := Hrefs(hrefs); len(got) != 2 || got[0] != "/principals/a/" || got[1] != "/principals/b/" {
		t.Errorf("Hrefs = %q", got)
	}
	if s, ok := TextProperty(DAV("x"), "v").Text(); !ok || s != "v" {
		t.Error("Text of a text property")
	}
	if _, ok := (Property{Value: HrefNodes("/a/")}).Text(); ok {
		t.Error("Text of an href property")
	}
}

func TestACL(t *testing.T) {
	aces := []ACE{
		{Principal: Principal{Kind: PrincipalHref, Href: "/principals/root/"}, Kind: Grant, Privileges: []Privilege{PrivAll}},
		{Principal: Principal{Kind: PrincipalAll}, Kind: Grant, Privileges: []Privilege{PrivRead, PrivBind, PrivUnbind}},
		{Principal: Principal{Kind: PrincipalSelf}, Kind: Deny, Privileges: []Privilege{PrivWriteACL}},
		{Principal: Principal{Kind: PrincipalUnauthenticated}, Kind: Inherited, InheritedFrom: "/calendars/"},
	}
	nodes := EncodeACL(aces)
	got, err := DecodeACL(nodes)
	if err != nil || len(got) != len(aces) {
		t.Fatalf("DecodeACL = %v, %v", got, err)
	}
	for i := range aces {
		if got[i].Principal != aces[i].Principal || got[i].Kind != aces[i].Kind ||
			got[i].InheritedFrom != aces[i].InheritedFrom || len(got[i].Privileges) != len(aces[i].Privileges) {
			t.Errorf("ACE %d: got %+v, want %+v", i, got[i], aces[i])
		}
	}
	// Robur ignores unknown children and unknown privileges, and skips
	// malformed entries.
	odd := Element(DAV("ace"), nil,
		Element(xml.Name{Space: "urn:x", Local: "note"}, nil),
		Element(DAV("principal"), nil, Element(DAV("href"), nil, TextNode("/p/"))),
		Element(DAV("grant"), nil, Element(DAV("privilege"), nil, Element(DAV("read"), nil), Element(DAV("frobnicate"), nil))))
	bad := []Node{
		TextNode("x"),
		Element(DAV("ace"), nil, Element(DAV("grant"), nil, Element(DAV("privilege"), nil, Element(DAV("read"), nil)))),
		Element(DAV("ace"), nil, Element(DAV("principal"), nil, Element(DAV("all"), nil))),
		Element(DAV("ace"), nil, Element(DAV("principal"), nil, Element(DAV("all"), nil)),
			Element(DAV("grant"), nil, Element(DAV("privilege"), nil, Element(DAV("frobnicate"), nil)))),
	}
	got, err = DecodeACL(append([]Node{odd}, bad...))
	if len(got) != 1 || got[0].Principal.Href != "/p/" || len(got[0].Privileges) != 1 || got[0].Privileges[0] != PrivRead {
		t.Errorf("lenient decode = %+v", got)
	}
	if err == nil {
		t.Error("malformed entries not reported")
	}
}

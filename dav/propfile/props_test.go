package propfile

import (
	"encoding/xml"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/quick"
	"time"
)

// TestRandomRoundTrip is the property-based test: for random maps,
// Parse(Marshal(p)) equals p and marshalling again gives the same bytes.
func TestRandomRoundTrip(t *testing.T) {
	g := newPropGen(7)
	for i := range 5000 {
		p := g.props()
		data := p.Marshal()
		back, err := Parse(data)
		if err != nil {
			t.Fatalf("case %d: Parse(Marshal(p)): %v\n%s", i, err, data)
		}
		if !back.Equal(p) {
			t.Fatalf("case %d: round trip changed the map\n%s\n---\n%s", i, data, back.Marshal())
		}
		if again := back.Marshal(); string(again) != string(data) {
			t.Fatalf("case %d: second Marshal differs", i)
		}
	}
}

// TestQuickTextRoundTrip checks arbitrary byte strings as text values,
// names and attribute values with testing/quick.
func TestQuickTextRoundTrip(t *testing.T) {
	f := func(space, local, attr, text string) bool {
		p := NewProps(Property{
			Name:  xml.Name{Space: space, Local: local},
			Attrs: []Attr{{Name: xml.Name{Local: attr}, Value: text}},
			Value: []Node{TextNode(text), Element(xml.Name{Space: text, Local: local}, nil, TextNode(text+"\n"+text))},
		})
		back, err := Parse(p.Marshal())
		return err == nil && back.Equal(p)
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 2000}); err != nil {
		t.Error(err)
	}
}

func TestMapOrderAndOps(t *testing.T) {
	var p Props
	names := []xml.Name{Robur("salt"), DAV("displayname"), {Local: "zz"}, CalDAV("a"), DAV("acl"), {Space: "DAV", Local: "x"}}
	for _, n := range names {
		p.Set(TextProperty(n, n.Local))
	}
	want := []xml.Name{{Local: "zz"}, {Space: "DAV", Local: "x"}, DAV("acl"), DAV("displayname"), Robur("salt"), CalDAV("a")}
	if got := p.Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	p.Set(TextProperty(DAV("acl"), "replaced"))
	if got, _ := p.Get(DAV("acl")); got.Value[0].Text != "replaced" || p.Len() != len(names) {
		t.Errorf("Set did not replace: %v, len %d", got, p.Len())
	}
	if !p.Delete(DAV("acl")) || p.Delete(DAV("acl")) || p.Len() != len(names)-1 {
		t.Error("Delete misbehaves")
	}
	if _, ok := p.Get(DAV("acl")); ok {
		t.Error("deleted property still present")
	}
	c := p.Clone()
	c.Set(TextProperty(DAV("new"), "x"))
	if p.Len() == c.Len() {
		t.Error("Clone shares storage")
	}
	if got := string((&Props{}).Marshal()); got != "()" {
		t.Errorf("empty map marshals to %q, want ()", got)
	}
}

func TestDuplicateBindingsLastWins(t *testing.T) {
	p, err := Parse([]byte(`(((DAV: a) (() ((Pcdata 1)))) ((DAV: a) (() ((pcdata 2)))))`))
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := mustGet(t, p, DAV("a")).Text(); p.Len() != 1 || text != "2" {
		t.Errorf("got %d properties, a = %q; want 1 and \"2\"", p.Len(), text)
	}
}

func mustGet(t *testing.T, p *Props, n xml.Name) Property {
	t.Helper()
	prop, ok := p.Get(n)
	if !ok {
		t.Fatalf("property %v missing", n)
	}
	return prop
}

func TestParseTolerance(t *testing.T) {
	in := "; written by hand\n ( ((DAV: x)\t(() ((Pcdata \"a\\\n      b\\x41\\066\"))))  #| note |#\r\n((DAV: y) (() ((node DAV: href () ())) )) #;(ignored) )\n\n"
	p, err := Parse([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if text, _ := mustGet(t, p, DAV("x")).Text(); text != "abAB" {
		t.Errorf("x = %q, want abAB", text)
	}
	if y := mustGet(t, p, DAV("y")); len(y.Value) != 1 || y.Value[0].Name != DAV("href") {
		t.Errorf("y = %+v", y)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"", "line 1, column 1 (offset 0): unexpected end of input"},
		{"(", "line 1, column 1 (offset 0): unclosed parenthesis"},
		{"()\n)", "line 2, column 1 (offset 3): unexpected data after the s-expression"},
		{")", "unexpected closing parenthesis"},
		{`("abc`, `line 1, column 2 (offset 1): unterminated quoted atom`},
		{`("\256")`, `decimal escape \256 is out of range`},
		{`("\2x")`, "unterminated decimal escape sequence"},
		{`("\xg0")`, "unterminated hexadecimal escape sequence"},
		{"(a#|b)", "comment delimiter"},
		{"#| open", "unterminated block comment"},
		{"(#;)", "line 1, column 4 (offset 3): unexpected closing parenthesis"},
		{"() #;", "line 1, column 4 (offset 3): s-expression comment without an s-expression"},
		{"atom", "the property map: expected a list, found atom \"atom\""},
		{"(x)", "binding 1: property binding ((NAMESPACE NAME) (ATTRIBUTES VALUE)): expected a list of 2 elements, found atom \"x\""},
		{"(((DAV:) (() ())))", "binding 1: property name (NAMESPACE NAME): expected a list of 2 elements"},
		{"(((DAV: a) (())))", "property {DAV:}a: (ATTRIBUTES VALUE): expected a list of 2 elements"},
		{"(((DAV: a) ((x) ())))", "attribute ((NAMESPACE NAME) VALUE): expected a list of 2 elements, found atom \"x\""},
		{"(((DAV: a) (() ((Text x)))))", `unknown constructor "Text"`},
		{"(((DAV: a) (() ((Pcdata)))))", "Pcdata takes 1 argument, found 0"},
		{"(((DAV: a) (() ((Node DAV: b ())))))", "Node takes 4 arguments"},
		{"(((DAV: a) (() ((Node DAV: b (((x y) (z))) ())))))", "element {DAV:}b: attribute value: expected an atom"},
		{"(((DAV: a) (() (Pcdata x))))", "XML tree: expected (Pcdata TEXT)"},
		{"\n\n  (((DAV: a) (() (())))", "line 3, column 3 (offset 4): unclosed parenthesis"},
		{strings.Repeat("(", MaxDepth+1), "nested deeper than 512 levels"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.in))
		var se *SyntaxError
		if err == nil || !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", c.in, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "propfile: line ") {
			t.Errorf("Parse(%q) error = %q, want it to contain %q", c.in, err, c.want)
		}
	}
}

func TestMigrate(t *testing.T) {
	now := time.Date(2025, 3, 4, 5, 6, 7, 890, time.FixedZone("CET", 3600))
	read := func(name string) *Props {
		data, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A file: getlastmodified is copied from creationdate.
	p := read("version1.prop")
	if from, ok := p.Migrate(now); from != 1 || !ok {
		t.Errorf("Migrate = %d, %v; want 1, true", from, ok)
	}
	if v, _ := p.Version(); v != 2 {
		t.Errorf("version after migration = %d", v)
	}
	if lm, _ := mustGet(t, p, DAV("getlastmodified")).Text(); lm != t0 {
		t.Errorf("getlastmodified = %q, want creationdate %q", lm, t0)
	}
	// A collection: getlastmodified is now.
	d := read("version0-dir.prop")
	if from, ok := d.Migrate(now); from != 0 || !ok {
		t.Errorf("Migrate = %d, %v; want 0, true", from, ok)
	}
	if lm, _ := mustGet(t, d, DAV("getlastmodified")).Text(); lm != "2025-03-04T04:06:07-00:00" {
		t.Errorf("getlastmodified = %q", lm)
	}
	// Current and unreadable versions are left alone.
	cur := read("event.prop")
	before := string(cur.Marshal())
	if _, ok := cur.Migrate(now); ok || string(cur.Marshal()) != before {
		t.Error("version 2 map was changed")
	}
	for _, v := range []string{"x", "1.0", ""} {
		q := NewProps(TextProperty(VersionName, v))
		if _, ok := q.Migrate(now); ok {
			t.Errorf("version %q migrated", v)
		}
	}
	if _, ok := (&Props{}).Version(); ok {
		t.Error("map without prop_version reports a version")
	}
	// A file without creationdate gets now.
	q := NewProps(TextProperty(VersionName, "0"))
	q.Migrate(now)
	if lm, _ := mustGet(t, q, DAV("getlastmodified")).Text(); lm != "2025-03-04T04:06:07-00:00" {
		t.Errorf("getlastmodified = %q", lm)
	}
}

func TestOCamlIntOfString(t *testing.T) {
	for in, want := range map[string]int{"2": 2, "+1": 1, "-0": 0, "0x10": 16, "0b11": 3, "0o7": 7, "1_000": 1000, "0u5": 5} {
		if got, ok := ocamlIntOfString(in); !ok || got != want {
			t.Errorf("ocamlIntOfString(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "-", "_1", "1.0", "x", "0x"} {
		if _, ok := ocamlIntOfString(in); ok {
			t.Errorf("ocamlIntOfString(%q) accepted", in)
		}
	}
}

// BenchmarkMarshalObjectProps encodes the property file of a new calendar
// object, as each PUT does.
func BenchmarkMarshalObjectProps(b *testing.B) {
	acl := []ACE{grant(hrefRoot, PrivAll), grant(everyone, PrivRead)}
	p := robCreate(createOpts{contentType: "text/calendar", resourcetype: []Node{}, length: 812},
		acl, "2026-11-26T22:31:14-00:00", "bench-000123-7d785317.ics")
	b.ReportAllocs()
	for b.Loop() {
		p.Marshal()
	}
}

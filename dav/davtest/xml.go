package davtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// Clark is an element's name in Clark notation, "{namespace URI}local".
func Clark(e *etree.Element) string { return "{" + e.NamespaceURI() + "}" + e.Tag }

// Canonical renders one element exactly but for spelling: names with
// namespaces as URIs, attributes sorted, namespace declarations and
// whitespace-only text dropped. Children and other text keep their order
// and their spaces.
func Canonical(e *etree.Element) string {
	return "<" + Clark(e) + canonicalAttrs(e) + ">" + CanonicalContent(e) + "</>"
}

// CanonicalContent renders an element's children as Canonical does, so
// two documents that mean the same compare equal whatever their
// prefixes.
func CanonicalContent(e *etree.Element) string {
	var b strings.Builder
	for _, tok := range e.Child {
		switch c := tok.(type) {
		case *etree.Element:
			b.WriteString(Canonical(c))
		case *etree.CharData:
			if strings.TrimSpace(c.Data) != "" {
				b.WriteString(c.Data)
			}
		}
	}
	return b.String()
}

// CanonicalXML renders a fragment written by hand in a test (any number
// of elements and text) as CanonicalContent does.
func CanonicalXML(t testing.TB, fragment string) string {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString("<wrap>" + fragment + "</wrap>"); err != nil {
		t.Fatalf("test fragment does not parse: %v", err)
	}
	return CanonicalContent(doc.Root())
}

// canonicalAttrs renders an element's attributes, namespace
// declarations left out, names with namespaces as URIs, sorted.
func canonicalAttrs(e *etree.Element) string {
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
	return strings.Join(attrs, "")
}

// A Canonicaliser renders documents more loosely than Canonical, so that
// two answers that mean the same render the same: as Canonical, and
// besides an element's text is trimmed and put before its children, and
// the children of DAV:multistatus and of DAV:prop are sorted.
type Canonicaliser struct {
	// Text rewrites the non-empty trimmed text of the elements it names
	// (Clark notation), e.g. to compare calendar data as parsed.
	Text map[string]func(t testing.TB, text string) string
	// IgnoreMixedText drops the text of elements that have child
	// elements too.
	IgnoreMixedText bool
}

// Document parses an XML document and renders its root element.
func (c Canonicaliser) Document(t testing.TB, doc string) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatalf("XML does not parse: %v\n%s", err, doc)
	}
	if d.Root() == nil {
		t.Fatalf("XML has no root:\n%s", doc)
	}
	return c.Element(t, d.Root())
}

// Element renders one element.
func (c Canonicaliser) Element(t testing.TB, e *etree.Element) string {
	t.Helper()
	var kids []string
	var text strings.Builder
	for _, tok := range e.Child {
		switch k := tok.(type) {
		case *etree.Element:
			kids = append(kids, c.Element(t, k))
		case *etree.CharData:
			text.WriteString(k.Data)
		}
	}
	name := Clark(e)
	body := strings.TrimSpace(text.String())
	if c.IgnoreMixedText && len(kids) > 0 {
		body = ""
	}
	if f := c.Text[name]; f != nil && body != "" {
		body = f(t, body)
	}
	if name == "{DAV:}multistatus" || name == "{DAV:}prop" {
		sort.Strings(kids)
	}
	return "<" + name + canonicalAttrs(e) + ">" + body + strings.Join(kids, "") + "</>"
}

// CanonicalDocument renders an XML document as Canonicaliser{} does.
func CanonicalDocument(t testing.TB, doc string) string {
	t.Helper()
	return Canonicaliser{}.Document(t, doc)
}

// ErrorCondition returns the Clark name of the condition element of a
// DAV:error body, or "" when the body is not one.
func ErrorCondition(body string) string {
	doc := etree.NewDocument()
	if doc.ReadFromString(body) != nil || doc.Root() == nil || Clark(doc.Root()) != "{DAV:}error" {
		return ""
	}
	for _, c := range doc.Root().ChildElements() {
		if Clark(c) != "{DAV:}responsedescription" {
			return Clark(c)
		}
	}
	return ""
}

// StatusCode reads the code of a status line, "HTTP/1.1 200 OK".
func StatusCode(t testing.TB, line string) int {
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

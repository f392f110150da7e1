package dav

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// xmlContentType is the media type of every XML body the server sends.
const xmlContentType = "application/xml; charset=utf-8"

// Limits bound what a request may make the server do.
type Limits struct {
	// MaxBody is the largest request body read, in bytes.
	MaxBody int64
	// MaxXMLDepth is the deepest element nesting accepted in XML bodies.
	MaxXMLDepth int
	// MaxXMLElements is the largest number of elements in an XML body;
	// a body with more answers 413 before any tree is built.
	MaxXMLElements int
}

// DefaultMaxXMLElements bounds the elements of one XML body. The largest
// bodies clients send are calendar-multiget reports; 100,000 elements
// hold a multiget of every href caldav answers in one report (50,000),
// each with its DAV:href and some room, while a parsed tree of that size
// stays near 30 MB.
const DefaultMaxXMLElements = 100_000

// DefaultLimits are the limits used when a Server sets none.
var DefaultLimits = Limits{MaxBody: 10 << 20, MaxXMLDepth: 64, MaxXMLElements: DefaultMaxXMLElements}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.MaxBody > 0 {
		d.MaxBody = l.MaxBody
	}
	if l.MaxXMLDepth > 0 {
		d.MaxXMLDepth = l.MaxXMLDepth
	}
	if l.MaxXMLElements > 0 {
		d.MaxXMLElements = l.MaxXMLElements
	}
	return d
}

// readBody reads the whole request body, bounded by MaxBody (413 beyond).
func readBody(r *http.Request, l Limits) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if r.ContentLength > l.MaxBody {
		return nil, Errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", l.MaxBody)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, l.MaxBody+1))
	if err != nil {
		// A body shorter than its Content-Length, broken chunking, or
		// a client too slow for the read timeout: the request is
		// incomplete, not a server failure.
		return nil, Errorf(http.StatusBadRequest, "incomplete request body: %v", err)
	}
	if int64(len(b)) > l.MaxBody {
		return nil, Errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", l.MaxBody)
	}
	return b, nil
}

// parseXML parses an XML request body. An empty body gives a nil root.
// Malformed XML, a namespace prefix bound to "" or too deep nesting
// answer 400; too many elements answer 413. Depth and element count are
// measured by scanXML before the tree is built.
func parseXML(body []byte, l Limits) (*etree.Element, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	if err := scanXML(body, l); err != nil {
		return nil, err
	}
	doc, err := readXMLDocument(body)
	if err != nil {
		return nil, Errorf(http.StatusBadRequest, "malformed XML body: %v", err)
	}
	root := doc.Root()
	if root == nil {
		return nil, Errorf(http.StatusBadRequest, "XML body has no root element")
	}
	if err := checkTree(root, l); err != nil {
		return nil, err
	}
	return root, nil
}

// readXMLDocument parses body into a tree: a body in the plain subset
// of XML by parseSimpleXML, any other by etree.
func readXMLDocument(body []byte) (*etree.Document, error) {
	if doc, ok := parseSimpleXML(body); ok {
		return doc, nil
	}
	doc := etree.NewDocument()
	doc.ReadSettings.Permissive = false
	if err := doc.ReadFromBytes(body); err != nil {
		return nil, err
	}
	return doc, nil
}

// checkTree walks the tree without recursion, enforcing the limits and
// the XML namespace rules etree does not check.
func checkTree(root *etree.Element, l Limits) error {
	type item struct {
		e     *etree.Element
		depth int
	}
	stack := []item{{root, 1}}
	count := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		count++
		if count > l.MaxXMLElements {
			return errTooManyElements(l)
		}
		if it.depth > l.MaxXMLDepth {
			return errTooDeep(l)
		}
		for _, a := range it.e.Attr {
			if a.Space == "xmlns" && a.Value == "" {
				return Errorf(http.StatusBadRequest, "namespace prefix %q bound to the empty name", a.Key)
			}
		}
		if it.e.Space != "" && it.e.Space != "xml" && it.e.NamespaceURI() == "" {
			return Errorf(http.StatusBadRequest, "undeclared namespace prefix %q", it.e.Space)
		}
		for _, c := range it.e.ChildElements() {
			stack = append(stack, item{c, it.depth + 1})
		}
	}
	return nil
}

// errTooManyElements is the 413 of a body with more than MaxXMLElements
// elements: the body is too large by its structure, not its bytes.
func errTooManyElements(l Limits) error {
	return Errorf(http.StatusRequestEntityTooLarge, "XML body has more than %d elements", l.MaxXMLElements)
}

// errTooDeep is the 400 of a body nested deeper than MaxXMLDepth.
func errTooDeep(l Limits) error {
	return Errorf(http.StatusBadRequest, "XML body nested deeper than %d", l.MaxXMLDepth)
}

// Markup scanXML skips: its opening and the end of its content.
var xmlSkips = []struct{ open, close []byte }{
	{[]byte("<!--"), []byte("-->")}, {[]byte("<![CDATA["), []byte("]]>")},
	{[]byte("<?"), []byte("?>")}, {[]byte("<!"), []byte(">")},
}

// scanXML counts the elements of body and measures their nesting in one
// pass over the bytes, allocating nothing, so that a body within MaxBody
// but with a million elements (a PROPPATCH of a million properties) is
// refused before a tree is built. In well-formed XML a "<" outside
// comments, CDATA sections and processing instructions opens a tag, so
// the count is exact; malformed input is left to the parser.
func scanXML(body []byte, l Limits) error {
	depth, count := 0, 0
	for i := 0; ; {
		j := bytes.IndexByte(body[i:], '<')
		if j < 0 {
			return nil
		}
		i += j
		rest := body[i:]
		if skip := skipMarkup(rest); skip > 0 {
			i += skip
			continue
		} else if skip < 0 {
			return nil
		}
		end := tagEnd(rest)
		if end < 0 {
			return nil
		}
		switch {
		case rest[1] == '/':
			depth--
		case rest[end-1] == '/':
			// An empty-element tag <a/>: one level below the open ones.
			if count++; count > l.MaxXMLElements {
				return errTooManyElements(l)
			}
			if depth+1 > l.MaxXMLDepth {
				return errTooDeep(l)
			}
		default:
			if count++; count > l.MaxXMLElements {
				return errTooManyElements(l)
			}
			if depth++; depth > l.MaxXMLDepth {
				return errTooDeep(l)
			}
		}
		i += end + 1
	}
}

// skipMarkup returns the length of the comment, CDATA section,
// processing instruction or declaration at the start of b (which starts
// with "<"), 0 when b starts a tag, and -1 when the markup never ends.
func skipMarkup(b []byte) int {
	for _, s := range xmlSkips {
		if !bytes.HasPrefix(b, s.open) {
			continue
		}
		k := bytes.Index(b[len(s.open):], s.close)
		if k < 0 {
			return -1
		}
		return len(s.open) + k + len(s.close)
	}
	if len(b) < 2 {
		return -1
	}
	return 0
}

// tagEnd returns the index of the ">" closing the tag at the start of b,
// skipping quoted attribute values, or -1.
func tagEnd(b []byte) int {
	var quote byte
	for k := 1; k < len(b); k++ {
		switch c := b[k]; {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return k
		}
	}
	return -1
}

// readXML reads and parses the request body within the server's limits;
// an empty body gives nil. Errors are client errors.
func (r *resource) readXML() (*etree.Element, error) {
	limits := r.s.Limits.orDefault()
	body, err := readBody(r.c.HTTP, limits)
	if err != nil {
		return nil, err
	}
	return parseXML(body, limits)
}

// nameOf returns an element's name, namespace by URI.
func nameOf(e *etree.Element) Name { return Name{Space: e.NamespaceURI(), Local: e.Tag} }

// is reports whether e has the given name.
func is(e *etree.Element, n Name) bool {
	return e != nil && e.Tag == n.Local && e.NamespaceURI() == n.Space
}

// child returns e's first child element named n.
func child(e *etree.Element, n Name) *etree.Element {
	for _, c := range e.ChildElements() {
		if is(c, n) {
			return c
		}
	}
	return nil
}

// errBadXML is returned for XML that parses but is not what the method
// expects.
var errBadXML = errors.New("dav: unexpected XML")

// newDocument returns an etree document with the XML declaration and the
// output settings every response uses.
func newDocument() *etree.Document {
	doc := etree.NewDocument()
	doc.CreateProcInst("xml", `version="1.0" encoding="utf-8"`)
	doc.WriteSettings.CanonicalText = true
	doc.WriteSettings.CanonicalAttrVal = true
	return doc
}

// rootPrefixes are the namespace prefixes declared on every response's
// root element.
var rootPrefixes = []struct{ prefix, uri string }{
	{"D", NS}, {"C", NSCalDAV}, {"CS", NSCalServe},
}

// declareRootNamespaces declares rootPrefixes on root.
func declareRootNamespaces(root *etree.Element) {
	for _, p := range rootPrefixes {
		root.CreateAttr("xmlns:"+p.prefix, p.uri)
	}
}

// nsWriter writes elements by namespace URI below a root that declares
// rootPrefixes, declaring any other namespace on the element that needs it.
type nsWriter struct {
	prefixes map[string]string // uri → prefix declared at the root
	next     int
}

func newNSWriter(_ *etree.Element) *nsWriter {
	w := &nsWriter{prefixes: make(map[string]string, len(rootPrefixes))}
	for _, p := range rootPrefixes {
		w.prefixes[p.uri] = p.prefix
	}
	return w
}

// element appends an empty element named n to parent.
func (w *nsWriter) element(parent *etree.Element, n Name) *etree.Element {
	if n.Space == "" {
		e := parent.CreateElement(n.Local)
		return e
	}
	if p, ok := w.prefixes[n.Space]; ok {
		return parent.CreateElement(p + ":" + n.Local)
	}
	w.next++
	p := fmt.Sprintf("x%d", w.next)
	e := parent.CreateElement(p + ":" + n.Local)
	e.CreateAttr("xmlns:"+p, n.Space)
	return e
}

// node appends a stored property tree to parent. Stored xmlns attributes
// are dropped: prefixes are regenerated (robur does the same).
func (w *nsWriter) node(parent *etree.Element, n propfile.Node) {
	if n.IsText {
		parent.CreateText(n.Text)
		return
	}
	e := w.element(parent, n.Name)
	w.attrs(e, n.Attrs)
	for _, c := range n.Children {
		w.node(e, c)
	}
}

// attrs adds stored attributes to e, declaring their namespaces.
func (w *nsWriter) attrs(e *etree.Element, attrs []propfile.Attr) {
	for _, a := range attrs {
		switch a.Name.Space {
		case propfile.NamespaceXMLNS:
			continue
		case "":
			e.CreateAttr(a.Name.Local, a.Value)
		case propfile.NamespaceXML:
			e.CreateAttr("xml:"+a.Name.Local, a.Value)
		default:
			p, ok := w.prefixes[a.Name.Space]
			if !ok {
				w.next++
				p = fmt.Sprintf("x%d", w.next)
				e.CreateAttr("xmlns:"+p, a.Name.Space)
			}
			e.CreateAttr(p+":"+a.Name.Local, a.Value)
		}
	}
}

// writeDocument renders doc.
func writeDocument(doc *etree.Document) []byte {
	var buf bytes.Buffer
	_, _ = doc.WriteTo(&buf)
	return buf.Bytes()
}

// textOf returns the trimmed text of e ("" for no element).
func textOf(e *etree.Element) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Text())
}

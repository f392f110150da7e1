package dav

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// Multistatus builds a 207 Multi-Status body (RFC 4918 §13). Responses
// are encoded as soon as the next one starts, so a large answer costs one
// response's worth of structure at a time; the XML is written directly
// (profiling showed building a DOM for 10,000 responses dominated PROPFIND
// and REPORT). Namespaces are declared by URI: DAV:, CalDAV and
// CalendarServer on the root, any other on the element that needs it.
type Multistatus struct {
	buf      bytes.Buffer // the piece being written
	pieces   [][]byte     // the pieces written before it
	size     int          // their bytes
	finished bool
	root     string // qualified root element name
	open     *Response
	spare    *Response // the last response encoded, for the next to reuse
	trailer  []trailerElem
	next     int             // counter for generated namespace prefixes
	stack    []string        // qualified names of the open elements
	qnames   map[Name]string // qualified names made so far, in the root namespaces
	out      io.Writer       // where pieces go as they fill, when streaming
	outErr   error           // the first error writing to out
}

// maxQNames bounds the qualified names a Multistatus remembers (a
// request may name any number of properties).
const maxQNames = 256

// trailerElem is an element written after the responses.
type trailerElem struct {
	name Name
	text string
}

// NewMultistatus starts an empty DAV:multistatus document.
func NewMultistatus() *Multistatus { return newRooted(DAVName("multistatus")) }

// newRooted starts a document whose root element is name (mkcol-response
// and mkcalendar-response share the multistatus body model).
func newRooted(name Name) *Multistatus {
	m := &Multistatus{}
	m.root = m.qualified(name)
	m.buf.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n<")
	m.buf.WriteString(m.root)
	for _, p := range rootPrefixes {
		m.buf.WriteString(` xmlns:` + p.prefix + `="` + p.uri + `"`)
	}
	m.buf.WriteByte('>')
	return m
}

// rootPrefix returns the prefix declared on the root for uri.
func rootPrefix(uri string) (string, bool) {
	for _, p := range rootPrefixes {
		if p.uri == uri {
			return p.prefix, true
		}
	}
	return "", false
}

// qualified returns prefix:local for a name in a root namespace, or the
// bare local name for the empty namespace.
func (m *Multistatus) qualified(n Name) string {
	if p, ok := rootPrefix(n.Space); ok {
		return p + ":" + n.Local
	}
	return n.Local
}

// Response is one DAV:response of a multistatus.
type Response struct {
	m         *Multistatus
	href      string
	status    int
	errs      []Name
	propstats []*propstat
}

// propstat collects the properties answered with one status.
type propstat struct {
	status int
	props  []propfile.Property // Value nil and nameOnly: an empty element
	errs   []Name
}

// Add starts the response for href (the previous one is encoded, and
// the Response it returned must not be used any more: its memory is the
// new one's).
func (m *Multistatus) Add(href string) *Response {
	m.flush()
	r := m.spare
	if r == nil {
		r = &Response{m: m}
	}
	m.spare = nil
	r.href = href
	m.open = r
	return r
}

// prop returns the propstat with status, reusing one an earlier response
// left.
func (r *Response) prop(status int) *propstat {
	for _, ps := range r.propstats {
		if ps.status == status {
			return ps
		}
	}
	var ps *propstat
	if n := len(r.propstats); n < cap(r.propstats) && r.propstats[:n+1][n] != nil {
		ps = r.propstats[:n+1][n]
		ps.props, ps.errs = ps.props[:0], ps.errs[:0]
	} else {
		ps = &propstat{}
	}
	ps.status = status
	r.propstats = append(r.propstats, ps)
	return ps
}

// Prop adds a property with its value to the propstat with status.
func (r *Response) Prop(status int, p propfile.Property) {
	ps := r.prop(status)
	ps.props = append(ps.props, p)
}

// Name adds an empty property element to the propstat with status (for
// propname, failures and PROPPATCH results).
func (r *Response) Name(status int, n Name) {
	ps := r.prop(status)
	ps.props = append(ps.props, propfile.Property{Name: n})
}

// PropstatError adds a DAV:error with the condition cond to the propstat
// with status (RFC 4918 §14.22), once per condition.
func (r *Response) PropstatError(status int, cond Name) {
	ps := r.prop(status)
	for _, c := range ps.errs {
		if c == cond {
			return
		}
	}
	ps.errs = append(ps.errs, cond)
}

// Status gives the whole response a status instead of propstats (e.g. a
// 404 for a missing href in a multiget).
func (r *Response) Status(status int) { r.status = status }

// Error adds a DAV:error element with the condition cond to the response.
func (r *Response) Error(cond Name) { r.errs = append(r.errs, cond) }

// AddTrailer adds an element with text after the responses (such as
// DAV:sync-token, RFC 6578 §6.4).
func (m *Multistatus) AddTrailer(name Name, text string) {
	m.trailer = append(m.trailer, trailerElem{name, text})
}

// multistatusPiece is the size past which the encoded responses are set
// aside and a new piece begun: a large answer is held in pieces sent one
// after the other, never copied into one ever larger buffer.
const multistatusPiece = 64 << 10

// finish writes the trailer and closes the root element, once.
func (m *Multistatus) finish() {
	if m.finished {
		return
	}
	m.finished = true
	m.flush()
	for _, t := range m.trailer {
		m.startElement(t.name, nil)
		m.text(t.text)
		m.endElement(t.name)
	}
	m.buf.WriteString("</" + m.root + ">\n")
}

// Bytes finishes and renders the document in one slice. The Multistatus
// must not be used afterwards.
func (m *Multistatus) Bytes() []byte {
	m.finish()
	if len(m.pieces) == 0 {
		return m.buf.Bytes()
	}
	return bytes.Join(append(m.pieces, m.buf.Bytes()), nil)
}

// Size finishes the document and returns its length in bytes.
func (m *Multistatus) Size() int64 {
	m.finish()
	return int64(m.size + m.buf.Len())
}

// WriteTo finishes the document and writes it to w, piece by piece. The
// Multistatus must not be used afterwards: its memory is reused.
func (m *Multistatus) WriteTo(w io.Writer) (int64, error) {
	m.finish()
	bufs := append(make(net.Buffers, 0, len(m.pieces)+1), m.pieces...) // WriteTo consumes it
	bufs = append(bufs, m.buf.Bytes())
	n, err := bufs.WriteTo(w)
	m.release()
	return n, err
}

// StreamTo makes m write its encoded responses to w as they fill a
// piece, rather than hold them, so that the client reads an answer of
// 10,000 responses while the rest is encoded. Call it before adding
// responses, and Close at the end; Size, Bytes and WriteTo do not apply.
func (m *Multistatus) StreamTo(w io.Writer) { m.out = w }

// Close finishes a streamed document and writes what is left of it. It
// returns the first error writing to the stream.
func (m *Multistatus) Close() error {
	m.finish()
	m.send()
	m.release()
	return m.outErr
}

// send writes the piece encoded so far to the stream and empties it;
// after a failed write it only empties it.
func (m *Multistatus) send() {
	if m.outErr == nil {
		m.size += m.buf.Len()
		_, m.outErr = m.out.Write(m.buf.Bytes())
	}
	m.buf.Reset()
}

// Len is the number of bytes encoded so far.
func (m *Multistatus) Len() int { return m.size + m.buf.Len() }

// Body is a response body a report returns: a Multistatus or BytesBody.
type Body interface {
	// Size is the body's length in bytes.
	Size() int64
	io.WriterTo
}

// BytesBody is a Body held in one slice.
type BytesBody []byte

// Size is the body's length.
func (b BytesBody) Size() int64 { return int64(len(b)) }

// WriteTo writes the body to w.
func (b BytesBody) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b)
	return int64(n), err
}

// statusLine renders an HTTP status line for a DAV:status element.
func statusLine(code int) string {
	if code >= 0 && code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code)
}

// statusLines are the status lines of the codes net/http names, made
// once rather than for every propstat.
var statusLines = func() (lines [600]string) {
	for code := range lines {
		if text := http.StatusText(code); text != "" {
			lines[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text
		}
	}
	return lines
}()

// flush encodes the open response.
func (m *Multistatus) flush() {
	r := m.open
	if r == nil {
		return
	}
	m.open = nil
	b := &m.buf
	if b.Len() > multistatusPiece/8 && b.Cap() < multistatusPiece {
		// Past a small answer's size: move to a whole piece in one step
		// rather than by doublings.
		*b = *bytes.NewBuffer(append(newPiece(), b.Bytes()...))
	}
	b.WriteString("<D:response><D:href>")
	m.text(r.href)
	b.WriteString("</D:href>")
	if r.status != 0 {
		b.WriteString("<D:status>")
		b.WriteString(statusLine(r.status))
		b.WriteString("</D:status>")
	}
	m.writePropstats(r)
	m.errors(r.errs)
	b.WriteString("</D:response>")
	r.status, r.errs, r.propstats = 0, r.errs[:0], r.propstats[:0]
	m.spare = r
	switch {
	case b.Len() < multistatusPiece:
	case m.out != nil:
		m.send() // streamed: the piece is written and its room reused
	default:
		m.pieces = append(m.pieces, b.Bytes())
		m.size += b.Len()
		// A long answer: the next piece is made at its full size at once.
		*b = *bytes.NewBuffer(newPiece())
	}
}

// pieces recycles the pieces of written answers: an answer is garbage
// once sent, and a report repeated by clients (a multiget of 100 objects
// is 130 KB) would otherwise allocate it anew each time, and the
// collector pay for it.
var pieces sync.Pool // of *[]byte, empty, with room for a piece

// pieceCap is a piece's room: a piece and the response that overflows it.
const pieceCap = multistatusPiece + multistatusPiece/4

// newPiece returns an empty slice with room for a piece.
func newPiece() []byte {
	if p, ok := pieces.Get().(*[]byte); ok {
		return *p
	}
	return make([]byte, 0, pieceCap)
}

// release gives the pieces of a written answer back for reuse.
func (m *Multistatus) release() {
	for _, p := range append(m.pieces, m.buf.Bytes()) {
		if cap(p) >= pieceCap {
			p = p[:0]
			pieces.Put(&p)
		}
	}
	m.pieces, m.buf = nil, bytes.Buffer{}
}

// writePropstats encodes a response's propstats.
func (m *Multistatus) writePropstats(r *Response) {
	b := &m.buf
	for _, ps := range r.propstats {
		b.WriteString("<D:propstat><D:prop>")
		for _, p := range ps.props {
			m.startElement(p.Name, p.Attrs)
			for _, c := range p.Value {
				m.node(c)
			}
			m.endElement(p.Name)
		}
		b.WriteString("</D:prop><D:status>")
		b.WriteString(statusLine(ps.status))
		b.WriteString("</D:status>")
		m.errors(ps.errs)
		b.WriteString("</D:propstat>")
	}
}

// PropstatDocument renders a document whose root (DAV:mkcol-response,
// CalDAV's mkcalendar-response) holds r's propstats directly.
func PropstatDocument(root Name, fill func(r *Response)) []byte {
	m := newRooted(root)
	r := &Response{m: m}
	fill(r)
	m.writePropstats(r)
	return m.Bytes()
}

// errors writes a DAV:error holding the conditions, if any.
func (m *Multistatus) errors(conds []Name) {
	if len(conds) == 0 {
		return
	}
	m.buf.WriteString("<D:error>")
	for _, c := range conds {
		m.startElement(c, nil)
		m.endElement(c)
	}
	m.buf.WriteString("</D:error>")
}

// elementPrefix returns the qualified name of n and, for a namespace not
// declared on the root, the declaration to add.
func (m *Multistatus) elementPrefix(n Name) (qname, decl string) {
	switch {
	case n.Space == "":
		return n.Local, ""
	case n.Space == propfile.NamespaceXML:
		return "xml:" + n.Local, ""
	}
	if q, ok := m.qnames[n]; ok {
		return q, ""
	}
	if p, ok := rootPrefix(n.Space); ok {
		q := p + ":" + n.Local
		if m.qnames == nil {
			m.qnames = map[Name]string{}
		}
		if len(m.qnames) < maxQNames {
			m.qnames[n] = q
		}
		return q, ""
	}
	m.next++
	p := "x" + strconv.Itoa(m.next)
	return p + ":" + n.Local, p
}

// startElement opens an element with stored attributes (their xmlns
// declarations dropped: prefixes are made anew, as robur does). Elements
// and attributes in other namespaces carry their own declarations.
func (m *Multistatus) startElement(n Name, attrs []propfile.Attr) {
	b := &m.buf
	qname, decl := m.elementPrefix(n)
	b.WriteByte('<')
	b.WriteString(qname)
	if decl != "" {
		b.WriteString(" xmlns:" + decl + `="`)
		m.attrText(n.Space)
		b.WriteByte('"')
	}
	for _, a := range attrs {
		var aname string
		switch a.Name.Space {
		case propfile.NamespaceXMLNS:
			continue
		case "":
			aname = a.Name.Local
		case propfile.NamespaceXML:
			aname = "xml:" + a.Name.Local
		default:
			if p, ok := rootPrefix(a.Name.Space); ok {
				aname = p + ":" + a.Name.Local
			} else if a.Name.Space == n.Space && decl != "" {
				aname = decl + ":" + a.Name.Local
			} else {
				m.next++
				p := "x" + strconv.Itoa(m.next)
				b.WriteString(" xmlns:" + p + `="`)
				m.attrText(a.Name.Space)
				b.WriteByte('"')
				aname = p + ":" + a.Name.Local
			}
		}
		b.WriteString(" " + aname + `="`)
		m.attrText(a.Value)
		b.WriteByte('"')
	}
	b.WriteByte('>')
	m.stack = append(m.stack, qname)
}

// endElement closes the element opened last.
func (m *Multistatus) endElement(Name) {
	q := m.stack[len(m.stack)-1]
	m.stack = m.stack[:len(m.stack)-1]
	m.buf.WriteString("</" + q + ">")
}

// node writes a stored property tree.
func (m *Multistatus) node(n propfile.Node) {
	if n.IsText {
		m.text(n.Text)
		return
	}
	m.startElement(n.Name, n.Attrs)
	for _, c := range n.Children {
		m.node(c)
	}
	m.endElement(n.Name)
}

// text writes character data, escaped; characters XML 1.0 cannot carry
// are replaced by U+FFFD.
func (m *Multistatus) text(s string) { escapeXML(&m.buf, s, false) }

// attrText writes an attribute value, escaped.
func (m *Multistatus) attrText(s string) { escapeXML(&m.buf, s, true) }

// escapeXML writes s escaped for element content or (attr) attribute
// values.
func escapeXML(b *bytes.Buffer, s string, attr bool) {
	table, stop := &textEscapes, &textStop
	if attr {
		table, stop = &attrEscapes, &attrStop
	}
	b.Grow(len(s))
	last := 0
	for i := 0; i < len(s); {
		// Most bytes are plain ASCII: skip them with one table test
		// each.
		for i < len(s) && !stop[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		if c := s[i]; c < utf8.RuneSelf {
			b.WriteString(s[last:i])
			b.WriteString(table[c])
			i++
			last = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
			b.WriteString(s[last:i])
			b.WriteString("\uFFFD")
			last = i + size
		}
		i += size
	}
	b.WriteString(s[last:])
}

// textStop and attrStop mark the bytes escapeXML stops at: the ASCII
// bytes textEscapes and attrEscapes replace, and every byte of a
// multi-byte sequence (which it checks is valid UTF-8 and an XML
// character).
var textStop, attrStop = func() (text, attr [256]bool) {
	for c := range 256 {
		text[c] = c >= utf8.RuneSelf || textEscapes[c] != ""
		attr[c] = c >= utf8.RuneSelf || attrEscapes[c] != ""
	}
	return text, attr
}()

// textEscapes and attrEscapes give the replacement of each ASCII byte in
// character data and in attribute values ("" keeps it): the markup
// characters, CR as a reference so that it survives XML line-end
// normalisation, and U+FFFD for the control characters XML 1.0 forbids.
var textEscapes, attrEscapes = escapeTables()

func escapeTables() (text, attr [utf8.RuneSelf]string) {
	for c := range utf8.RuneSelf {
		switch {
		case c == '&':
			text[c] = "&amp;"
		case c == '<':
			text[c] = "&lt;"
		case c == '>':
			text[c] = "&gt;"
		case c == '\r':
			text[c] = "&#13;"
		case c < 0x20 && c != '\n' && c != '\t':
			text[c] = "\uFFFD"
		}
		attr[c] = text[c]
		switch c {
		case '"':
			attr[c] = "&quot;"
		case '\n', '\r', '\t':
			attr[c] = "&#" + strconv.Itoa(c) + ";"
		}
	}
	return text, attr
}

package dav

import (
	"fmt"
	"net/http"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// Multistatus builds a 207 Multi-Status body (RFC 4918 §13).
type Multistatus struct {
	doc  *etree.Document
	root *etree.Element
	w    *nsWriter
}

// NewMultistatus starts an empty multistatus document.
func NewMultistatus() *Multistatus {
	doc := newDocument()
	root := doc.CreateElement("D:multistatus")
	declareRootNamespaces(root)
	return &Multistatus{doc: doc, root: root, w: newNSWriter(root)}
}

// Response is one DAV:response of a multistatus.
type Response struct {
	m         *Multistatus
	el        *etree.Element
	propstats map[int]*etree.Element // status → its DAV:prop
}

// Add starts the response for href.
func (m *Multistatus) Add(href string) *Response {
	el := m.root.CreateElement("D:response")
	el.CreateElement("D:href").SetText(href)
	return &Response{m: m, el: el}
}

// statusLine renders an HTTP status line for a DAV:status element.
func statusLine(code int) string { return fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code)) }

// prop returns the DAV:prop element of the propstat with status.
func (r *Response) prop(status int) *etree.Element {
	if p, ok := r.propstats[status]; ok {
		return p
	}
	if r.propstats == nil {
		r.propstats = make(map[int]*etree.Element, 2)
	}
	ps := r.el.CreateElement("D:propstat")
	p := ps.CreateElement("D:prop")
	ps.CreateElement("D:status").SetText(statusLine(status))
	// The status must follow the prop: move it after later additions by
	// keeping prop first, as created.
	r.propstats[status] = p
	return p
}

// Prop adds a property with its value to the propstat with status.
func (r *Response) Prop(status int, p propfile.Property) {
	e := r.m.w.element(r.prop(status), p.Name)
	r.m.w.attrs(e, p.Attrs)
	for _, c := range p.Value {
		r.m.w.node(e, c)
	}
}

// Name adds an empty property element to the propstat with status (for
// propname, failures and PROPPATCH results).
func (r *Response) Name(status int, n Name) { r.m.w.element(r.prop(status), n) }

// PropstatError adds a DAV:error with the condition cond to the propstat
// with status (RFC 4918 §14.22), once per condition.
func (r *Response) PropstatError(status int, cond Name) {
	ps := r.prop(status).Parent()
	e := ps.SelectElement("D:error")
	if e == nil {
		e = ps.CreateElement("D:error")
	}
	for _, c := range e.ChildElements() {
		if nameOf(c) == cond {
			return
		}
	}
	r.m.w.element(e, cond)
}

// Status gives the whole response a status instead of propstats (e.g. a
// 404 for a missing href in a multiget).
func (r *Response) Status(status int) {
	r.el.CreateElement("D:status").SetText(statusLine(status))
}

// Error adds a DAV:error element with the condition cond to the response.
func (r *Response) Error(cond Name) {
	e := r.el.CreateElement("D:error")
	r.m.w.element(e, cond)
}

// Root returns the multistatus element, for elements after the responses
// (such as DAV:sync-token).
func (m *Multistatus) Root() *etree.Element { return m.root }

// Bytes renders the document.
func (m *Multistatus) Bytes() []byte { return writeDocument(m.doc) }

// Element appends an element named n, namespace by URI, to parent.
func (m *Multistatus) Element(parent *etree.Element, n Name) *etree.Element {
	return m.w.element(parent, n)
}

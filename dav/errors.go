package dav

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/webmachine"
)

// Error is a client-visible failure: an HTTP status, optionally with the
// precondition or postcondition element RFC 4918 §16 (or RFC 4791, 3744,
// 6578) names, sent as <D:error><cond/></D:error>.
type Error struct {
	Status int
	// Cond is the condition element; the zero Name sends no XML body.
	Cond Name
	// Msg explains the failure to people; it is sent as a text body when
	// there is no Cond, and inside the error element otherwise.
	Msg string
	// Extra holds children of the condition element (e.g. the href of a
	// conflicting resource).
	Extra []*etree.Element
}

// Error describes the failure.
func (e *Error) Error() string {
	if e.Cond.Local != "" {
		return fmt.Sprintf("dav: %d %s: %s", e.Status, clark(e.Cond), e.Msg)
	}
	return fmt.Sprintf("dav: %d: %s", e.Status, e.Msg)
}

// Errorf returns an Error with status and a formatted message and no
// condition element.
func Errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Precondition returns an Error with a condition element.
func Precondition(status int, cond Name, msg string) *Error {
	return &Error{Status: status, Cond: cond, Msg: msg}
}

// halt turns err into the webmachine halt that answers it: an *Error keeps
// its status and body; anything else stays an internal error.
func halt(err error) error {
	var de *Error
	if !errors.As(err, &de) {
		return err
	}
	if de.Cond.Local == "" {
		return webmachine.HaltWith(de.Status, "text/plain; charset=utf-8", []byte(de.Msg+"\n"))
	}
	return webmachine.HaltWith(de.Status, xmlContentType, de.body())
}

// body renders the <D:error> document.
func (e *Error) body() []byte {
	doc := newDocument()
	root := doc.CreateElement("D:error")
	declareRootNamespaces(root)
	w := newNSWriter(root)
	cond := w.element(root, e.Cond)
	for _, x := range e.Extra {
		cond.AddChild(x)
	}
	if e.Msg != "" {
		desc := root.CreateElement("D:responsedescription")
		desc.SetText(e.Msg)
	}
	var buf bytes.Buffer
	_, _ = doc.WriteTo(&buf)
	return buf.Bytes()
}

// Common errors.
var (
	errNotFound = Errorf(http.StatusNotFound, "not found")
	// errNotCollection is used where a collection was required.
	errNotCollection = Errorf(http.StatusConflict, "the parent is not a collection")
)

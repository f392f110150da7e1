package davtest

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// Prop is one property of one response of a multistatus.
type Prop struct {
	Status int
	// XML is the property's content rendered by CanonicalContent.
	XML string
	// Elem is the whole property element rendered by Canonical.
	Elem string
}

// Multistatus is a parsed 207 body: href → property name in Clark
// notation → result. The key "" holds the status of a response that has
// one instead of propstats.
type Multistatus map[string]map[string]Prop

// ParseMultistatus parses a DAV:multistatus body, namespaces by URI; it
// fails the test when the body is not one.
func ParseMultistatus(t testing.TB, body string) Multistatus {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromString(body); err != nil {
		t.Fatalf("multistatus does not parse: %v\n%s", err, body)
	}
	root := doc.Root()
	if root == nil || Clark(root) != "{DAV:}multistatus" {
		name := "nothing"
		if root != nil {
			name = Clark(root)
		}
		t.Fatalf("root is %s, not DAV:multistatus\n%s", name, body)
	}
	out := Multistatus{}
	for _, resp := range root.ChildElements() {
		if Clark(resp) != "{DAV:}response" {
			continue
		}
		props := map[string]Prop{}
		if st := child(resp, "{DAV:}status"); st != nil {
			props[""] = Prop{Status: StatusCode(t, text(st))}
		}
		for _, ps := range resp.ChildElements() {
			if Clark(ps) != "{DAV:}propstat" {
				continue
			}
			code := StatusCode(t, text(child(ps, "{DAV:}status")))
			for _, prop := range ps.ChildElements() {
				if Clark(prop) != "{DAV:}prop" {
					continue
				}
				for _, p := range prop.ChildElements() {
					props[Clark(p)] = Prop{Status: code, XML: CanonicalContent(p), Elem: Canonical(p)}
				}
			}
		}
		out[text(child(resp, "{DAV:}href"))] = props
	}
	return out
}

// Statuses returns the statuses alone: href → property → status.
func (m Multistatus) Statuses() map[string]map[string]int {
	out := make(map[string]map[string]int, len(m))
	for href, props := range m {
		out[href] = make(map[string]int, len(props))
		for name, p := range props {
			out[href][name] = p.Status
		}
	}
	return out
}

// FindProp returns the element of property prop (Clark notation) of the
// response for href in a multistatus body, or fails the test.
func FindProp(t testing.TB, body, href, prop string) *etree.Element {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(body); err != nil || d.Root() == nil {
		t.Fatalf("not XML: %v\n%s", err, body)
	}
	for _, r := range d.Root().ChildElements() {
		if text(child(r, "{DAV:}href")) != href {
			continue
		}
		for _, ps := range r.ChildElements() {
			for _, p := range ps.ChildElements() {
				if Clark(p) != "{DAV:}prop" {
					continue
				}
				for _, x := range p.ChildElements() {
					if Clark(x) == prop {
						return x
					}
				}
			}
		}
	}
	t.Fatalf("%s has no %s in\n%s", href, prop, body)
	return nil
}

// child returns e's first child element named name (Clark notation).
func child(e *etree.Element, name string) *etree.Element {
	for _, c := range e.ChildElements() {
		if Clark(c) == name {
			return c
		}
	}
	return nil
}

// text is an element's leading text, trimmed; "" for no element.
func text(e *etree.Element) string {
	if e == nil {
		return ""
	}
	return strings.TrimSpace(e.Text())
}

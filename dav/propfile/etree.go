package propfile

import (
	"encoding/xml"
	"strings"

	"github.com/beevik/etree"
)

// ToElement converts an element node to an etree element. Namespaces are
// identified by URI: stored xmlns declarations (attributes in
// NamespaceXMLNS) are written as declarations and their prefixes reused;
// any other namespace gets a prefix declared on the element where it is
// first needed ("D" for DAV:, "C" for CalDAV, otherwise "A", "B", ...,
// avoiding prefixes already bound to another URI). An element without a
// namespace is written unprefixed, with xmlns="" if a default namespace is
// in scope. ToElement returns nil for a text node.
func ToElement(n Node) *etree.Element {
	if n.IsText {
		return nil
	}
	return buildElement(n, nil, nsScope{})
}

// nsScope maps prefixes ("" for the default namespace) to URIs.
type nsScope map[string]string

func (s nsScope) with(prefix, uri string) nsScope {
	c := make(nsScope, len(s)+1)
	for k, v := range s {
		c[k] = v
	}
	c[prefix] = uri
	return c
}

// prefixFor returns a prefix bound to uri in scope, preferring a named one.
func (s nsScope) prefixFor(uri string, allowDefault bool) (string, bool) {
	best, found := "", false
	for p, u := range s {
		if u != uri || (p == "" && !allowDefault) {
			continue
		}
		if !found || (best == "" && p != "") || (p != "" && p < best) {
			best, found = p, true
		}
	}
	return best, found
}

// freshPrefix picks a prefix for uri that is not bound in scope.
func (s nsScope) freshPrefix(uri string) string {
	switch uri {
	case NamespaceDAV:
		if _, taken := s["D"]; !taken {
			return "D"
		}
	case NamespaceCalDAV:
		if _, taken := s["C"]; !taken {
			return "C"
		}
	}
	for i := 0; ; i++ {
		p := ""
		for j := i; ; j = j/26 - 1 {
			p = string(rune('A'+j%26)) + p
			if j < 26 {
				break
			}
		}
		if _, taken := s[p]; !taken && !strings.HasPrefix(strings.ToLower(p), "xml") {
			return p
		}
	}
}

func buildElement(n Node, parent *etree.Element, scope nsScope) *etree.Element {
	var e *etree.Element
	if parent == nil {
		e = etree.NewElement(n.Name.Local)
	} else {
		e = parent.CreateElement(n.Name.Local)
	}
	// Stored declarations first: they define prefixes for this subtree.
	for _, a := range n.Attrs {
		if a.Name.Space != NamespaceXMLNS {
			continue
		}
		if a.Name.Local == "xmlns" {
			e.CreateAttr("xmlns", a.Value)
			scope = scope.with("", a.Value)
		} else {
			e.CreateAttr("xmlns:"+a.Name.Local, a.Value)
			scope = scope.with(a.Name.Local, a.Value)
		}
	}
	declare := func(uri string) string {
		p := scope.freshPrefix(uri)
		e.CreateAttr("xmlns:"+p, uri)
		scope = scope.with(p, uri)
		return p
	}
	switch space := n.Name.Space; {
	case space == "":
		if scope[""] != "" {
			e.CreateAttr("xmlns", "")
			scope = scope.with("", "")
		}
	case space == NamespaceXML:
		e.Space = "xml"
	default:
		if p, ok := scope.prefixFor(space, true); ok {
			e.Space = p
		} else {
			e.Space = declare(space)
		}
	}
	for _, a := range n.Attrs {
		switch a.Name.Space {
		case NamespaceXMLNS:
			continue
		case "":
			e.CreateAttr(a.Name.Local, a.Value)
		case NamespaceXML:
			e.CreateAttr("xml:"+a.Name.Local, a.Value)
		default:
			p, ok := scope.prefixFor(a.Name.Space, false)
			if !ok {
				p = declare(a.Name.Space)
			}
			e.CreateAttr(p+":"+a.Name.Local, a.Value)
		}
	}
	for _, c := range n.Children {
		if c.IsText {
			e.CreateText(c.Text)
		} else {
			buildElement(c, e, scope)
		}
	}
	return e
}

// FromElement converts an etree element to a node the way robur's XML
// reader (Webdav_xml.string_to_tree over Xmlm) builds trees: names carry
// namespace URIs, namespace declarations are kept as attributes in
// NamespaceXMLNS, adjacent character data is merged, and text children
// consisting only of spaces, tabs, CRs and LFs are dropped. Comments,
// processing instructions and directives are ignored. Prefixes are
// resolved through e's ancestors.
func FromElement(e *etree.Element) Node {
	n := Node{Name: xml.Name{Space: elementNamespace(e), Local: e.Tag}}
	for i := range e.Attr {
		a := &e.Attr[i]
		var name xml.Name
		switch {
		case a.Space == "" && a.Key == "xmlns":
			name = xml.Name{Space: NamespaceXMLNS, Local: "xmlns"}
		case a.Space == "xmlns":
			name = xml.Name{Space: NamespaceXMLNS, Local: a.Key}
		case a.Space == "xml":
			name = xml.Name{Space: NamespaceXML, Local: a.Key}
		case a.Space == "":
			name = xml.Name{Local: a.Key}
		default:
			name = xml.Name{Space: a.NamespaceURI(), Local: a.Key}
		}
		n.Attrs = append(n.Attrs, Attr{Name: name, Value: a.Value})
	}
	var text strings.Builder
	inText := false
	flush := func() {
		if inText && !isXMLWhitespace(text.String()) {
			n.Children = append(n.Children, TextNode(text.String()))
		}
		text.Reset()
		inText = false
	}
	for _, tok := range e.Child {
		switch t := tok.(type) {
		case *etree.CharData:
			text.WriteString(t.Data)
			inText = true
		case *etree.Element:
			flush()
			n.Children = append(n.Children, FromElement(t))
		}
	}
	flush()
	return n
}

func elementNamespace(e *etree.Element) string {
	if e.Space == "xml" {
		return NamespaceXML
	}
	return e.NamespaceURI()
}

// isXMLWhitespace is robur's is_whitespace_node test.
func isXMLWhitespace(s string) bool {
	return strings.Trim(s, " \n\r\t") == ""
}

// Package propfile reads and writes the property files ("DIR/.prop" for a
// collection, "FILE.prop" beside an object) of robur's CalDAV server, so
// that gocaldav and robur can share one data repository.
//
// A property file is sexplib's Sexp.to_string_hum of robur's property map
// (properties.ml, to_sexp/of_sexp): a list of bindings
//
//	((NAMESPACE NAME) (ATTRIBUTES VALUE))
//
// sorted by namespace and then name (byte order), where ATTRIBUTES is a list
// of ((NAMESPACE NAME) VALUE) triples and VALUE a list of XML trees, each
// either (Pcdata TEXT) or (Node NAMESPACE NAME ATTRIBUTES CHILDREN)
// (webdav_xml.ml). Parse reads such a file; Props.Marshal writes the bytes
// robur writes for the same map. The package knows nothing about HTTP or
// access control; it only models the stored data.
package propfile

import (
	"cmp"
	"encoding/xml"
	"slices"
)

// Namespaces robur uses for the properties it stores.
const (
	NamespaceDAV    = "DAV:"                                 // RFC 4918 properties
	NamespaceCalDAV = "urn:ietf:params:xml:ns:caldav"        // RFC 4791 properties
	NamespaceRobur  = "io:robur:webdav"                      // robur's own: password, salt, prop_version, default_groups
	NamespaceXMLNS  = "http://www.w3.org/2000/xmlns/"        // namespace of stored xmlns declarations (Xmlm.ns_xmlns)
	NamespaceXML    = "http://www.w3.org/XML/1998/namespace" // the xml: prefix (Xmlm.ns_xml)
)

// Attr is an XML attribute as robur stores it: ((namespace local) value).
// Namespace declarations parsed by robur's XML reader (Xmlm) are kept as
// attributes in NamespaceXMLNS: xmlns:p="u" is {Name: {NamespaceXMLNS, "p"},
// Value: "u"} and xmlns="u" is {Name: {NamespaceXMLNS, "xmlns"}, Value: "u"}.
// An attribute without a namespace has an empty Name.Space.
type Attr struct {
	Name  xml.Name
	Value string
}

// Node is one XML tree of robur's Webdav_xml.tree: character data (Pcdata)
// when IsText is set, using only Text, or else an element (Node) with a
// namespace-qualified name, attributes and children.
type Node struct {
	Name     xml.Name
	Attrs    []Attr
	Children []Node
	Text     string
	IsText   bool
}

// Property is one entry of a property map: the property's name, the
// attributes of the property element, and its value as a list of trees.
type Property struct {
	Name  xml.Name
	Attrs []Attr
	Value []Node
}

// TextNode returns a character-data node (robur's Pcdata).
func TextNode(s string) Node { return Node{Text: s, IsText: true} }

// Element returns an element node with the given name, attributes and
// children.
func Element(name xml.Name, attrs []Attr, children ...Node) Node {
	return Node{Name: name, Attrs: attrs, Children: children}
}

// DAV returns the name {DAV:}local.
func DAV(local string) xml.Name { return xml.Name{Space: NamespaceDAV, Local: local} }

// CalDAV returns the name {urn:ietf:params:xml:ns:caldav}local.
func CalDAV(local string) xml.Name { return xml.Name{Space: NamespaceCalDAV, Local: local} }

// Robur returns the name {io:robur:webdav}local.
func Robur(local string) xml.Name { return xml.Name{Space: NamespaceRobur, Local: local} }

// attrsEqual reports whether two attribute lists are identical (nil and
// empty are the same).
func attrsEqual(a, b []Attr) bool { return slices.Equal(a, b) }

// Equal reports whether n and m are the same tree.
func (n Node) Equal(m Node) bool {
	if n.IsText || m.IsText {
		return n.IsText == m.IsText && n.Text == m.Text
	}
	return n.Name == m.Name && attrsEqual(n.Attrs, m.Attrs) &&
		slices.EqualFunc(n.Children, m.Children, Node.Equal)
}

// Equal reports whether p and q have the same name, attributes and value.
func (p Property) Equal(q Property) bool {
	return p.Name == q.Name && attrsEqual(p.Attrs, q.Attrs) &&
		slices.EqualFunc(p.Value, q.Value, Node.Equal)
}

// compareNames orders names as robur's PairMap does: by namespace, then by
// local name, each with OCaml's String.compare (plain byte order).
func compareNames(a, b xml.Name) int {
	return cmp.Or(cmp.Compare(a.Space, b.Space), cmp.Compare(a.Local, b.Local))
}

// Props is a property map. Like robur's PairMap it holds at most one
// property per name and keeps them sorted by (namespace, local name) in
// byte order, which is the order robur writes them in. The zero value is
// an empty map ready to use.
type Props struct {
	props []Property
}

// NewProps returns a map holding the given properties; when a name occurs
// more than once the last one wins.
func NewProps(props ...Property) *Props {
	p := &Props{}
	for _, prop := range props {
		p.Set(prop)
	}
	return p
}

func (p *Props) find(name xml.Name) (int, bool) {
	return slices.BinarySearchFunc(p.props, name, func(prop Property, n xml.Name) int {
		return compareNames(prop.Name, n)
	})
}

// Get returns the property with the given name.
func (p *Props) Get(name xml.Name) (Property, bool) {
	if i, ok := p.find(name); ok {
		return p.props[i], true
	}
	return Property{}, false
}

// Set adds prop, replacing any property with the same name.
func (p *Props) Set(prop Property) {
	i, ok := p.find(prop.Name)
	if ok {
		p.props[i] = prop
		return
	}
	p.props = slices.Insert(p.props, i, prop)
}

// Delete removes the property with the given name and reports whether it
// was present.
func (p *Props) Delete(name xml.Name) bool {
	i, ok := p.find(name)
	if ok {
		p.props = slices.Delete(p.props, i, i+1)
	}
	return ok
}

// Len returns the number of properties.
func (p *Props) Len() int { return len(p.props) }

// Names returns the property names in robur's order.
func (p *Props) Names() []xml.Name {
	names := make([]xml.Name, len(p.props))
	for i, prop := range p.props {
		names[i] = prop.Name
	}
	return names
}

// All returns a copy of the properties in robur's order.
func (p *Props) All() []Property { return slices.Clone(p.props) }

// Equal reports whether p and q hold the same properties.
func (p *Props) Equal(q *Props) bool {
	return slices.EqualFunc(p.props, q.props, Property.Equal)
}

// Clone returns a copy of p that shares no slices with it.
func (p *Props) Clone() *Props {
	c := &Props{props: make([]Property, len(p.props))}
	for i, prop := range p.props {
		c.props[i] = Property{Name: prop.Name, Attrs: slices.Clone(prop.Attrs), Value: cloneNodes(prop.Value)}
	}
	return c
}

func cloneNodes(nodes []Node) []Node {
	if nodes == nil {
		return nil
	}
	out := make([]Node, len(nodes))
	for i, n := range nodes {
		out[i] = Node{Name: n.Name, Attrs: slices.Clone(n.Attrs), Children: cloneNodes(n.Children), Text: n.Text, IsText: n.IsText}
	}
	return out
}

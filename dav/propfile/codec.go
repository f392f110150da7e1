package propfile

import (
	"encoding/xml"
	"fmt"
)

// Marshal returns the property file robur writes for this map: sexplib's
// Sexp.to_string_hum of properties.ml's to_sexp, without a trailing
// newline. Robur removes DAV:getetag from a map before writing it
// (webdav_fs.ml write_property_map); Marshal writes what it is given.
func (p *Props) Marshal() []byte {
	return []byte(toStringHum(p.sexp()))
}

// sexp is properties.ml's to_sexp: the bindings in key order.
func (p *Props) sexp() *sexp {
	bindings := make([]*sexp, len(p.props))
	for i, prop := range p.props {
		bindings[i] = list(nameSexp(prop.Name), list(attrsSexp(prop.Attrs), nodesSexp(prop.Value)))
	}
	return list(bindings...)
}

func nameSexp(n xml.Name) *sexp { return list(atom(n.Space), atom(n.Local)) }

func attrsSexp(attrs []Attr) *sexp {
	items := make([]*sexp, len(attrs))
	for i, a := range attrs {
		items[i] = list(nameSexp(a.Name), atom(a.Value))
	}
	return list(items...)
}

func nodesSexp(nodes []Node) *sexp {
	items := make([]*sexp, len(nodes))
	for i, n := range nodes {
		items[i] = nodeSexp(n)
	}
	return list(items...)
}

// nodeSexp is ppx_sexp_conv's encoding of a Webdav_xml.tree constructor:
// the constructor name followed by its arguments, in one list.
func nodeSexp(n Node) *sexp {
	if n.IsText {
		return list(atom("Pcdata"), atom(n.Text))
	}
	return list(atom("Node"), atom(n.Name.Space), atom(n.Name.Local), attrsSexp(n.Attrs), nodesSexp(n.Children))
}

// Parse reads a property file as robur's Properties.of_sexp does, without
// its version migration (see Props.Migrate and Props.Version). When a
// property name occurs more than once the last binding wins, as in
// robur's fold over PairMap.add. Errors are *SyntaxError values that say
// where the input went wrong.
func Parse(data []byte) (*Props, error) {
	s, err := parseSexp(data)
	if err != nil {
		return nil, err
	}
	bindings, err := expectList(s, "the property map")
	if err != nil {
		return nil, err
	}
	props := &Props{}
	for i, b := range bindings {
		prop, err := propertyOf(b)
		if err != nil {
			return nil, wrapSyntax(err, "binding %d", i+1)
		}
		props.Set(prop)
	}
	return props, nil
}

// wrapSyntax prefixes the message of a *SyntaxError with context.
func wrapSyntax(err error, format string, args ...any) error {
	if se, ok := err.(*SyntaxError); ok {
		return &SyntaxError{Pos: se.Pos, Msg: fmt.Sprintf(format, args...) + ": " + se.Msg}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func shapeError(s *sexp, format string, args ...any) error {
	return &SyntaxError{Pos: s.pos, Msg: fmt.Sprintf(format, args...)}
}

func describe(s *sexp) string {
	if s.isAtom {
		return fmt.Sprintf("atom %q", s.atom)
	}
	return fmt.Sprintf("list of %d elements", len(s.list))
}

func expectList(s *sexp, what string) ([]*sexp, error) {
	if s.isAtom {
		return nil, shapeError(s, "%s: expected a list, found %s", what, describe(s))
	}
	return s.list, nil
}

func expectTuple(s *sexp, n int, what string) ([]*sexp, error) {
	if s.isAtom || len(s.list) != n {
		return nil, shapeError(s, "%s: expected a list of %d elements, found %s", what, n, describe(s))
	}
	return s.list, nil
}

func expectAtom(s *sexp, what string) (string, error) {
	if !s.isAtom {
		return "", shapeError(s, "%s: expected an atom, found %s", what, describe(s))
	}
	return s.atom, nil
}

// propertyOf decodes ((ns name) (attrs trees)).
func propertyOf(s *sexp) (Property, error) {
	kv, err := expectTuple(s, 2, "property binding ((NAMESPACE NAME) (ATTRIBUTES VALUE))")
	if err != nil {
		return Property{}, err
	}
	name, err := nameOf(kv[0], "property name")
	if err != nil {
		return Property{}, err
	}
	v, err := expectTuple(kv[1], 2, fmt.Sprintf("property %s: (ATTRIBUTES VALUE)", nameString(name)))
	if err != nil {
		return Property{}, err
	}
	attrs, err := attrsOf(v[0])
	if err != nil {
		return Property{}, wrapSyntax(err, "property %s", nameString(name))
	}
	value, err := nodesOf(v[1])
	if err != nil {
		return Property{}, wrapSyntax(err, "property %s", nameString(name))
	}
	return Property{Name: name, Attrs: attrs, Value: value}, nil
}

func nameString(n xml.Name) string { return "{" + n.Space + "}" + n.Local }

func nameOf(s *sexp, what string) (xml.Name, error) {
	pair, err := expectTuple(s, 2, what+" (NAMESPACE NAME)")
	if err != nil {
		return xml.Name{}, err
	}
	space, err := expectAtom(pair[0], what+" namespace")
	if err != nil {
		return xml.Name{}, err
	}
	local, err := expectAtom(pair[1], what+" local name")
	if err != nil {
		return xml.Name{}, err
	}
	return xml.Name{Space: space, Local: local}, nil
}

func attrsOf(s *sexp) ([]Attr, error) {
	items, err := expectList(s, "attribute list")
	if err != nil {
		return nil, err
	}
	var attrs []Attr
	for _, item := range items {
		pair, err := expectTuple(item, 2, "attribute ((NAMESPACE NAME) VALUE)")
		if err != nil {
			return nil, err
		}
		name, err := nameOf(pair[0], "attribute name")
		if err != nil {
			return nil, err
		}
		value, err := expectAtom(pair[1], "attribute value")
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, Attr{Name: name, Value: value})
	}
	return attrs, nil
}

func nodesOf(s *sexp) ([]Node, error) {
	items, err := expectList(s, "tree list")
	if err != nil {
		return nil, err
	}
	var nodes []Node
	for _, item := range items {
		n, err := nodeOf(item)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return nodes, nil
}

// nodeOf decodes (Pcdata TEXT) or (Node NS NAME ATTRIBUTES CHILDREN). Like
// ppx_sexp_conv it also accepts the constructor names with a lower-case
// first letter.
func nodeOf(s *sexp) (Node, error) {
	if s.isAtom || len(s.list) == 0 {
		return Node{}, shapeError(s, "XML tree: expected (Pcdata TEXT) or (Node NAMESPACE NAME ATTRIBUTES CHILDREN), found %s", describe(s))
	}
	tag, err := expectAtom(s.list[0], "XML tree constructor")
	if err != nil {
		return Node{}, err
	}
	args := s.list[1:]
	switch tag {
	case "Pcdata", "pcdata":
		if len(args) != 1 {
			return Node{}, shapeError(s, "Pcdata takes 1 argument, found %d", len(args))
		}
		text, err := expectAtom(args[0], "Pcdata text")
		if err != nil {
			return Node{}, err
		}
		return TextNode(text), nil
	case "Node", "node":
		if len(args) != 4 {
			return Node{}, shapeError(s, "Node takes 4 arguments (NAMESPACE NAME ATTRIBUTES CHILDREN), found %d", len(args))
		}
		space, err := expectAtom(args[0], "Node namespace")
		if err != nil {
			return Node{}, err
		}
		local, err := expectAtom(args[1], "Node name")
		if err != nil {
			return Node{}, err
		}
		name := xml.Name{Space: space, Local: local}
		attrs, err := attrsOf(args[2])
		if err != nil {
			return Node{}, wrapSyntax(err, "element %s", nameString(name))
		}
		children, err := nodesOf(args[3])
		if err != nil {
			return Node{}, err
		}
		return Node{Name: name, Attrs: attrs, Children: children}, nil
	default:
		return Node{}, shapeError(s.list[0], "XML tree: unknown constructor %q (expected Pcdata or Node)", tag)
	}
}

package dav

import (
	"context"
	"net/http"
	"sort"

	"github.com/beevik/etree"

	"github.com/gocaldav/gocaldav/dav/propfile"
)

// maxExpandDepth bounds the nesting of DAV:property elements an
// expand-property report follows; deeper ones are answered unexpanded.
const maxExpandDepth = 4

// expandSpec is one DAV:property element of an expand-property body: the
// property, and the properties to report of the resources its hrefs name.
type expandSpec struct {
	name   Name
	nested []expandSpec
}

// parseExpandSpecs reads the DAV:property children of e (RFC 3253 §3.8):
// attribute name, and namespace defaulting to DAV:.
func parseExpandSpecs(e *etree.Element, depth int) ([]expandSpec, error) {
	var out []expandSpec
	for _, p := range e.ChildElements() {
		if !is(p, DAVName("property")) {
			continue
		}
		local := p.SelectAttrValue("name", "")
		if local == "" {
			return nil, Errorf(http.StatusBadRequest, "DAV:property needs a name attribute")
		}
		spec := expandSpec{name: Name{Space: p.SelectAttrValue("namespace", NS), Local: local}}
		if depth+1 < maxExpandDepth {
			nested, err := parseExpandSpecs(p, depth+1)
			if err != nil {
				return nil, err
			}
			spec.nested = nested
		}
		out = append(out, spec)
	}
	return out, nil
}

// expansion is one expand-property report being answered; expanded
// counts the resources reported inside property values.
type expansion struct {
	c        *Call
	expanded int
}

// expandProperty answers DAV:expand-property (RFC 3253 §3.8) on any
// resource: the named properties of the request URI, where a property
// with nested DAV:property elements has each DAV:href of its value
// replaced by a DAV:response reporting those properties of the resource
// named (404 when it does not exist here, 403 when the user may not read
// it).
func expandProperty(ctx context.Context, c *Call, n *Node, root *etree.Element) (int, Body, error) {
	specs, err := parseExpandSpecs(root, 0)
	if err != nil {
		return 0, nil, err
	}
	x := &expansion{c: c}
	ms := NewMultistatus()
	resp := ms.Add(n.Href())
	props, err := x.properties(ctx, n, specs)
	if err != nil {
		return 0, nil, err
	}
	for _, st := range sortedStatuses(props) {
		for _, p := range props[st] {
			if st == http.StatusOK {
				resp.Prop(st, p)
			} else {
				resp.Name(st, p.Name)
			}
		}
	}
	if len(specs) == 0 {
		resp.Status(http.StatusOK)
	}
	return http.StatusMultiStatus, ms, nil
}

// properties reads specs on n, grouped by propstat status.
func (x *expansion) properties(ctx context.Context, n *Node, specs []expandSpec) (map[int][]propfile.Property, error) {
	reg := x.c.Server.registry()
	out := map[int][]propfile.Property{}
	for _, s := range specs {
		p, err := reg.get(ctx, x.c, n, s.name)
		if err != nil {
			st := statusOf(err)
			if st == http.StatusInternalServerError {
				return nil, err
			}
			out[st] = append(out[st], propfile.Property{Name: s.name})
			continue
		}
		p.Name = s.name
		if len(s.nested) > 0 {
			if p.Value, err = x.expandValue(ctx, p.Value, s.nested); err != nil {
				return nil, err
			}
		}
		out[http.StatusOK] = append(out[http.StatusOK], p)
	}
	return out, nil
}

// expandValue replaces the DAV:href elements among v by responses.
func (x *expansion) expandValue(ctx context.Context, v []propfile.Node, specs []expandSpec) ([]propfile.Node, error) {
	out := make([]propfile.Node, 0, len(v))
	for _, node := range v {
		if node.IsText || node.Name != DAVName("href") {
			out = append(out, node)
			continue
		}
		href := textContent(node)
		r, err := x.response(ctx, href, specs)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// response is the DAV:response element for the resource at href.
func (x *expansion) response(ctx context.Context, href string, specs []expandSpec) (propfile.Node, error) {
	if x.expanded++; x.expanded > maxMatches {
		return propfile.Node{}, errTooManyMatches()
	}
	withStatus := func(st int) propfile.Node {
		return elem(DAVName("response"), hrefNode(href), elem(DAVName("status"), propfile.TextNode(statusLine(st))))
	}
	segs, err := hrefSegments(href)
	if err != nil {
		return withStatus(http.StatusNotFound), nil
	}
	n, err := lookup(x.c.Snapshot, segs, x.c.Server.logger())
	if err != nil {
		return propfile.Node{}, err
	}
	if n == nil {
		return withStatus(http.StatusNotFound), nil
	}
	ok, err := x.c.allowed(ctx, n, propfile.PrivRead)
	if err != nil {
		return propfile.Node{}, err
	}
	if !ok {
		return withStatus(http.StatusForbidden), nil
	}
	props, err := x.properties(ctx, n, specs)
	if err != nil {
		return propfile.Node{}, err
	}
	resp := elem(DAVName("response"), hrefNode(n.Href()))
	for _, st := range sortedStatuses(props) {
		prop := elem(DAVName("prop"))
		for _, p := range props[st] {
			pe := propfile.Element(p.Name, p.Attrs)
			if st == http.StatusOK {
				pe.Children = p.Value
			}
			prop.Children = append(prop.Children, pe)
		}
		resp.Children = append(resp.Children, elem(DAVName("propstat"), prop, elem(DAVName("status"), propfile.TextNode(statusLine(st)))))
	}
	if len(props) == 0 {
		resp.Children = append(resp.Children, elem(DAVName("status"), propfile.TextNode(statusLine(http.StatusOK))))
	}
	return resp, nil
}

// sortedStatuses lists the statuses of a propstat grouping, 200 first.
func sortedStatuses(m map[int][]propfile.Property) []int {
	out := make([]int, 0, len(m))
	for st := range m {
		out = append(out, st)
	}
	sort.Ints(out)
	return out
}
